const mongodbAtlasServiceAccountToken = 'mdb_sa_sk_BdIX_jLzut2WTgglKzKvSgWMDDj5hEoTqdwOyLOL';
const nftportApiKey = 'nftport_access_token=123e4567-e89b-12d3-a456-426614174000';
