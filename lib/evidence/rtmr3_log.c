/*
 * The RTMR3 event log (rtmr3_log.h): building its events on serve's
 * side, and on a verifier's, checking their shape and replaying them.
 * The replay recomputes each digest from the manifest (canonicalised
 * again) or the id, so a log can only be believed as far as the quote's
 * RTMR3 -- which the hardware signs -- agrees with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "json_out.h"
#include "rtmr3_log.h"
#include "util.h"
#include "ws_manifest.h"

#define NAME_MAX_LEN	80	/* "rtmr3_events[1023] (workspace-start ws-…)" */

json_t *
rtmr3_event_start(const char *canon, size_t len, const uint8_t e[48])
{
	json_t *m = json_loadb(canon, len, JSON_REJECT_DUPLICATES, NULL);

	if (m == NULL)
		return NULL;
	return json_pack("{s:s,s:o,s:o}", "type", RTMR3_TYPE_START,
	    "manifest", m, "digest", jx_hex(e, 48));
}

json_t *
rtmr3_event_stop(const char *id, const uint8_t e[48])
{
	return json_pack("{s:s,s:s,s:o}", "type", RTMR3_TYPE_STOP, "id", id,
	    "digest", jx_hex(e, 48));
}

/* Exactly the members named, each present. */
static int
exact_members(const json_t *ev, const char *const *names, size_t i,
    char *why, size_t whylen)
{
	size_t n = 0;

	for (; names[n] != NULL; n++)
		if (json_object_get(ev, names[n]) == NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "rtmr3_events[%zu]: \"%s\" is missing", i,
			    names[n]);
	if (json_object_size(ev) != n)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "rtmr3_events[%zu]: unknown members (a %s event has %zu)",
		    i, json_string_value(json_object_get(ev, "type")), n);
	return 0;
}

static int
check_event(const json_t *ev, size_t i, char *why, size_t whylen)
{
	static const char *const start[] = { "type", "manifest", "digest",
	    NULL };
	static const char *const stop[] = { "type", "id", "digest", NULL };
	const char *t = json_string_value(json_object_get(ev, "type"));
	const json_t *d = json_object_get(ev, "digest"), *id;
	uint8_t b[48];
	int r;

	if (!json_is_object(ev) || t == NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "rtmr3_events[%zu] is not an object with a \"type\"", i);
	if (strcmp(t, RTMR3_TYPE_START) != 0 && strcmp(t, RTMR3_TYPE_STOP) != 0)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "rtmr3_events[%zu]: unknown type \"%.32s\"", i, t);
	if ((r = exact_members(ev, strcmp(t, RTMR3_TYPE_START) == 0 ? start :
	    stop, i, why, whylen)) != 0)
		return r;
	if (!json_is_string(d) || util_hex_decode_exact(json_string_value(d),
	    json_string_length(d), b, sizeof(b)) != 0)
		return util_fail(CLOISTER_ERR_BAD_HEX, why, whylen,
		    "rtmr3_events[%zu]: \"digest\" is not 48 bytes of hex", i);
	if (strcmp(t, RTMR3_TYPE_START) == 0)
		return json_is_object(json_object_get(ev, "manifest")) ? 0 :
		    util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "rtmr3_events[%zu]: \"manifest\" is not an object", i);
	id = json_object_get(ev, "id");
	if (!json_is_string(id) || !ws_id_valid(json_string_value(id),
	    json_string_length(id)))
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "rtmr3_events[%zu]: \"id\" is not a workspace id", i);
	return 0;
}

int
rtmr3_log_check(const json_t *events, char *why, size_t whylen)
{
	const json_t *ev;
	size_t i;
	int r;

	if (!json_is_array(events) || json_array_size(events) >
	    RTMR3_EVENTS_MAX)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "\"rtmr3_events\" is not an array of at most %d events",
		    RTMR3_EVENTS_MAX);
	json_array_foreach(events, i, ev)
		if ((r = check_event(ev, i, why, whylen)) != 0)
			return r;
	return 0;
}

/* ---- replay ------------------------------------------------------------ */

struct replay {
	struct cloister_evidence_result *res;
	size_t		 nws;		/* started, all of them */
	char		(*ids)[WS_ID_LEN + 1];	/* every id started */
	int		*ended;
};

static int
find_ws(const struct replay *p, const char *id)
{
	for (size_t i = 0; i < p->nws; i++)
		if (strcmp(p->ids[i], id) == 0)
			return (int)i;
	return -1;
}

/* The event's digest recomputed; its id into id; name for messages. */
static int
event_digest(struct replay *p, const json_t *ev, size_t i, uint8_t e[48],
    char *name, char *why, size_t whylen)
{
	const char *t = json_string_value(json_object_get(ev, "type"));
	char detail[CLOISTER_DETAIL_MAX], id[WS_ID_LEN + 1], *canon = NULL;
	size_t len;
	int r, w;

	if (strcmp(t, RTMR3_TYPE_STOP) == 0) {
		snprintf(id, sizeof(id), "%s", json_string_value(
		    json_object_get(ev, "id")));
		snprintf(name, NAME_MAX_LEN, "rtmr3_events[%zu] (%s %s)", i,
		    t, id);
		if ((w = find_ws(p, id)) < 0 || p->ended[w])
			return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why,
			    whylen, "%s stops a workspace the log has not "
			    "started, or stopped already", name);
		p->ended[w] = 1;
		return ws_stop_digest(id, e);
	}
	detail[0] = '\0';
	if ((r = ws_manifest_canon_json(json_object_get(ev, "manifest"), NULL,
	    &canon, &len, detail, sizeof(detail))) != 0) {
		snprintf(name, NAME_MAX_LEN, "rtmr3_events[%zu] (%s)", i, t);
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "%s: %s", name, detail);
	}
	r = ws_manifest_digest(canon, len, e);
	if (r == 0)
		r = ws_manifest_id(canon, len, id);
	free(canon);
	if (r != 0)
		return r;
	snprintf(name, NAME_MAX_LEN, "rtmr3_events[%zu] (%s %s)", i, t, id);
	if (find_ws(p, id) >= 0)
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "%s starts a workspace the log started already", name);
	memcpy(p->ids[p->nws], id, sizeof(id));
	return 0;
}

/* Record a start in the result's list (its first CLOISTER_EVIDENCE_WS_MAX). */
static void
note_start(struct replay *p, const uint8_t e[48])
{
	struct cloister_evidence_result *res = p->res;

	if (p->nws < CLOISTER_EVIDENCE_WS_MAX) {
		snprintf(res->workspaces[p->nws].id,
		    sizeof(res->workspaces[p->nws].id), "%s", p->ids[p->nws]);
		memcpy(res->workspaces[p->nws].digest, e, 48);
	}
	p->nws++;
}

static int
mismatch(size_t n, const uint8_t value[48], const uint8_t quoted[48],
    const char *first_extra, char *why, size_t whylen)
{
	char a[17], b[17];

	util_hex_encode(value, 8, a);
	util_hex_encode(quoted, 8, b);
	if (n == 0)
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "the quote's RTMR3 is %s..., not zero, but the bundle logs "
		    "no event: something was measured that the log omits", b);
	if (util_is_zero(quoted, 48))
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "the log has %zu events but the quote's RTMR3 is zero: "
		    "none of them was measured", n);
	if (first_extra != NULL)
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "%s and what follows are not in the quote's RTMR3 (the "
		    "events before it replay to it)", first_extra);
	return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
	    "the %zu events replay to RTMR3 %s..., the quote's is %s...: an "
	    "event is missing, reordered or altered", n, a, b);
}

int
rtmr3_replay(const json_t *events, const uint8_t quoted[48],
    struct cloister_evidence_result *res, char *why, size_t whylen)
{
	struct replay p = { res, 0, NULL, NULL };
	size_t n = json_array_size(events), i;
	char name[NAME_MAX_LEN], extra[NAME_MAX_LEN] = "";
	uint8_t value[48], e[48], given[48];
	const json_t *ev, *d;
	int r = 0;

	memset(value, 0, sizeof(value));
	res->rtmr3_nevents = n;
	res->nworkspaces = 0;
	if (n > 0 && ((p.ids = calloc(n, sizeof(*p.ids))) == NULL ||
	    (p.ended = calloc(n, sizeof(*p.ended))) == NULL)) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ev = json_array_get(events, i);
		if ((r = event_digest(&p, ev, i, e, name, why, whylen)) != 0)
			goto out;
		d = json_object_get(ev, "digest");
		if (util_hex_decode_exact(json_string_value(d),
		    json_string_length(d), given, sizeof(given)) != 0 ||
		    memcmp(given, e, sizeof(e)) != 0) {
			r = util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why,
			    whylen, "%s: its digest is not the SHA-384 of its "
			    "%s", name, json_object_get(ev, "id") != NULL ?
			    "id" : "manifest");
			goto out;
		}
		if (json_object_get(ev, "manifest") != NULL)
			note_start(&p, e);
		/* The first event after a prefix that already matched. */
		if (extra[0] == '\0' && i > 0 && memcmp(value, quoted,
		    48) == 0)
			memcpy(extra, name, sizeof(extra));
		if ((r = ws_rtmr_extend(value, e)) != 0)
			goto out;
	}
	if (memcmp(value, quoted, 48) != 0)
		r = mismatch(n, value, quoted, extra[0] ? extra : NULL, why,
		    whylen);
 out:
	res->nworkspaces = p.nws;
	for (i = 0; i < p.nws && i < CLOISTER_EVIDENCE_WS_MAX; i++)
		res->workspaces[i].ended = p.ended[i];
	free(p.ids);
	free(p.ended);
	return r;
}
