/*
 * The RTMR3 event log (FORMATS §8, "rtmr3_events"): what serve extended
 * into RTMR3, in order, so that a verifier can replay it from zero to the
 * quote's RTMR3.  Events are JSON objects:
 *
 *   {"type": "workspace-start", "manifest": {canonical manifest},
 *    "digest": "<96 hex>"}
 *   {"type": "workspace-stop", "id": "ws-...", "digest": "<96 hex>"}
 *
 * "digest" is for readers; a verifier recomputes every digest from the
 * manifest or id (ws_manifest.h) and never trusts the one given.
 */
#ifndef CLOISTER_RTMR3_LOG_H
#define CLOISTER_RTMR3_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cloister/evidence.h"

#define RTMR3_EVENTS_MAX	1024
#define RTMR3_TYPE_START	"workspace-start"
#define RTMR3_TYPE_STOP		"workspace-stop"

/* New event objects (NULL when out of memory); canon is a canonical
 * manifest (ws_manifest_canon), e its digest. */
json_t	*rtmr3_event_start(const char *canon, size_t len, const uint8_t e[48]);
json_t	*rtmr3_event_stop(const char *id, const uint8_t e[48]);

/* The shape of a bundle's log: an array of at most RTMR3_EVENTS_MAX
 * events, each with exactly its members.  why names the event. */
int	rtmr3_log_check(const json_t *events, char *why, size_t whylen);

/*
 * Replay events (checked by rtmr3_log_check; NULL: none) from a zero
 * RTMR3 and compare with quoted.  0 when every digest recomputes, every
 * stop follows its start and the result equals quoted; otherwise
 * CLOISTER_ERR_MEASUREMENT_MISMATCH and why names the first event that
 * does not fit.  res gets the event count and the workspaces either way.
 */
int	rtmr3_replay(const json_t *events, const uint8_t quoted[48],
	    struct cloister_evidence_result *res, char *why, size_t whylen);

#endif
