/*
 * The instance's own evidence (attestation.c): made at start, served at
 * GET /v1/attestation, fresh for a caller's nonce.
 */
#ifndef CLOISTER_ATTESTATION_H
#define CLOISTER_ATTESTATION_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

struct gw;
struct cloister_collect_info;

/* Fresh evidence: collections waiting at most, per key and minute. */
#define GW_ATTEST_QUEUE		16
#define GW_ATTEST_PER_MIN	60

/* Evidence for this instance key, with a nonce when given; info (may be
 * NULL) says what it holds. */
int	gw_collect_own(struct gw *gw, const uint8_t *nonce, size_t nonce_len,
	    char **json, size_t *len, struct cloister_collect_info *info,
	    char *why, size_t whylen);
/* attest.c's collector (the evidence thread): ctx is the gateway. */
int	gw_collect_fresh(void *ctx, const uint8_t *nonce, size_t nonce_len,
	    char **json, size_t *len, char *why, size_t whylen);
/* What receipts may claim of each backend (gw->conf), from what the
 * start-up evidence holds; fails when tee.gpu is required and there is
 * no GPU evidence. */
int	gw_confidentiality(struct gw *gw,
	    const struct cloister_collect_info *info, char *why,
	    size_t whylen);
/* GET /v1/attestation[?nonce=HEX]. */
void	gw_attestation(struct gw *gw, struct evhttp_request *req);

#endif
