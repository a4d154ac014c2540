/*
 * bench_mcp: the MCP benchmark's two ends (bench/run-mcp).
 *
 *   bench_mcp server
 *	A minimal MCP server on stdio (newline-delimited JSON-RPC 2.0) with
 *	one tool, echo, answering as fast as a pipe allows.
 *   bench_mcp client N -- CMD [ARG]...
 *	Spawns CMD with its stdin and stdout on pipes (stderr inherited),
 *	does the MCP handshake, makes WARMUP calls to echo, then N timed
 *	sequential calls with a 1 KiB message; prints "p50_us=… p99_us=…".
 *	Every answer is checked (id, no error, the message echoed back
 *	intact); any failure is named on stderr and exits 1.
 *
 * Both ends read JSON with the library's strict scanner (json_span.h),
 * without a tree: a member of an object or an element of an array is the
 * exact bytes of its value inside the line, found by scanning the object
 * (or array) it is in, which must be valid JSON as a whole.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_span.h"
#include "stats.h"

#define MSG_MAX		(1024 * 1024)	/* longest line read */
#define OUT_MAX		(MSG_MAX + 512)	/* longest line written */
#define WARMUP		200
#define ANSWER_MS	30000	/* the client's patience, per line */
#define EXIT_MS		10000	/* and for the server to exit */
#define TOOL_MAX	128
#define PROTOCOL	"2025-06-18"

/* Fixed, secret-free source text: what an agent's write_file might carry. */
static const char message[] =
    "/* ring.c: a fixed-size byte ring between the reader and the relay. */\n"
    "#include <stddef.h>\n"
    "#include <string.h>\n"
    "\n"
    "#define RING_SIZE\t4096\n"
    "\n"
    "struct ring {\n"
    "\tunsigned char\tbuf[RING_SIZE];\n"
    "\tsize_t\t\thead, tail;\n"
    "};\n"
    "\n"
    "static size_t\n"
    "ring_used(const struct ring *r)\n"
    "{\n"
    "\treturn r->tail - r->head;\n"
    "}\n"
    "\n"
    "/* Copies n bytes in, or none: \"full\" makes the caller push back. */\n"
    "int\n"
    "ring_put(struct ring *r, const void *p, size_t n)\n"
    "{\n"
    "\tconst unsigned char *c = p;\n"
    "\n"
    "\tif (n > RING_SIZE - ring_used(r))\n"
    "\t\treturn -1;\n"
    "\tfor (size_t i = 0; i < n; i++)\n"
    "\t\tr->buf[(r->tail + i) % RING_SIZE] = c[i];\n"
    "\tr->tail += n;\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "size_t\n"
    "ring_get(struct ring *r, void *p, size_t n)\n"
    "{\n"
    "\tunsigned char *c = p;\n"
    "\tsize_t i;\n"
    "\n"
    "\tfor (i = 0; i < n && r->head < r->tail; i++)\n"
    "\t\tc[i] = r->buf[r->head++ % RING_SIZE];\n"
    "\treturn i;\n"
    "}\n"
    "\n"
    "void\n"
    "ring_dump(const struct ring *r, FILE *f)\n"
    "{\n"
    "\tfprintf(f, \"ring: %zu/%d bytes, head=%zu\\n\", ring_used(r),\n"
    "\t    RING_SIZE, r->head % RING_SIZE);\n"
    "\tif (ring_used(r) == 0)\n"
    "\t\tfputs(\"ring: empty \\\\ idle\\n\", f);\n"
    "}\n";

struct span {
	const char	*p;
	size_t		 n;
};

/* ---- a line reader ------------------------------------------------------ */

struct reader {
	int	 fd;
	int	 timeout_ms;		/* -1: wait forever */
	size_t	 start, len, scanned;
	char	 buf[MSG_MAX];
};

/*
 * The next line, without its newline (or CR LF), as a view into r->buf
 * that lives until the next call.  1: a line; 0: end of input; -1: an
 * error, a line longer than MSG_MAX or no input within r->timeout_ms.
 */
static int
read_line(struct reader *r, struct span *line)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	char *nl;
	ssize_t n;
	int pr;

	for (;;) {
		if ((nl = memchr(r->buf + r->scanned, '\n',
		    r->len - r->scanned)) != NULL) {
			line->p = r->buf + r->start;
			line->n = (size_t)(nl - line->p);
			if (line->n > 0 && line->p[line->n - 1] == '\r')
				line->n--;
			r->start = r->scanned = (size_t)(nl - r->buf) + 1;
			return 1;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->len - r->start);
			r->len -= r->start;
			r->start = 0;
		}
		r->scanned = r->len;
		if (r->len == sizeof(r->buf)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (r->timeout_ms >= 0) {
			while ((pr = poll(&pfd, 1, r->timeout_ms)) < 0 &&
			    errno == EINTR)
				;
			if (pr <= 0) {
				if (pr == 0)
					errno = ETIMEDOUT;
				return -1;
			}
		}
		do
			n = read(r->fd, r->buf + r->len,
			    sizeof(r->buf) - r->len);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return (int)n;
		r->len += (size_t)n;
	}
}

/* ---- reading JSON ------------------------------------------------------- */

/* The value of member key of object v, or -1 (absent, or v malformed). */
static int
member(struct span v, const char *key, struct span *out)
{
	size_t start, n;

	if (json_top_value(v.p, v.n, key, &start, &n) != 0)
		return -1;
	out->p = v.p + start;
	out->n = n;
	return 0;
}

/* Element i of array v, or -1 (absent, or v malformed). */
static int
element(struct span v, size_t i, struct span *out)
{
	size_t start, n;

	if (json_top_element(v.p, v.n, i, &start, &n) != 0)
		return -1;
	out->p = v.p + start;
	out->n = n;
	return 0;
}

static int
is_string(struct span v)
{
	return v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"';
}

static int
span_eq(struct span v, const char *s)
{
	return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

/* ---- an output line ----------------------------------------------------- */

struct out {
	char	 buf[OUT_MAX];
	size_t	 len;
	int	 overflow;
};

static void
put(struct out *o, const char *p, size_t n)
{
	if (n > sizeof(o->buf) - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
puts_out(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Writes the line with its newline; -1 if it did not fit or fd failed. */
static int
send_line(struct out *o, int fd)
{
	put(o, "\n", 1);
	if (o->overflow)
		errno = EMSGSIZE;
	return o->overflow ? -1 : stats_write_all(fd, o->buf, o->len);
}

/* Starts a response: {"jsonrpc":"2.0","id":ID, */
static void
start_reply(struct out *o, struct span id)
{
	o->len = 0;
	o->overflow = 0;
	puts_out(o, "{\"jsonrpc\":\"2.0\",\"id\":");
	put(o, id.p, id.n);
	put(o, ",", 1);
}

static void
error_reply(struct out *o, struct span id, const char *code, const char *msg)
{
	start_reply(o, id);
	puts_out(o, "\"error\":{\"code\":");
	puts_out(o, code);
	puts_out(o, ",\"message\":\"");
	puts_out(o, msg);
	puts_out(o, "\"}}");
}

/* ---- the server --------------------------------------------------------- */

static const char tools_list[] = "\"result\":{\"tools\":[{\"name\":\"echo\","
    "\"description\":\"Echoes its message.\",\"inputSchema\":{\"type\":"
    "\"object\",\"properties\":{\"message\":{\"type\":\"string\"}},"
    "\"required\":[\"message\"]}}]}}";

static void
initialize(struct out *o, struct span id, struct span params)
{
	struct span v = { "\"" PROTOCOL "\"", sizeof(PROTOCOL) + 1 };
	struct span asked;

	if (member(params, "protocolVersion", &asked) == 0 && is_string(asked))
		v = asked;
	start_reply(o, id);
	puts_out(o, "\"result\":{\"protocolVersion\":");
	put(o, v.p, v.n);
	puts_out(o, ",\"capabilities\":{\"tools\":{\"listChanged\":true}},"
	    "\"serverInfo\":{\"name\":\"bench-mcp\",\"version\":\"1\"}}}");
}

/*
 * The echoed text is the message's string token copied between its
 * quotes as it arrived: the escapes a valid JSON string already carries
 * are a correct encoding of the same text, so nothing is decoded or
 * re-escaped.  The token is valid: member() found it in a line that the
 * scanner checked as a whole.
 */
static void
call(struct out *o, struct span id, struct span params)
{
	struct span name, args, msg;

	if (member(params, "name", &name) != 0 || !span_eq(name, "\"echo\"")) {
		error_reply(o, id, "-32602", "Unknown tool");
		return;
	}
	if (member(params, "arguments", &args) != 0 ||
	    member(args, "message", &msg) != 0 || !is_string(msg)) {
		error_reply(o, id, "-32602", "message must be a string");
		return;
	}
	start_reply(o, id);
	puts_out(o, "\"result\":{\"content\":[{\"type\":\"text\",\"text\":");
	put(o, msg.p, msg.n);
	puts_out(o, "}]}}");
}

static int
server(void)
{
	static struct reader r;	/* too large for the stack */
	static struct out o;
	struct span line, id, method, params, version;
	struct span null = { "null", 4 };
	int n;

	r.fd = 0;
	r.timeout_ms = -1;

	while ((n = read_line(&r, &line)) > 0) {
		if (line.n == 0)
			continue;
		if (member(line, "method", &method) != 0) {
			/*
			 * A response (every JSON-RPC message names its
			 * version), or not JSON-RPC at all.
			 */
			if (member(line, "jsonrpc", &version) != 0) {
				error_reply(&o, null, "-32700", "Parse error");
				if (send_line(&o, 1) != 0)
					break;
			}
			continue;
		}
		if (member(line, "id", &id) != 0)
			continue;		/* a notification */
		if (member(line, "params", &params) != 0)
			params = (struct span){ "{}", 2 };
		if (span_eq(method, "\"initialize\""))
			initialize(&o, id, params);
		else if (span_eq(method, "\"tools/list\"")) {
			start_reply(&o, id);
			puts_out(&o, tools_list);
		} else if (span_eq(method, "\"tools/call\""))
			call(&o, id, params);
		else if (span_eq(method, "\"ping\"")) {
			start_reply(&o, id);
			puts_out(&o, "\"result\":{}}");
		} else
			error_reply(&o, id, "-32601", "Method not found");
		if (send_line(&o, 1) != 0) {
			perror("bench_mcp server: write");
			return 1;
		}
	}
	if (n < 0) {
		perror("bench_mcp server: read");
		return 1;
	}
	return 0;
}

/* ---- the client --------------------------------------------------------- */

struct client {
	pid_t		 pid;
	int		 to;		/* the server's stdin */
	struct reader	 from;		/* its stdout */
	struct out	 out;
	char		 tool[TOOL_MAX];
	char		 msg_json[2 * sizeof(message)]; /* escaped */
	char		 text[sizeof(message) + 4];	/* an answer */
};

static int
fail(const char *what)
{
	fprintf(stderr, "bench_mcp client: %s\n", what);
	return -1;
}

/* s as the inside of a JSON string; -1 if cap is too small. */
static int
escape(const char *s, char *dst, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	const char *e;
	char esc[7], one[2] = "";

	for (; *s != '\0'; s++) {
		e = NULL;
		if (*s == '"')
			e = "\\\"";
		else if (*s == '\\')
			e = "\\\\";
		else if (*s == '\n')
			e = "\\n";
		else if (*s == '\t')
			e = "\\t";
		else if (*s == '\r')
			e = "\\r";
		else if ((unsigned char)*s < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[(unsigned char)*s >> 4];
			esc[5] = hex[*s & 0xf];
			esc[6] = '\0';
			e = esc;
		}
		if (e == NULL) {
			one[0] = *s;
			e = one;
		}
		if (strlen(e) >= cap - o)
			return -1;
		memcpy(dst + o, e, strlen(e));
		o += strlen(e);
	}
	dst[o] = '\0';
	return 0;
}

static int
request(struct client *c, long id, const char *method, const char *params)
{
	char num[32];

	snprintf(num, sizeof(num), "%ld", id);
	c->out.len = 0;
	c->out.overflow = 0;
	puts_out(&c->out, "{\"jsonrpc\":\"2.0\",\"id\":");
	puts_out(&c->out, num);
	puts_out(&c->out, ",\"method\":\"");
	puts_out(&c->out, method);
	puts_out(&c->out, "\",\"params\":");
	puts_out(&c->out, params);
	puts_out(&c->out, "}");
	if (send_line(&c->out, c->to) != 0)
		return fail(errno == EPIPE ? "the server closed its input" :
		    strerror(errno));
	return 0;
}

/* Answers a request from the server: ping, or not found. */
static int
answer_server(struct client *c, struct span id, struct span method)
{
	if (span_eq(method, "\"ping\"")) {
		start_reply(&c->out, id);
		puts_out(&c->out, "\"result\":{}}");
	} else
		error_reply(&c->out, id, "-32601", "Method not found");
	return send_line(&c->out, c->to) == 0 ? 0 :
	    fail("the server closed its input");
}

/* The next response from the server, skipping its notifications. */
static int
next_response(struct client *c, struct span *line)
{
	struct span method, id;
	int n;

	for (;;) {
		if ((n = read_line(&c->from, line)) == 0)
			return fail("the server closed its output");
		if (n < 0)
			return fail(errno == ETIMEDOUT ? "no answer in time" :
			    strerror(errno));
		if (line->n == 0 || member(*line, "method", &method) != 0)
			return 0;
		if (member(*line, "id", &id) == 0 &&
		    answer_server(c, id, method) != 0)
			return -1;
	}
}

/* The result of a response to id, or -1 (an error, another id). */
static int
check_response(struct span line, long id, struct span *result)
{
	struct span got, err;
	char want[32];

	snprintf(want, sizeof(want), "%ld", id);
	if (member(line, "id", &got) != 0 || !span_eq(got, want)) {
		fprintf(stderr, "bench_mcp client: expected id %s: %.*s\n",
		    want, (int)(line.n > 512 ? 512 : line.n), line.p);
		return -1;
	}
	if (member(line, "error", &err) == 0) {
		fprintf(stderr, "bench_mcp client: error from the server: "
		    "%.*s\n", (int)(err.n > 512 ? 512 : err.n), err.p);
		return -1;
	}
	if (member(line, "result", result) != 0)
		return fail("a response without a result");
	return 0;
}

/*
 * Remembers the echo tool's name, escaped for a request: "echo", or a
 * gateway's "<prefix>echo" where the prefix ends in one of "_.-/:".
 */
static int
find_echo(struct client *c, struct span result)
{
	struct span tools, tool, name;
	char text[TOOL_MAX];
	size_t n;

	if (member(result, "tools", &tools) != 0)
		return fail("tools/list: no tools");
	for (size_t i = 0; element(tools, i, &tool) == 0; i++) {
		if (member(tool, "name", &name) != 0 ||
		    json_string_text(name.p, name.n, text, sizeof(text) - 1,
		    &n) != 0 || n < 4 ||
		    memcmp(text + n - 4, "echo", 4) != 0 ||
		    (n > 4 && memchr("_.-/:", text[n - 5], 5) == NULL))
			continue;
		text[n] = '\0';
		if (escape(text, c->tool, sizeof(c->tool)) != 0)
			continue;
		return 0;
	}
	return fail("tools/list: no echo tool");
}

static int
handshake(struct client *c)
{
	struct span line, result;

	if (request(c, 1, "initialize", "{\"protocolVersion\":\"" PROTOCOL
	    "\",\"capabilities\":{},\"clientInfo\":{\"name\":"
	    "\"bench-mcp-client\",\"version\":\"1\"}}") != 0 ||
	    next_response(c, &line) != 0 ||
	    check_response(line, 1, &result) != 0)
		return -1;
	c->out.len = 0;
	c->out.overflow = 0;
	puts_out(&c->out, "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"notifications/initialized\"}");
	if (send_line(&c->out, c->to) != 0)
		return fail("the server closed its input");
	if (request(c, 2, "tools/list", "{}") != 0 ||
	    next_response(c, &line) != 0 ||
	    check_response(line, 2, &result) != 0)
		return -1;
	return find_echo(c, result);
}

/* The echoed text must be the message, byte for byte. */
static int
check_echo(struct client *c, struct span result)
{
	struct span content, item, text, err;
	size_t len;

	if (member(result, "isError", &err) == 0 && span_eq(err, "true"))
		return fail("tools/call: isError");
	if (member(result, "content", &content) != 0 ||
	    element(content, 0, &item) != 0 ||
	    member(item, "text", &text) != 0 ||
	    json_string_text(text.p, text.n, c->text, sizeof(c->text),
	    &len) != 0 ||
	    len != sizeof(message) - 1 || memcmp(c->text, message, len) != 0)
		return fail("tools/call: the message did not come back intact");
	return 0;
}

static int
calls(struct client *c, long n)
{
	double *t = calloc((size_t)n, sizeof(double)), t0, t1;
	char params[sizeof(c->msg_json) + TOOL_MAX + 64];
	struct span line, result;
	long id = 3;

	if (t == NULL)
		return fail("out of memory");
	snprintf(params, sizeof(params), "{\"name\":\"%s\",\"arguments\":"
	    "{\"message\":\"%s\"}}", c->tool, c->msg_json);
	for (long i = -WARMUP; i < n; i++, id++) {
		t0 = stats_now_us();
		if (request(c, id, "tools/call", params) != 0 ||
		    next_response(c, &line) != 0)
			goto fail;
		t1 = stats_now_us();
		if (check_response(line, id, &result) != 0 ||
		    check_echo(c, result) != 0)
			goto fail;
		if (i >= 0)
			t[i] = t1 - t0;
	}
	printf("p50_us=%.1f p99_us=%.1f\n", stats_quantile(t, (size_t)n, 0.5),
	    stats_quantile(t, (size_t)n, 0.99));
	free(t);
	return 0;
 fail:
	free(t);
	return -1;
}

static int
spawn(struct client *c, char **argv)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		perror("bench_mcp client: pipe");
		return -1;
	}
	if ((c->pid = fork()) < 0) {
		perror("bench_mcp client: fork");
		return -1;
	}
	if (c->pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "bench_mcp client: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->to = in[1];
	c->from.fd = out[0];
	c->from.timeout_ms = ANSWER_MS;
	return 0;
}

/* Closes the server's stdin and waits EXIT_MS for it; then kills it. */
static void
reap(struct client *c)
{
	int status;
	pid_t w;

	close(c->to);
	close(c->from.fd);
	for (int ms = 0; (w = waitpid(c->pid, &status, WNOHANG)) == 0; ms++) {
		if (ms == EXIT_MS) {
			fprintf(stderr, "bench_mcp client: the server did not "
			    "exit; killing it\n");
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			return;
		}
		usleep(1000);
	}
	if (w > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "bench_mcp client: the server exited %d\n",
		    WEXITSTATUS(status));
	else if (w > 0 && WIFSIGNALED(status))
		fprintf(stderr, "bench_mcp client: the server died of signal "
		    "%d\n", WTERMSIG(status));
}

static int
client(long n, char **argv)
{
	static struct client c;
	int r = 1;

	signal(SIGPIPE, SIG_IGN);
	if (escape(message, c.msg_json, sizeof(c.msg_json)) != 0 ||
	    spawn(&c, argv) != 0)
		return 1;
	if (handshake(&c) == 0 && calls(&c, n) == 0)
		r = 0;
	reap(&c);
	return r;
}

int
main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc == 2 && strcmp(argv[1], "server") == 0)
		return server();
	if (argc >= 5 && strcmp(argv[1], "client") == 0 &&
	    strcmp(argv[3], "--") == 0) {
		n = strtol(argv[2], &end, 10);
		if (*argv[2] == '\0' || *end != '\0' || n < 1 ||
		    n > 100000000) {
			fprintf(stderr, "bench_mcp: '%s' is not a count\n",
			    argv[2]);
			return 2;
		}
		return client(n, argv + 4);
	}
	fprintf(stderr, "usage: bench_mcp server | client N -- CMD [ARG]...\n");
	return 2;
}
