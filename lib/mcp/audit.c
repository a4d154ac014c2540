/*
 * The audit log (audit.h).  Every line holds "prev", the SHA-256 of the
 * exact bytes of the line before it, so changing, removing or reordering
 * a line breaks the next one; a checkpoint line signs (ECDSA P-256, the
 * instance key)
 *   SHA-256("cloister-audit-checkpoint/1" 0x00 || kind 0x00 || time 0x00
 *           || seq (u64, big endian) || prev (32) || evidence id (32))
 * (docs/FORMATS.md §11)
 * so the chain up to it is vouched for by the key the evidence binds; a
 * log must end with a checkpoint, so cutting its tail shows too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit.h"
#include "cloister/error.h"
#include "crypto.h"
#include "json_out.h"
#include "util.h"

#define LINE_MAX_BYTES	(1024u * 1024)

struct audit_log {
	int		 fd;
	const struct identity *id;
	uint64_t	 seq;
	uint8_t		 prev[32];
	uint8_t		 evidence[32];
	char		 evidence_hex[65];
	int		 sealing;
	uint8_t		 auditor[AUDIT_KEY_LEN];
};

void
audit_set_auditor(struct audit_log *l, const uint8_t pk[AUDIT_KEY_LEN])
{
	memcpy(l->auditor, pk, AUDIT_KEY_LEN);
	l->sealing = 1;
}

/* base64 of crypto_box_seal(payload) to the auditor, or NULL. */
static json_t *
sealed_json(const struct audit_log *l, const struct audit_entry *e)
{
	uint8_t *box;
	char *b64;
	size_t blen, n;
	json_t *j = NULL;

	if (!l->sealing || e->payload == NULL || sodium_init() < 0)
		return NULL;
	blen = e->payload_len + crypto_box_SEALBYTES;
	if ((box = malloc(blen)) == NULL)
		return NULL;
	if (crypto_box_seal(box, e->payload, e->payload_len, l->auditor) == 0 &&
	    util_base64_encode(box, blen, &b64, &n) == 0) {
		j = json_stringn(b64, n);
		free(b64);
	}
	free(box);
	return j;
}

static int
write_line(struct audit_log *l, json_t *o)
{
	char *s;
	size_t n;
	ssize_t w;
	int r = 0;

	if (o == NULL || (s = json_dumps(o, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		return CLOISTER_ERR_ALLOC;
	}
	json_decref(o);
	n = strlen(s);
	crypto_sha256(s, n, l->prev);
	s[n] = '\n';	/* json_dumps leaves room: the NUL becomes it */
	/* One write of the whole line: O_APPEND keeps lines whole. */
	do
		w = write(l->fd, s, n + 1);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)(n + 1))
		r = CLOISTER_ERR_IO;
	free(s);
	if (r == 0)
		l->seq++;
	return r;
}

int
audit_append_egress(struct audit_log *l, const struct audit_egress *e,
    int64_t now)
{
	json_t *f = json_array(), *o;

	for (size_t i = 0; i < e->nfindings && i < AUDIT_FINDINGS_MAX; i++)
		json_array_append_new(f, json_pack("{s:s,s:I,s:s}", "rule",
		    e->findings[i].rule, "count",
		    (json_int_t)e->findings[i].count, "action",
		    e->findings[i].action));
	o = json_pack("{s:I,s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s?,"
	    "s:s?,s:o,s:I,s:I,s:I}",
	    "seq", (json_int_t)l->seq, "kind", "entry", "time", jx_time(now),
	    "prev", jx_hex(l->prev, 32), "direction", "egress", "workspace",
	    e->workspace, "key_id", e->key_id, "request", e->request, "host",
	    e->host, "port", (json_int_t)e->port, "decision", e->decision,
	    "rule", e->rule, "reason", e->reason, "findings", f, "bytes_up",
	    (json_int_t)e->bytes_up, "bytes_down", (json_int_t)e->bytes_down,
	    "duration_us", (json_int_t)e->duration_us);
	return write_line(l, o);
}

/* What a checkpoint signs: every field of its own line but the
 * signature, and through prev the whole log before it. */
static void
checkpoint_digest(const char *kind, const char *time, uint64_t seq,
    const uint8_t prev[32], const uint8_t evidence[32], uint8_t out[32])
{
	uint8_t m[sizeof(AUDIT_CHECKPOINT_LABEL) + 16 + 40 + 8 + 64];
	size_t o = sizeof(AUDIT_CHECKPOINT_LABEL), kl = strlen(kind) + 1,
	    tl = strlen(time) + 1;

	if (kl > 16 || tl > 40) {
		memset(out, 0, 32);
		return;
	}
	memcpy(m, AUDIT_CHECKPOINT_LABEL, o);
	memcpy(m + o, kind, kl);
	o += kl;
	memcpy(m + o, time, tl);
	o += tl;
	for (int i = 7; i >= 0; i--)
		m[o++] = (uint8_t)(seq >> (8 * i));
	memcpy(m + o, prev, 32);
	memcpy(m + o + 32, evidence, 32);
	crypto_sha256(m, o + 64, out);
}

int
audit_open(const char *path, const struct identity *id,
    const char evidence_id[65], int64_t now, struct audit_log **out,
    char *why, size_t whylen)
{
	struct audit_log *l;
	uint8_t pub[IDENTITY_PUB_LEN];
	int r;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return CLOISTER_ERR_ALLOC;
	l->id = id;
	snprintf(l->evidence_hex, sizeof(l->evidence_hex), "%s", evidence_id);
	if (util_hex_decode_exact(evidence_id, strlen(evidence_id),
	    l->evidence, 32) != 0) {
		free(l);
		return CLOISTER_ERR_INVALID_ARG;
	}
	if ((l->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC, 0600)) < 0) {
		r = util_fail(CLOISTER_ERR_IO, why, whylen, "audit log %s: %s",
		    path, strerror(errno));
		free(l);
		return r;
	}
	identity_public(id, pub);
	if ((r = write_line(l, json_pack("{s:I,s:s,s:s,s:o,s:o,s:s,s:o}",
	    "seq", (json_int_t)0, "kind", "start", "format", AUDIT_FORMAT,
	    "time", jx_time(now), "key", jx_hex(pub, sizeof(pub)),
	    "evidence", evidence_id, "prev", jx_hex((const uint8_t[32]){ 0 },
	    32)))) != 0) {
		close(l->fd);
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

int
audit_append(struct audit_log *l, const struct audit_entry *e, int64_t now)
{
	json_t *f = json_array();

	for (size_t i = 0; i < e->nfindings && i < AUDIT_FINDINGS_MAX; i++)
		json_array_append_new(f, json_pack("{s:s,s:I,s:s}", "rule",
		    e->findings[i].rule, "count",
		    (json_int_t)e->findings[i].count, "action",
		    e->findings[i].action));
	json_t *o, *sealed = sealed_json(l, e);

	o = json_pack("{s:I,s:s,s:o,s:o,s:s,s:s,s:s,s:s,"
	    "s:{s:s,s:s,s:s},s:s,s:s?,s:o,s:o,s:s,s:I}",
	    "seq", (json_int_t)l->seq, "kind", "entry", "time", jx_time(now),
	    "prev", jx_hex(l->prev, 32), "direction", e->direction,
	    "era", e->era != NULL ? e->era : "unknown", "session", e->session, "key_id", e->key_id,
	    "server", "id", e->server_id, "trust", e->trust, "target",
	    e->target, "method", e->method, "tool", e->tool,
	    "findings", f, "payload_sha256", jx_hex(e->payload_sha256, 32),
	    "outcome", e->outcome, "latency_us", (json_int_t)e->latency_us);
	if (l->sealing && e->payload != NULL && sealed == NULL) {
		json_decref(o);
		return CLOISTER_ERR_INTERNAL;	/* never an unsealed entry */
	}
	if (o != NULL && e->reason != NULL && e->reason[0] != '\0')
		json_object_set_new(o, "reason", json_string(e->reason));
	if (o != NULL && e->workspace != NULL)
		json_object_set_new(o, "workspace", json_string(e->workspace));
	if (o != NULL && sealed != NULL)
		json_object_set_new(o, "sealed", sealed);
	else
		json_decref(sealed);
	return write_line(l, o);
}

static int
sign_line(struct audit_log *l, const char *kind, int64_t now)
{
	char t[UTIL_TIME_STR_LEN];
	uint8_t d[32], sig[IDENTITY_SIG_LEN];
	int r;

	util_format_time(now, t);
	checkpoint_digest(kind, t, l->seq, l->prev, l->evidence, d);
	if ((r = identity_sign(l->id, d, sizeof(d), sig)) != 0 ||
	    (r = write_line(l, json_pack("{s:I,s:s,s:s,s:o,s:o}", "seq",
	    (json_int_t)l->seq, "kind", kind, "time", t, "prev",
	    jx_hex(l->prev, 32), "sig", jx_hex(sig, sizeof(sig))))) != 0)
		return r;
	return fdatasync(l->fd) == 0 ? 0 : CLOISTER_ERR_IO;
}

int
audit_checkpoint(struct audit_log *l, int64_t now)
{
	return sign_line(l, "checkpoint", now);
}

int
audit_close(struct audit_log *l, int64_t now)
{
	int r;

	if (l == NULL)
		return 0;
	r = sign_line(l, "close", now);
	if (close(l->fd) != 0 && r == 0)
		r = CLOISTER_ERR_IO;
	free(l);
	return r;
}

/* ---- verification --------------------------------------------------------- */

static int bad(struct audit_verdict *, size_t, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
bad(struct audit_verdict *v, size_t line, int code, const char *fmt, ...)
{
	va_list ap;

	v->ok = 0;
	v->bad_line = line;
	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	return code;
}

static int
hex_field(json_t *o, const char *k, uint8_t *out, size_t n)
{
	json_t *s = json_object_get(o, k);

	return json_is_string(s) && util_hex_decode_exact(json_string_value(s),
	    json_string_length(s), out, n) == 0 ? 0 : -1;
}

static int
check_line(json_t *o, size_t i, const uint8_t prev[32], const uint8_t *pub,
    struct audit_verdict *v, uint8_t evidence[32], int *checkpoint)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *time = json_string_value(json_object_get(o, "time"));
	uint8_t p[32], sig[64], d[32];
	json_t *seq = json_object_get(o, "seq");
	struct ec_pubkey *k = NULL;
	char num[32];
	int r;

	snprintf(num, sizeof(num), "%zu", i);
	*checkpoint = 0;
	if (!json_is_integer(seq) || json_integer_value(seq) != (json_int_t)i)
		return bad(v, i + 1, CLOISTER_ERR_BAD_FIELD, "line %zu: its "
		    "sequence number is out of place: a line was removed, "
		    "added or moved here", i + 1);
	if (hex_field(o, "prev", p, 32) != 0 || memcmp(p, prev, 32) != 0)
		return bad(v, i, CLOISTER_ERR_BINDING, "line %zu was changed: "
		    "line %zu does not chain to it", i, i + 1);
	if (kind == NULL || (i == 0) != (strcmp(kind, "start") == 0))
		return bad(v, i + 1, CLOISTER_ERR_BAD_FIELD, "line %s: kind "
		    "is not what its place requires", num);
	if (i == 0) {
		if (hex_field(o, "key", v->public_key, 64) != 0 ||
		    hex_field(o, "evidence", evidence, 32) != 0)
			return bad(v, 1, CLOISTER_ERR_BAD_FIELD, "line %s: the "
			    "start line lacks the key or the evidence", "0");
		if (pub != NULL && memcmp(pub, v->public_key, 64) != 0)
			return bad(v, 1, CLOISTER_ERR_BINDING, "line %s: the "
			    "log was started by another key than the "
			    "evidence's", "0");
		util_hex_encode(evidence, 32, v->evidence_id);
		return 0;
	}
	if (strcmp(kind, "checkpoint") != 0 && strcmp(kind, "close") != 0)
		return strcmp(kind, "entry") == 0 ? 0 : bad(v, i + 1,
		    CLOISTER_ERR_BAD_FIELD, "line %s: unknown kind", num);
	*checkpoint = strcmp(kind, "close") == 0 ? 2 : 1;
	if (json_object_size(o) != 5 || time == NULL)
		return bad(v, i + 1, CLOISTER_ERR_BAD_FIELD, "line %s: a "
		    "checkpoint has exactly seq, kind, time, prev and sig", num);
	checkpoint_digest(kind, time, (uint64_t)i, prev, evidence, d);
	if (hex_field(o, "sig", sig, 64) != 0 ||
	    crypto_p256_pubkey_from_raw(v->public_key, &k) != 0)
		return bad(v, i + 1, CLOISTER_ERR_BAD_FIELD, "line %s: "
		    "checkpoint without a usable signature or key", num);
	r = crypto_ecdsa_p256_verify(k, d, sizeof(d), sig);
	crypto_pubkey_free(k);
	if (r != 0)
		return bad(v, i + 1, CLOISTER_ERR_SIGNATURE, "line %s: the "
		    "checkpoint's signature does not verify", num);
	return 0;
}

int
audit_verify(const uint8_t *buf, size_t len, const uint8_t *pub, int live,
    struct audit_verdict *v)
{
	uint8_t prev[32] = { 0 }, evidence[32] = { 0 };
	const uint8_t *p = buf, *nl, *end = buf + len;
	int checkpoint = 0, r;
	json_t *o;

	memset(v, 0, sizeof(*v));
	v->ok = 1;
	for (size_t i = 0; p < end; i++) {
		char num[32];

		snprintf(num, sizeof(num), "%zu", i);
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return bad(v, i + 1, CLOISTER_ERR_TRUNCATED, "line %s: "
			    "cut off (no newline): the log was truncated", num);
		o = (size_t)(nl - p) > LINE_MAX_BYTES ? NULL :
		    json_loadb((const char *)p, (size_t)(nl - p),
		    JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			return bad(v, i + 1, CLOISTER_ERR_BAD_JSON, "line %s: "
			    "not a JSON object", num);
		}
		if (checkpoint == 2)
			return bad(v, i + 1, CLOISTER_ERR_TRAILING_DATA, "line "
			    "%zu follows the closing checkpoint", i + 1);
		r = check_line(o, i, prev, pub, v, evidence, &checkpoint);
		json_decref(o);
		if (r != 0)
			return r;
		crypto_sha256(p, (size_t)(nl - p), prev);
		v->entries++;
		v->checkpoints += checkpoint != 0;
		p = nl + 1;
	}
	if (v->entries == 0)
		return bad(v, 1, CLOISTER_ERR_TRUNCATED, "%s", "the log is "
		    "empty");
	if (checkpoint == 0 || (checkpoint == 1 && !live))
		return bad(v, v->entries + 1, CLOISTER_ERR_TRUNCATED, "the log "
		    "ends after line %zu without its closing checkpoint: "
		    "truncated, or its writer has not closed it (a live log: "
		    "--open)", v->entries);
	v->closed = checkpoint == 2;
	return 0;
}

int
audit_open_sealed(const uint8_t *buf, size_t len,
    const uint8_t sk[AUDIT_KEY_LEN],
    void (*cb)(size_t line, const uint8_t *p, size_t n, void *arg),
    void *arg, size_t *nopened, size_t *nfailed)
{
	uint8_t pk[AUDIT_KEY_LEN], *box, *plain;
	const uint8_t *p = buf, *nl, *end = buf + len;
	size_t blen;
	json_t *o, *s;

	*nopened = *nfailed = 0;
	if (sodium_init() < 0)
		return CLOISTER_ERR_INTERNAL;
	crypto_scalarmult_base(pk, sk);
	for (size_t line = 1; p < end; line++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		o = json_loadb((const char *)p, (size_t)(nl - p), 0, NULL);
		s = json_object_get(o, "sealed");
		if (!json_is_string(s)) {
			json_decref(o);
			continue;
		}
		if (util_base64_decode(json_string_value(s),
		    json_string_length(s), &box, &blen) != 0 ||
		    blen < crypto_box_SEALBYTES ||
		    (plain = malloc(blen - crypto_box_SEALBYTES + 1)) == NULL) {
			if (box != NULL)
				free(box);
			(*nfailed)++;
			json_decref(o);
			continue;
		}
		if (crypto_box_seal_open(plain, box, blen, pk, sk) == 0) {
			cb(line, plain, blen - crypto_box_SEALBYTES, arg);
			(*nopened)++;
		} else
			(*nfailed)++;
		util_wipe(plain, blen - crypto_box_SEALBYTES);
		free(plain);
		free(box);
		json_decref(o);
	}
	return 0;
}
