/*
 * The KBS protocol's untrusted inputs: a flattened JWE to open (first
 * byte even) or an attester's runtime data -- its tee-pubkey JWK and
 * the REPORT_DATA computed over it (first byte odd).  Nothing may open
 * without the key it was sealed to; nothing may crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "crypto.h"
#include "json_parse.h"
#include "kbs_bind.h"
#include "kbs_jwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ec_privkey *k;
	uint8_t *pt, xy[64], rd[64];
	char why[256];
	size_t n;
	json_t *o;

	if (size < 1)
		return 0;
	if (k == NULL && crypto_p256_generate(&k) != 0)
		abort();
	if ((data[0] & 1) == 0) {
		/* a fresh key no input can have been sealed to */
		if (kbs_jwe_open(k, (const char *)data + 1, size - 1, &pt, &n,
		    why, sizeof(why)) == 0)
			abort();
		return 0;
	}
	if ((o = jp_parse((const char *)data + 1, size - 1,
	    JSON_REJECT_DUPLICATES, NULL, 0)) == NULL)
		return 0;
	(void)kbs_jwk_p256(json_object_get(o, "tee-pubkey"), xy, why,
	    sizeof(why));
	if (json_is_string(json_object_get(o, "nonce")))
		(void)kbs_report_data(json_object_get(o, "tee-pubkey"),
		    json_string_value(json_object_get(o, "nonce")), "",
		    (enum kbs_hash)(size % 3), rd, why, sizeof(why));
	json_decref(o);
	return 0;
}
