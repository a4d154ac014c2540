/*
 * mkaudit DIR [AUDITOR_PUBLIC_HEX]: write DIR/evidence.json (a simulated
 * instance's bundle) and DIR/audit.log (a closed log of 6 entries by that
 * instance, payloads "payload 0".. sealed to the auditor when given), for
 * the audit command's tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cloister/evidence.h"
#include "crypto.h"
#include "identity.h"
#include "util.h"

static int
sign_cb(void *ctx, const void *msg, size_t len, uint8_t sig[64])
{
	return identity_sign(ctx, msg, len, sig);
}

int
main(int argc, char **argv)
{
	struct cloister_collect_opts o;
	struct identity *id;
	struct audit_log *l;
	struct audit_entry e = { .direction = "to-server", .session = "s",
	    .key_id = "key_0000000000000000", .server_id = "everything",
	    .trust = "external", .target = "stdio:sha256:00", .method =
	    "tools/call", .tool = "echo", .outcome = "forwarded" };
	char path[4096], warn[512], why[512], evid[65], *json;
	uint8_t h[32];
	size_t len;
	FILE *f;
	int64_t now = (int64_t)time(NULL);

	uint8_t auditor[AUDIT_KEY_LEN];
	char payload[32];

	if (argc < 2 || argc > 3 || identity_new(&id) != 0 ||
	    (argc == 3 && util_hex_decode_exact(argv[2], strlen(argv[2]),
	    auditor, sizeof(auditor)) != 0))
		return 2;
	memset(&o, 0, sizeof(o));
	identity_public(id, o.public_key);
	o.sign = sign_cb;
	o.sign_ctx = id;
	o.provider = "sim";
	o.gpu = "none";
	o.now = now;
	if (cloister_evidence_collect(&o, &json, &len, NULL, warn, sizeof(warn), why,
	    sizeof(why)) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/evidence.json", argv[1]);
	if ((f = fopen(path, "w")) == NULL || fwrite(json, 1, len, f) != len ||
	    fclose(f) != 0)
		return 1;
	crypto_sha256(json, len, h);
	util_hex_encode(h, sizeof(h), evid);
	free(json);
	snprintf(path, sizeof(path), "%s/audit.log", argv[1]);
	if (audit_open(path, id, evid, now, &l, why, sizeof(why)) != 0)
		return 1;
	if (argc == 3)
		audit_set_auditor(l, auditor);
	for (int i = 0; i < 6; i++) {
		e.payload_sha256[0] = (uint8_t)i;
		snprintf(payload, sizeof(payload), "payload %d", i);
		e.payload = (const uint8_t *)payload;
		e.payload_len = strlen(payload);
		if (audit_append(l, &e, now) != 0 ||
		    (i == 2 && audit_checkpoint(l, now) != 0))
			return 1;
	}
	if (audit_close(l, now) != 0)
		return 1;
	identity_free(id);
	return 0;
}
