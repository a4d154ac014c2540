/*
 * The workspace manifest: what serve measures into RTMR3 before a
 * workspace may start (docs/internals/workspace.md, FORMATS §8).  One
 * canonical JSON object (jcs.h) of a fixed shape, and the event digests
 * extended into RTMR3:
 *
 *   start  e = SHA-384("cloister-workspace/1" 0x00 || canonical manifest)
 *   stop   e = SHA-384("cloister-workspace-stop/1" 0x00 || id)
 *   RTMR3' = SHA-384(RTMR3 || e)
 *
 * Serve canonicalises what the admin API was given; a verifier
 * canonicalises what a bundle's event log carries, with the same rules,
 * so both hash the same bytes.
 */
#ifndef CLOISTER_WS_MANIFEST_H
#define CLOISTER_WS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define WS_MANIFEST_MAX		(16u * 1024)	/* canonical bytes */
#define WS_MANIFEST_DEPTH	4	/* sandbox.limits is the deepest */
#define WS_ID_LEN		27	/* "ws-" + 24 hex */
#define WS_DIGEST_LEN		48
#define WS_LABEL_START		"cloister-workspace/1"
#define WS_LABEL_STOP		"cloister-workspace-stop/1"

/*
 * Check that v has the manifest's shape -- every member known, of its
 * type, within its bounds -- and write its canonical bytes into *out
 * (malloc'd, NUL-terminated, *len bytes without it).  With id non-NULL
 * the manifest must carry no "id" and is given this one (what serve does
 * with the admin API's body); with id NULL it must carry one.  why names
 * the member at fault.
 */
int	ws_manifest_canon_json(const json_t *v, const char *id, char **out,
	    size_t *len, char *why, size_t whylen);
/* The same from JSON text (at most WS_MANIFEST_MAX bytes, duplicates
 * refused). */
int	ws_manifest_canon(const char *text, size_t len, const char *id,
	    char **out, size_t *outlen, char *why, size_t whylen);

/* The manifest's id ("ws-" and 24 lower-case hex) copied into id; the
 * canonical bytes must come from ws_manifest_canon*. */
int	ws_manifest_id(const char *canon, size_t len, char id[WS_ID_LEN + 1]);
/* Whether s is a workspace id. */
int	ws_id_valid(const char *s, size_t len);

/* The start event's digest over canonical bytes. */
int	ws_manifest_digest(const char *canon, size_t len,
	    uint8_t e[WS_DIGEST_LEN]);
/* The stop event's digest over a workspace id. */
int	ws_stop_digest(const char *id, uint8_t e[WS_DIGEST_LEN]);
/* RTMR' = SHA-384(RTMR || e), in place. */
int	ws_rtmr_extend(uint8_t rtmr[WS_DIGEST_LEN],
	    const uint8_t e[WS_DIGEST_LEN]);

#endif
