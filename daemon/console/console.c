/*
 * The console's door (console.h): its files, sign-in, sessions, CSRF, and
 * who may call which part of the admin API.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cloister/error.h"
#include "console.h"
#include "console_int.h"
#include "crypto.h"
#include "ratelimit.h"
#include "util.h"

#define FILE_MAX	(2u * 1024 * 1024)
#define LOGIN_MAX	1024	/* bytes of a sign-in body */

struct csess {
	int		 used;
	char		 token[CONSOLE_TOKEN_HEX + 1];
	char		 csrf[CONSOLE_TOKEN_HEX + 1];
	char		 key_id[LEDGER_ID_MAX];
	int		 admin;
	uint64_t	 used_ns;
};

struct console {
	struct gw	*gw;
	struct csess	 s[CONSOLE_SESSIONS_MAX];
	/* Failed sign-ins and refused keys, per client address and per key
	 * id: one caller's failures lock out that caller, not every
	 * administrator. */
	struct ratelimit *fail_addr;
	struct ratelimit *fail_key;
};

#define FAILURES_MAX	10	/* failures a minute, then 429 */
#define FAILURE_WINDOW_S 60
#define FAILURE_SLOTS	1024	/* addresses and keys remembered */

/* ---- replies -------------------------------------------------------------- */

/* Headers every console and API answer carries: no framing, no sniffing,
 * no caching, scripts and styles from here only. */
static void
security_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", "default-src 'self'; "
	    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
	    "form-action 'self'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

void
admin_json(struct evhttp_request *req, int status, json_t *o)
{
	security_headers(req);
	httpd_send_json(req, status, o, JSON_COMPACT);
}

void
admin_error(struct evhttp_request *req, int status, const char *code,
    const char *msg)
{
	admin_json(req, status, json_pack("{s:{s:s,s:s}}", "error", "code",
	    code, "message", msg));
}

/* ---- files ---------------------------------------------------------------- */

static const char *
content_type(const char *name)
{
	static const char *const t[][2] = { { ".html", "text/html; "
	    "charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
	    { ".css", "text/css; charset=utf-8" }, { ".svg", "image/svg+xml" },
	    { ".png", "image/png" }, { ".ico", "image/x-icon" } };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t k = strlen(t[i][0]);

		if (n > k && strcmp(name + n - k, t[i][0]) == 0)
			return t[i][1];
	}
	return NULL;
}

/* One of the console's files: a plain name (no directories, no dot
 * first), with a known type. */
static void
serve_file(struct console *c, struct evhttp_request *req, const char *name)
{
	char path[GW_PATH_MAX + 96];
	const char *type = content_type(name);
	struct evbuffer *b;
	uint8_t *buf;
	size_t len;

	if (type == NULL || name[0] == '.' || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    strlen(name)) {
		admin_error(req, 404, "not_found", "no such console file");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", c->gw->cfg.console_dir, name);
	if (util_read_file(path, FILE_MAX, &buf, &len) != 0) {
		admin_error(req, 404, "not_found", "no such console file");
		return;
	}
	if ((b = evbuffer_new()) != NULL && evbuffer_add(b, buf, len) == 0) {
		security_headers(req);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", type);
		evhttp_send_reply(req, 200, NULL, b);
	} else
		evhttp_send_error(req, 500, NULL);
	if (b != NULL)
		evbuffer_free(b);
	free(buf);
}

/* ---- sessions ------------------------------------------------------------- */

static int
random_hex(char out[CONSOLE_TOKEN_HEX + 1])
{
	uint8_t b[CONSOLE_TOKEN_HEX / 2];

	if (crypto_random(b, sizeof(b)) != 0)
		return -1;
	util_hex_encode(b, sizeof(b), out);
	util_wipe(b, sizeof(b));
	return 0;
}

static int
expired(const struct console *c, const struct csess *s)
{
	return util_now_ns() - s->used_ns >
	    (uint64_t)c->gw->cfg.console_idle_s * 1000000000;
}

static void
drop(struct csess *s)
{
	util_wipe(s, sizeof(*s));
}

/* The session a cookie names, when it is live. */
static struct csess *
from_cookie(struct console *c, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Cookie"), *p;
	char tok[CONSOLE_TOKEN_HEX + 1];
	struct csess *found = NULL;
	size_t n = strlen(CONSOLE_COOKIE);

	for (p = h; p != NULL && (p = strstr(p, CONSOLE_COOKIE)) != NULL;
	    p += n)
		if ((p == h || p[-1] == ' ' || p[-1] == ';') && p[n] == '=')
			break;
	if (p == NULL || strspn(p + n + 1, "0123456789abcdef") !=
	    CONSOLE_TOKEN_HEX)
		return NULL;
	memcpy(tok, p + n + 1, CONSOLE_TOKEN_HEX);
	tok[CONSOLE_TOKEN_HEX] = '\0';
	for (size_t i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		struct csess *s = &c->s[i];

		/* Every slot compared, in constant time. */
		if (s->used && util_ct_eq(s->token, tok, CONSOLE_TOKEN_HEX))
			found = s;
	}
	if (found != NULL && expired(c, found)) {
		drop(found);
		found = NULL;
	}
	if (found != NULL)
		found->used_ns = util_now_ns();
	return found;
}

static void
set_cookie(struct console *c, struct evhttp_request *req, const char *tok,
    int clear)
{
	char v[CONSOLE_TOKEN_HEX + 160];

	snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
	    CONSOLE_COOKIE, clear ? "" : tok, c->gw->tls != NULL ? "; Secure" :
	    "", clear ? "; Max-Age=0" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", v);
}

static struct csess *
session_new(struct console *c)
{
	struct csess *slot = NULL;

	for (size_t i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
		struct csess *s = &c->s[i];

		if (s->used && expired(c, s))
			drop(s);
		if (!s->used && slot == NULL)
			slot = s;
	}
	if (slot == NULL)	/* full: the least recently used goes */
		for (size_t i = 0; i < CONSOLE_SESSIONS_MAX; i++)
			if (slot == NULL || c->s[i].used_ns < slot->used_ns)
				slot = &c->s[i];
	drop(slot);
	if (random_hex(slot->token) != 0 || random_hex(slot->csrf) != 0) {
		drop(slot);
		return NULL;
	}
	slot->used = 1;
	slot->used_ns = util_now_ns();
	return slot;
}

static json_t *
session_json(const struct console *c, const struct csess *s)
{
	return json_pack("{s:s,s:s,s:s,s:i}", "key_id", s->key_id, "scope",
	    s->admin ? "admin" : "read", "csrf", s->csrf, "idle_s",
	    (int)c->gw->cfg.console_idle_s);
}

/* The key in a body {"key": "..."} or an Authorization header: the
 * caller when it is an admin or read key. */
static int
check_key(struct console *c, const char *key, size_t len,
    struct console_caller *who)
{
	struct ledger_key k;

	if (ledger_key_auth(c->gw->ledger, key, len, &k) != 0)
		return 401;
	snprintf(who->key_id, sizeof(who->key_id), "%s", k.id);
	if (strcmp(k.scope, "admin") != 0 && strcmp(k.scope, "read") != 0)
		return 403;
	who->admin = strcmp(k.scope, "admin") == 0;
	return 0;
}

/* The address the request came from: the throttle's name for a caller
 * (behind a reverse proxy, every caller is the proxy's). */
static void
peer(struct evhttp_request *req, char *out, size_t cap)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port;

	if (conn != NULL)
		evhttp_connection_get_peer(conn, &addr, &port);
	snprintf(out, cap, "%s", addr != NULL ? addr : "?");
}

/* Too many failures from this address, or for this key: 429. */
static int
throttled(struct console *c, struct evhttp_request *req, const char *addr,
    const char *key_id)
{
	int64_t now = (int64_t)time(NULL), wait;
	char s[24];

	wait = ratelimit_retry_after(c->fail_addr, addr, now);
	if (key_id != NULL && key_id[0] != '\0' &&
	    ratelimit_retry_after(c->fail_key, key_id, now) > wait)
		wait = ratelimit_retry_after(c->fail_key, key_id, now);
	if (wait <= 0)
		return 0;
	snprintf(s, sizeof(s), "%lld", (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", s);
	admin_error(req, 429, "slow_down", "too many failed sign-ins or "
	    "refused keys from here; wait a minute");
	return 1;
}

/* A key refused (st: 401 or 403): counted against the address, and
 * against the key when it exists. */
static void
failed(struct console *c, const char *addr, const struct console_caller *who,
    int st)
{
	int64_t now = (int64_t)time(NULL);

	ratelimit_take(c->fail_addr, addr, now);
	if (st == 403 && who->key_id[0] != '\0')
		ratelimit_take(c->fail_key, who->key_id, now);
}

static void
sign_in(struct console *c, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct console_caller who;
	char body[LOGIN_MAX + 1], addr[64];
	struct csess *s;
	json_t *o = NULL;
	const char *key;
	int st;

	memset(&who, 0, sizeof(who));
	peer(req, addr, sizeof(addr));
	if (throttled(c, req, addr, NULL))
		return;
	if (len > LOGIN_MAX || evbuffer_remove(in, body, len) != (int)len) {
		admin_error(req, 413, "too_large", "a sign-in is a key");
		return;
	}
	body[len] = '\0';
	if ((o = json_loads(body, 0, NULL)) == NULL ||
	    (key = json_string_value(json_object_get(o, "key"))) == NULL) {
		util_wipe(body, len);
		json_decref(o);
		admin_error(req, 400, "invalid_json", "send {\"key\": \"sk-clo-"
		    "...\"}");
		return;
	}
	st = check_key(c, key, strlen(key), &who);
	util_wipe(body, len);
	json_decref(o);
	if (st != 0)
		failed(c, addr, &who, st);
	if (throttled(c, req, addr, who.key_id))
		return;
	if (st != 0) {
		fprintf(stderr, "cloister: console: sign-in refused (%s)\n",
		    st == 401 ? "unknown or revoked key" : "not an admin or read "
		    "key");
		admin_error(req, st, st == 401 ? "invalid_key" : "forbidden",
		    st == 401 ? "the key is unknown or revoked" : "only admin "
		    "and read keys may sign in");
		return;
	}
	if ((s = session_new(c)) == NULL) {
		admin_error(req, 500, "internal", "no randomness");
		return;
	}
	snprintf(s->key_id, sizeof(s->key_id), "%s", who.key_id);
	s->admin = who.admin;
	fprintf(stderr, "cloister: console: %s signed in (%s)\n", s->key_id,
	    s->admin ? "admin" : "read");
	set_cookie(c, req, s->token, 0);
	admin_json(req, 200, session_json(c, s));
}

/* ---- the door ------------------------------------------------------------- */

static int
csrf_ok(struct evhttp_request *req, const struct csess *s)
{
	const char *t = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "X-CSRF-Token");

	return t != NULL && strlen(t) == CONSOLE_TOKEN_HEX &&
	    util_ct_eq(t, s->csrf, CONSOLE_TOKEN_HEX);
}

/* A script's key (Authorization: Bearer): 0 and who, or -1 after the
 * refusal (401, 403, or 429 when this address or key is throttled). */
static int
bearer(struct console *c, struct evhttp_request *req, const char *key,
    struct console_caller *who)
{
	char addr[64];
	int st;

	peer(req, addr, sizeof(addr));
	if (throttled(c, req, addr, NULL))
		return -1;
	if ((st = check_key(c, key, strlen(key), who)) != 0)
		failed(c, addr, who, st);
	if (throttled(c, req, addr, who->key_id))
		return -1;
	if (st != 0) {
		admin_error(req, st, st == 401 ? "invalid_key" : "forbidden",
		    st == 401 ? "the key is unknown or revoked" : "only admin "
		    "and read keys may use the admin API");
		return -1;
	}
	return 0;
}

static void
api(struct console *c, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Authorization");
	int change = cmd != EVHTTP_REQ_GET;
	struct console_caller who;
	struct csess *s = NULL;

	if (strcmp(rest, "session") == 0 && cmd == EVHTTP_REQ_POST) {
		sign_in(c, req);
		return;
	}
	memset(&who, 0, sizeof(who));
	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0) {
		if (bearer(c, req, auth + 7, &who) != 0)
			return;
	} else if ((s = from_cookie(c, req)) != NULL) {
		snprintf(who.key_id, sizeof(who.key_id), "%s", s->key_id);
		who.admin = s->admin;
		if (change && !csrf_ok(req, s)) {
			admin_error(req, 403, "csrf", "the X-CSRF-Token header "
			    "is missing or wrong");
			return;
		}
	} else {
		admin_error(req, 401, "signed_out", "sign in first");
		return;
	}
	if (strcmp(rest, "session") == 0) {
		if (cmd == EVHTTP_REQ_DELETE && s != NULL) {
			fprintf(stderr, "cloister: console: %s signed out\n",
			    s->key_id);
			drop(s);
			set_cookie(c, req, "", 1);
			admin_json(req, 200, json_pack("{s:b}", "signed_out", 1));
		} else if (cmd == EVHTTP_REQ_GET && s != NULL)
			admin_json(req, 200, session_json(c, s));
		else if (cmd == EVHTTP_REQ_GET)
			admin_json(req, 200, json_pack("{s:s,s:s}", "key_id",
			    who.key_id, "scope", who.admin ? "admin" : "read"));
		else
			admin_error(req, 405, "method", "GET, POST or DELETE");
		return;
	}
	if (change && !who.admin) {
		admin_error(req, 403, "read_only", "this key may look, not "
		    "change");
		return;
	}
	admin_api(c->gw, req, rest, &who);
}

void
console_route(struct console *c, struct evhttp_request *req,
    const char *path)
{
	if (strncmp(path, "/admin/api/", 11) == 0) {
		api(c, req, path + 11);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		admin_error(req, 405, "method", "the console's files are read "
		    "with GET");
		return;
	}
	if (strcmp(path, "/console") == 0 || strcmp(path, "/console/") == 0)
		serve_file(c, req, "index.html");
	else
		serve_file(c, req, path + strlen("/console/"));
}

int
console_new(struct gw *gw, struct console **out)
{
	struct console *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CLOISTER_ERR_ALLOC;
	c->gw = gw;
	if ((c->fail_addr = ratelimit_new(FAILURE_SLOTS, FAILURES_MAX,
	    FAILURE_WINDOW_S)) == NULL || (c->fail_key = ratelimit_new(
	    FAILURE_SLOTS, FAILURES_MAX, FAILURE_WINDOW_S)) == NULL) {
		console_free(c);
		return CLOISTER_ERR_ALLOC;
	}
	*out = c;
	return 0;
}

void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	util_wipe(c->s, sizeof(c->s));
	ratelimit_free(c->fail_addr);
	ratelimit_free(c->fail_key);
	free(c);
}
