/*
 * Receipts: what `cloister serve` signs for every response (a compact JWS,
 * ES256, by the instance key) and how anyone checks one offline against
 * the instance's evidence bundle (docs/FORMATS.md §10).
 */
#ifndef CLOISTER_RECEIPT_H
#define CLOISTER_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"

#define CLOISTER_RECEIPT_TYP	"cloister-receipt+jws"
#define CLOISTER_RECEIPT_V	2	/* claims "v"; version 1 still reads */

/* Where a request was computed (claims "confidential", docs/FORMATS.md
 * §10): false, "tdx" inside the attested TD, "tdx+gpu" inside it on a GPU
 * whose Confidential Computing evidence the bundle carries. */
#define CLOISTER_CONF_NONE	0
#define CLOISTER_CONF_TDX	1
#define CLOISTER_CONF_TDX_GPU	2
#define CLOISTER_RECEIPT_MAX	8192	/* bytes of a compact JWS */

struct cloister_receipt_claims {
	char		 id[64];		/* the request id */
	int64_t		 iat;
	char		 key[65];		/* SHA-256 of the key id, hex */
	char		 model[128];
	char		 backend[64];
	char		 backend_type[32];	/* "mock", "openai-compatible",
						 * "anthropic",
						 * "openai-responses" */
	char		 api[16];		/* the client's: "chat",
						 * "messages", "responses";
						 * "" in older receipts */
	int		 confidential;		/* CLOISTER_CONF_* */
	uint8_t		 request_sha256[32];
	uint8_t		 response_sha256[32];
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
	int64_t		 cached_tokens;
	int64_t		 cost;			/* micro-units */
	char		 status[16];		/* "ok", "cancelled", ... */
	char		 evidence[65];		/* SHA-256 of the bundle, hex */
	char		 nonce[129];		/* the client's Cloister-Nonce */
	char		 workspace[32];		/* "ws-…" when the key is a
						 * workspace's; else "" */
	char		 workspace_manifest[97];	/* its measured digest,
						 * SHA-384 hex; else "" */
};

struct cloister_receipt_result {
	int		 parsed;
	int		 verified;
	int		 simulated;
	int		 code;
	char		 message[CLOISTER_DETAIL_MAX];
	const char	*failed_step;
	struct cloister_receipt_claims claims;
	int		 request_checked;
	int		 response_checked;
	size_t		 nsteps;
	struct cloister_step steps[CLOISTER_STEPS_MAX];
	struct cloister_evidence_result evidence;
};

/* "tdx", "tdx+gpu", or "NOT confidential". */
const char *cloister_confidential_name(int level);

/*
 * Verify jws against the evidence bundle it names; request / response
 * (may be NULL) are the exact bodies to compare with the receipt's
 * hashes.  o carries the time, flags (--allow-simulated) and optional
 * collateral for the bundle.  Returns 0 when verified, else res->code.
 */
int	cloister_verify_receipt(const char *jws, size_t len,
	    const uint8_t *bundle, size_t bundle_len, const uint8_t *request,
	    size_t request_len, const uint8_t *response, size_t response_len,
	    const struct cloister_evidence_opts *o,
	    struct cloister_receipt_result *res);

/*
 * The same checks against an instance whose evidence the caller has
 * verified already -- its key and its bundle's id (SHA-256, hex): for a
 * proxy that checks every answer of one gateway, without verifying the
 * same evidence again each time.
 */
int	cloister_verify_receipt_known(const char *jws, size_t len,
	    const uint8_t public_key[CLOISTER_EVIDENCE_PUB_LEN],
	    const char evidence_id[65], int simulated, const uint8_t *request,
	    size_t request_len, const uint8_t *response, size_t response_len,
	    struct cloister_receipt_result *res);

/* The evidence id a receipt names (its header's kid), unverified: which
 * instance to verify it against, among several behind one address. */
int	cloister_receipt_kid(const char *jws, size_t len, char kid[65]);

#endif
