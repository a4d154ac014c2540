export NFTPORT_API_KEY="nftport-private-key-123e4567-e89b-12d3-a456-426614174abc"
