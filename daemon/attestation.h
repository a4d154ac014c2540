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
/* GET /v1/attestation/{id}: the start-up bundle whose SHA-256 is id --
 * this gateway's, or with a shared ledger any replica's (a receipt's kid
 * names the replica that signed it).  Looked up off the loop. */
void	gw_attestation_id(struct gw *gw, struct evhttp_request *req,
	    const char *id);

/*
 * Measure a workspace before it may start (docs/internals/workspace.md):
 * manifest (len bytes of JSON, with its "id") canonicalised
 * (lib/evidence/ws_manifest.h), its digest e extended into RTMR3 -- the
 * TD's through sysfs (or the ioctl with tee.rtmr: ioctl) on real TDX,
 * the simulated one when the TEE is simulated -- and the event appended
 * to the RTMR3 event log that every bundle collected after carries
 * ("rtmr3_events", FORMATS §8).  digest gets e.  Fails closed: nothing
 * is appended unless RTMR3 was extended and read back as the log says;
 * a workspace whose measure failed must not start.  On the loop's
 * thread (a sysfs write; no quote).
 */
int	gw_workspace_measure(struct gw *gw, const char *manifest, size_t len,
	    uint8_t digest[48], char *why, size_t whylen);
/* The stop event of workspace id, e = SHA-384("cloister-workspace-stop/1"
 * 0x00 || id): extended and logged the same way; the log must have
 * started id and not stopped it. */
int	gw_workspace_measure_stop(struct gw *gw, const char *id,
	    uint8_t digest[48], char *why, size_t whylen);
/* The RTMR3 event log as JSON text (malloc'd) and its generation, which
 * every measure increments: a snapshot for a collection.  For tests and
 * the workspace list. */
int	gw_rtmr3_log_snapshot(char **json, size_t *len, uint64_t *gen);

#endif
