/*
 * What the mock says (mock.h, MOCK_INTERNAL): the script a coding agent
 * is driven by, the same in every API.
 *
 *   - The last turn is a tool's result (chat role "tool", a Messages
 *     tool_result block, a Responses function_call_output): "Here is the
 *     listing:\n" and the results' text.
 *   - The last user turn asks for a listing ("list", "ls") and the client
 *     declared a shell tool: a call to it running ls; two calls when it
 *     asks for two, both or in parallel.  In Messages a short text block
 *     comes first, as Anthropic's models do.
 *   - Otherwise the mock's 16 words.
 *
 * Then the answer is cut to max_tokens: text word by word, a call whole
 * or not at all.  Only the fields named here are read; nothing of the
 * request is logged.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define MOCK_INTERNAL
#include "gateway.h"
#include "mock.h"
#include "util.h"

#define MOCK_WORDS	16	/* a full answer */
#define WORD_MAX	16	/* longest prompt word compared */

static const char *const words[MOCK_WORDS] = { "Cloister", "answers",
	"from", "inside", "the", "attested", "instance", "and", "keeps",
	"nothing", "but", "token", "counts", "for", "billing", "today" };

static const char preamble[] = "I will run a tool.";
static const char listing[] = "Here is the listing:\n";

/* Shell tools by the names agents give them, then by what names hold. */
static const char *const shell_names[] = { "Bash", "exec_command",
	"shell", "run_shell_command", "shell_command", NULL };
static const char *const shell_parts[] = { "bash", "shell", "exec_command",
	NULL };
static const char *const ask_listing[] = { "list", "lists", "listing",
	"listings", "ls", NULL };
static const char *const ask_two[] = { "two", "both", "parallel", "twice",
	NULL };

enum kind {
	KIND_WORDS = 0,
	KIND_RESULT,
	KIND_CALLS
};

/* The last turn: a prompt's text, or tool results at [from, to] of arr. */
struct turn {
	const char	*prompt;
	json_t		*arr;
	size_t		 from;
	size_t		 to;
	int		 result;
};

/* Bytes written, or only counted while s is NULL; never past the cap,
 * and once full, full: what was cut is cut at a character's start. */
struct out {
	char		*s;
	size_t		 len;
	int		 full;
};

static int
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
put(struct out *o, const char *b, size_t n)
{
	if (o->full)
		return;
	if (n > MOCK_TEXT_MAX - o->len) {
		n = MOCK_TEXT_MAX - o->len;
		while (n > 0 && ((unsigned char)b[n] & 0xc0) == 0x80)
			n--;
		o->full = 1;
	}
	if (o->s != NULL)
		memcpy(o->s + o->len, b, n);
	o->len += n;
}

static int
str_is(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* ---- the last turn ------------------------------------------------------ */

/* A string, or the last text of an array of strings and text parts. */
static const char *
last_text(json_t *content)
{
	const char *s = NULL;
	json_t *e, *t;
	size_t i;

	if (json_is_string(content))
		return json_string_value(content);
	json_array_foreach(content, i, e) {
		if (json_is_string(e))
			s = json_string_value(e);
		else if (json_is_string(t = json_object_get(e, "text")))
			s = json_string_value(t);
	}
	return s;
}

static int
is_result(enum xlate_api api, json_t *e)
{
	switch (api) {
	case XLATE_CHAT:
		return str_is(e, "role", "tool");
	case XLATE_MESSAGES:
		return str_is(e, "type", "tool_result");
	default:
		return str_is(e, "type", "function_call_output") ||
		    str_is(e, "type", "custom_tool_call_output");
	}
}

static json_t *
result_content(enum xlate_api api, json_t *e)
{
	return json_object_get(e, api == XLATE_RESPONSES ? "output" :
	    "content");
}

/* Instructions and reasoning after the last turn do not end it. */
static int
aside(enum xlate_api api, json_t *e)
{
	return str_is(e, "role", "system") || str_is(e, "role", "developer") ||
	    (api == XLATE_RESPONSES && str_is(e, "type", "reasoning"));
}

/* Messages: a user turn holds its results as blocks, or its prompt. */
static void
messages_turn(json_t *content, struct turn *t)
{
	json_t *e;
	size_t i;

	json_array_foreach(content, i, e) {
		if (is_result(XLATE_MESSAGES, e)) {
			t->arr = content;
			t->from = 0;
			t->to = json_array_size(content) - 1;
			t->result = 1;
			return;
		}
	}
	t->prompt = last_text(content);
}

static void
last_turn(const struct gw_req *r, json_t *req, struct turn *t)
{
	json_t *arr, *e;
	size_t i;

	memset(t, 0, sizeof(*t));
	arr = json_object_get(req, r->api == XLATE_RESPONSES ? "input" :
	    "messages");
	if (json_is_string(arr)) {
		t->prompt = json_string_value(arr);
		return;
	}
	for (i = json_array_size(arr); i > 0 &&
	    aside(r->api, json_array_get(arr, i - 1)); i--)
		;
	if (i == 0)
		return;
	e = json_array_get(arr, --i);
	if (r->api != XLATE_MESSAGES && is_result(r->api, e)) {
		t->arr = arr;
		t->to = i;
		while (i > 0 && is_result(r->api, json_array_get(arr, i - 1)))
			i--;
		t->from = i;
		t->result = 1;
	} else if (str_is(e, "role", "user")) {
		if (r->api == XLATE_MESSAGES &&
		    json_is_array(json_object_get(e, "content")))
			messages_turn(json_object_get(e, "content"), t);
		else
			t->prompt = last_text(json_object_get(e, "content"));
	}
}

/* Whether s has one of the words in list (ASCII letters and digits,
 * compared without case). */
static int
asks(const char *s, const char *const *list)
{
	char w[WORD_MAX + 1];
	size_t n;

	while (s != NULL && *s != '\0') {
		for (n = 0; *s != '\0' && ((*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'));
		    s++) {
			if (n < sizeof(w))
				w[n++] = (char)(*s | 0x20);
		}
		if (n > 0 && n <= WORD_MAX) {
			w[n] = '\0';
			for (size_t k = 0; list[k] != NULL; k++)
				if (strcmp(w, list[k]) == 0)
					return 1;
		}
		if (*s != '\0')
			s++;
	}
	return 0;
}

/* ---- the shell tool ----------------------------------------------------- */

/* A tool's name and its parameters' properties, in api's shape. */
static const char *
tool_name(enum xlate_api api, json_t *tool, json_t **props)
{
	json_t *fn = api == XLATE_CHAT ? json_object_get(tool, "function") :
	    tool, *schema, *name;

	if (api == XLATE_RESPONSES && !str_is(tool, "type", "function"))
		return NULL;
	schema = json_object_get(fn, api == XLATE_MESSAGES ? "input_schema" :
	    "parameters");
	*props = json_object_get(schema, "properties");
	name = json_object_get(fn, "name");
	if (!json_is_string(name) || strlen(json_string_value(name)) >=
	    MOCK_NAME_MAX)
		return NULL;
	return json_string_value(name);
}

static int
name_has(const char *name, const char *part)
{
	size_t n = strlen(part);

	for (; *name != '\0'; name++)
		if (strncasecmp(name, part, n) == 0)
			return 1;
	return 0;
}

static const char *
shell_tool(enum xlate_api api, json_t *req, json_t **props)
{
	json_t *tools = json_object_get(req, "tools"), *tool;
	const char *name;
	size_t i, k;

	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(tools, i, tool) {
			if ((name = tool_name(api, tool, props)) == NULL)
				continue;
			for (k = 0; pass == 0 && shell_names[k] != NULL; k++)
				if (strcasecmp(name, shell_names[k]) == 0)
					return name;
			for (k = 0; pass == 1 && shell_parts[k] != NULL; k++)
				if (name_has(name, shell_parts[k]))
					return name;
		}
	}
	return NULL;
}

/*
 * "fetch URL" in the prompt: the URL (http or https, of the characters a
 * plain URL has, at most URL_MAX), so that the mock can make an agent try
 * a fetch -- the workspace tests check that its proxy refuses it.
 */
#define URL_MAX	200
static int
fetch_url(const char *prompt, char *url, size_t len)
{
	const char *p = strstr(prompt, "fetch http");
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (p += 6; p[n] != '\0' && n < URL_MAX && n + 1 < len &&
	    (isalnum((unsigned char)p[n]) || strchr(".:/_-?=&%", p[n]) != NULL);
	    n++)
		url[n] = p[n];
	url[n] = '\0';
	return n > 8 && (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0);
}

/* {"command":"ls"}, with the argument its schema names ("command" or
 * "cmd"), as an array when it is one, and a description when it has
 * room for one; cmd (plain characters only) instead of ls when given. */
static int
shell_args(json_t *props, const char *cmd, char *args, size_t len)
{
	int n;

	const char *arg = json_object_get(props, "command") == NULL &&
	    json_object_get(props, "cmd") != NULL ? "cmd" : "command";
	int array = str_is(json_object_get(props, arg), "type", "array");

	if (cmd == NULL)
		n = snprintf(args, len, "{\"%s\":%s%s}", arg, array ? "[\"ls\"]" :
		    "\"ls\"", json_object_get(props, "description") != NULL ?
		    ",\"description\":\"List files\"" : "");
	else if (array)
		n = snprintf(args, len, "{\"%s\":[\"sh\",\"-c\",\"%s\"]%s}", arg,
		    cmd, json_object_get(props, "description") != NULL ?
		    ",\"description\":\"Fetch a URL\"" : "");
	else
		n = snprintf(args, len, "{\"%s\":\"%s\"%s}", arg, cmd,
		    json_object_get(props, "description") != NULL ?
		    ",\"description\":\"Fetch a URL\"" : "");
	return n > 0 && (size_t)n < len ? 0 : -1;	/* whole, or no call */
}

static unsigned
plan_calls(const struct gw_req *r, json_t *req, const struct turn *t,
    struct mock_call *call)
{
	const char *name;
	json_t *props = NULL;
	char url[URL_MAX + 1], cmd[URL_MAX + 32];
	unsigned n, i;
	int fetch;

	if ((r->ep != GW_EP_CHAT && r->ep != GW_EP_MESSAGES &&
	    r->ep != GW_EP_RESPONSES) || t->prompt == NULL)
		return 0;
	fetch = fetch_url(t->prompt, url, sizeof(url));
	if ((!fetch && !asks(t->prompt, ask_listing)) ||
	    (name = shell_tool(r->api, req, &props)) == NULL)
		return 0;
	if (fetch)
		snprintf(cmd, sizeof(cmd), "curl -sS -m 10 %s", url);
	n = !fetch && asks(t->prompt, ask_two) ? 2 : 1;
	for (i = 0; i < n; i++) {
		snprintf(call[i].name, sizeof(call[i].name), "%s", name);
		if (shell_args(props, fetch ? cmd : NULL, call[i].args,
		    sizeof(call[i].args)) != 0)
			return 0;
		call[i].words = mock_count_words(call[i].args);
		/* r->id is "req_" and hex */
		snprintf(call[i].id, sizeof(call[i].id), "%s%s_%u",
		    r->api == XLATE_MESSAGES ? "toolu_mock" : "call_mock",
		    r->id + 4, i);
	}
	return n;
}

/* ---- the answer --------------------------------------------------------- */

/* The text of a result's content: a string, or its parts' texts. */
static void
say_content(json_t *c, struct out *o)
{
	json_t *e, *t;
	size_t i;
	int first = 1;

	if (json_is_string(c)) {
		put(o, json_string_value(c), json_string_length(c));
		return;
	}
	json_array_foreach(c, i, e) {
		t = json_is_string(e) ? e : json_object_get(e, "text");
		if (!json_is_string(t))
			continue;
		if (!first)
			put(o, "\n", 1);
		put(o, json_string_value(t), json_string_length(t));
		first = 0;
	}
}

static void
say(const struct gw_req *r, enum kind k, const struct turn *t,
    struct out *o)
{
	size_t i;
	int first = 1;

	switch (k) {
	case KIND_RESULT:
		put(o, listing, strlen(listing));
		for (i = t->from; i <= t->to; i++) {
			json_t *e = json_array_get(t->arr, i);

			if (!is_result(r->api, e))
				continue;
			if (!first)
				put(o, "\n", 1);
			say_content(result_content(r->api, e), o);
			first = 0;
		}
		break;
	case KIND_CALLS:
		if (r->api == XLATE_MESSAGES)
			put(o, preamble, strlen(preamble));
		break;
	default:
		for (i = 0; i < MOCK_WORDS; i++) {
			const char *w = words[(r->seed + i) % MOCK_WORDS];

			if (i > 0)
				put(o, " ", 1);
			put(o, w, strlen(w));
		}
	}
}

/* Cuts p to budget tokens: the text word by word, then whole calls. */
static void
cut(struct mock_plan *p, const struct mock_call *call, unsigned ncalls,
    int64_t budget)
{
	unsigned n = mock_count_words(p->text), i;
	size_t off = 0;

	budget = budget < 0 ? 0 : budget;
	if ((int64_t)n > budget) {
		for (i = 0; i < (unsigned)budget; i++) {
			while (space(p->text[off]))
				off++;
			while (p->text[off] != '\0' && !space(p->text[off]))
				off++;
		}
		p->len = off;
		p->text[off] = '\0';
		p->words = (unsigned)budget;
		p->tokens = p->words;
		p->stop = MOCK_STOP_LENGTH;
		return;
	}
	p->words = n;
	p->tokens = n;
	budget -= n;
	for (i = 0; i < ncalls; i++) {
		if ((int64_t)call[i].words > budget) {
			p->stop = MOCK_STOP_LENGTH;
			return;
		}
		p->call[p->ncalls++] = call[i];
		p->tokens += call[i].words;
		budget -= call[i].words;
	}
	p->stop = p->ncalls > 0 ? MOCK_STOP_TOOL : MOCK_STOP_END;
}

struct mock_plan *
mock_plan_new(const struct gw_req *r, json_t *req)
{
	struct mock_call call[MOCK_CALLS_MAX];
	struct mock_plan *p;
	struct turn t;
	struct out o = { NULL, 0, 0 };
	unsigned ncalls = 0;
	enum kind k = KIND_WORDS;

	memset(call, 0, sizeof(call));
	last_turn(r, req, &t);
	if (r->ep != GW_EP_COMPLETIONS && t.result)
		k = KIND_RESULT;
	else if ((ncalls = plan_calls(r, req, &t, call)) > 0)
		k = KIND_CALLS;
	say(r, k, &t, &o);
	if ((p = calloc(1, sizeof(*p) + o.len + 1)) == NULL)
		return NULL;
	p->size = sizeof(*p) + o.len + 1;
	o.s = p->text;
	o.len = 0;
	o.full = 0;
	say(r, k, &t, &o);
	p->len = o.len;
	p->text[p->len] = '\0';
	cut(p, call, ncalls, r->max_tokens);
	util_wipe(call, sizeof(call));
	return p;
}

void
mock_plan_free(struct mock_plan *p)
{
	if (p == NULL)
		return;
	util_wipe(p, p->size);
	free(p);
}

/* ---- walking a plan ------------------------------------------------------ */

unsigned
mock_blocks(const struct mock_plan *p)
{
	return (p->words > 0 ? 1 : 0) + p->ncalls;
}

const struct mock_call *
mock_blk_call(const struct mock_plan *p, unsigned b)
{
	if (p->words > 0) {
		if (b == 0)
			return NULL;
		b--;
	}
	return b < p->ncalls ? &p->call[b] : NULL;
}

size_t
mock_piece(const struct mock_plan *p)
{
	size_t i = p->off;

	while (i < p->len && space(p->text[i]))
		i++;
	while (i < p->len && !space(p->text[i]))
		i++;
	if (i == p->off)
		return 0;
	for (size_t j = i; j < p->len && space(p->text[j]); j++)
		if (j + 1 == p->len)
			return p->len - p->off;
	return i - p->off;
}
