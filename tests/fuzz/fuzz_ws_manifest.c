/*
 * The workspace manifest and the RTMR3 event log, from untrusted bytes:
 * whatever is accepted canonicalises to a fixed point (canonical bytes
 * read back give the same bytes), fits the caps, and digests; the same
 * bytes read as a bundle's event log are checked and replayed without
 * reading out of bounds, and a replay from nothing never "fits" a
 * non-zero RTMR3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/evidence.h"
#include "jcs.h"
#include "rtmr3_log.h"
#include "ws_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
manifest(const uint8_t *data, size_t size)
{
	char why[256], *c = NULL, *c2 = NULL, id[WS_ID_LEN + 1];
	size_t len, len2;
	uint8_t e[48];

	if (ws_manifest_canon((const char *)data, size, NULL, &c, &len, why,
	    sizeof(why)) != 0) {
		if (c != NULL)
			abort();
		return;
	}
	if (len > WS_MANIFEST_MAX || strlen(c) != len ||
	    ws_manifest_canon(c, len, NULL, &c2, &len2, why, sizeof(why)) != 0 ||
	    len2 != len || memcmp(c, c2, len) != 0 ||
	    ws_manifest_digest(c, len, e) != 0 ||
	    ws_manifest_id(c, len, id) != 0)
		abort();
	free(c);
	free(c2);
}

/* Any JSON: canonical output is a fixed point too. */
static void
jcs(const uint8_t *data, size_t size)
{
	char why[256], *c = NULL, *c2 = NULL;
	size_t len, len2;
	json_t *v, *v2;

	if (jcs_parse((const char *)data, size, 8, &v, why, sizeof(why)) != 0)
		return;
	if (jcs_write(v, 8, 64 * 1024, &c, &len, why, sizeof(why)) == 0) {
		if (jcs_parse(c, len, 8, &v2, why, sizeof(why)) != 0 ||
		    jcs_write(v2, 8, 64 * 1024, &c2, &len2, why,
		    sizeof(why)) != 0 || len2 != len ||
		    memcmp(c, c2, len) != 0)
			abort();
		json_decref(v2);
	}
	free(c);
	free(c2);
	json_decref(v);
}

static void
event_log(const uint8_t *data, size_t size)
{
	struct cloister_evidence_result *res;
	uint8_t quoted[48];
	char why[256];
	json_t *v;

	if ((v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return;
	if (rtmr3_log_check(v, why, sizeof(why)) == 0 &&
	    (res = calloc(1, sizeof(*res))) != NULL) {
		memset(quoted, 0x5a, sizeof(quoted));
		if (rtmr3_replay(v, quoted, res, why, sizeof(why)) == 0)
			abort();	/* would need a SHA-384 preimage */
		free(res);
	}
	json_decref(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	manifest(data, size);
	jcs(data, size);
	event_log(data, size);
	return 0;
}
