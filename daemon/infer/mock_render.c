/*
 * How the mock says a plan (mock.h, MOCK_INTERNAL) in each API: whole
 * answers, and the events of a stream in the order each API's clients
 * need them (docs/agents/):
 *
 *   chat       role chunk, content or tool_calls chunks, a chunk with
 *              finish_reason, the usage chunk when asked, [DONE]
 *   Messages   message_start, per block content_block_start, _delta...,
 *              _stop, message_delta (stop_reason, usage), message_stop
 *   Responses  response.created, .in_progress, per item output_item
 *              .added, its content part or arguments, .done events,
 *              output_item.done, then response.completed (or
 *              .incomplete when cut at max_tokens)
 *
 * Usage is r->usage in every API: the prompt's words in, the tokens sent
 * so far out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define MOCK_INTERNAL
#include "cloister/error.h"
#include "gateway.h"
#include "mock.h"
#include "util.h"

#define ID_MAX		64	/* an answer's or an item's id */
#define PACED		1	/* an op sent an event that waits */

static const char *const ep_object[] = { "chat.completion",
	"text_completion", "list" };

/* By enum mock_stop. */
static const char *const chat_stop[] = { "stop", "length", "tool_calls" };
static const char *const msgs_stop[] = { "end_turn", "max_tokens",
	"tool_use" };

static void
id_of(const struct gw_req *r, const char *prefix, int k, char *out)
{
	/* r->id is "req_" and hex */
	if (k < 0)
		snprintf(out, ID_MAX, "%s%s", prefix, r->id + 4);
	else
		snprintf(out, ID_MAX, "%s%s_%d", prefix, r->id + 4, k);
}

static int
call_index(const struct mock_plan *p, unsigned b)
{
	return (int)b - (p->words > 0 ? 1 : 0);
}

static json_t *
usage_json(const struct gw_req *r)
{
	json_int_t in = r->usage.prompt_tokens;
	json_int_t out = r->usage.completion_tokens;

	switch (r->api) {
	case XLATE_MESSAGES:
		return json_pack("{s:I,s:i,s:i,s:I}", "input_tokens", in,
		    "cache_creation_input_tokens", 0,
		    "cache_read_input_tokens", 0, "output_tokens", out);
	case XLATE_RESPONSES:
		return json_pack("{s:I,s:{s:i},s:I,s:{s:i},s:I}",
		    "input_tokens", in, "input_tokens_details",
		    "cached_tokens", 0, "output_tokens", out,
		    "output_tokens_details", "reasoning_tokens", 0,
		    "total_tokens", in + out);
	default:
		return json_pack("{s:I,s:I,s:I}", "prompt_tokens", in,
		    "completion_tokens", out, "total_tokens", in + out);
	}
}

/* ---- Responses' items --------------------------------------------------- */

static json_t *
text_part(const struct mock_plan *p, int done)
{
	return json_pack("{s:s,s:s,s:[]}", "type", "output_text", "text",
	    done ? p->text : "", "annotations");
}

/* Output item b, as added (done 0) or done. */
static json_t *
item_json(const struct gw_req *r, const struct mock_plan *p, unsigned b,
    int done)
{
	const struct mock_call *c = mock_blk_call(p, b);
	char id[ID_MAX];

	if (c == NULL) {
		id_of(r, "msg_", -1, id);
		return json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", id, "type",
		    "message", "status", !done ? "in_progress" :
		    p->stop == MOCK_STOP_LENGTH ? "incomplete" : "completed",
		    "role", "assistant", "content", done ?
		    json_pack("[o]", text_part(p, 1)) : json_array());
	}
	id_of(r, "fc_", call_index(p, b), id);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", id, "type",
	    "function_call", "status", done ? "completed" : "in_progress",
	    "arguments", done ? c->args : "", "call_id", c->id, "name",
	    c->name);
}

/* The response object: in progress (no items yet), or as it ended. */
static json_t *
response_json(const struct gw_req *r, const struct mock_plan *p, int done)
{
	json_t *out = json_array(), *why = json_null();
	const char *status = "in_progress";
	char id[ID_MAX];

	id_of(r, "resp_", -1, id);
	for (unsigned b = 0; done && b < mock_blocks(p); b++)
		json_array_append_new(out, item_json(r, p, b, 1));
	if (done && p->stop == MOCK_STOP_LENGTH) {
		status = "incomplete";
		json_decref(why);
		why = json_pack("{s:s}", "reason", "max_output_tokens");
	} else if (done)
		status = "completed";
	return json_pack("{s:s,s:s,s:I,s:s,s:n,s:o,s:n,s:I,s:s,s:o,s:b,s:n,"
	    "s:s,s:o}", "id", id, "object", "response", "created_at",
	    (json_int_t)time(NULL), "status", status, "error",
	    "incomplete_details", why, "instructions", "max_output_tokens",
	    (json_int_t)r->max_tokens, "model", r->model->name, "output", out,
	    "parallel_tool_calls", 1, "previous_response_id", "tool_choice",
	    "auto", "usage", done ? usage_json(r) : json_null());
}

/* ---- whole answers ------------------------------------------------------ */

static json_t *
whole_chat(const struct gw_req *r, const struct mock_plan *p)
{
	json_t *choice, *calls, *msg;
	const char *stop = chat_stop[p->stop];

	if (r->ep != GW_EP_CHAT)
		choice = json_pack("{s:i,s:s,s:n,s:s}", "index", 0, "text",
		    p->text, "logprobs", "finish_reason", stop);
	else if (p->ncalls == 0)
		choice = json_pack("{s:i,s:{s:s,s:s},s:n,s:s}", "index", 0,
		    "message", "role", "assistant", "content", p->text,
		    "logprobs", "finish_reason", stop);
	else {
		calls = json_array();
		for (unsigned i = 0; i < p->ncalls; i++)
			json_array_append_new(calls, json_pack("{s:s,s:s,"
			    "s:{s:s,s:s}}", "id", p->call[i].id, "type",
			    "function", "function", "name", p->call[i].name,
			    "arguments", p->call[i].args));
		msg = json_pack("{s:s,s:o,s:o}", "role", "assistant",
		    "content", p->words > 0 ? json_string(p->text) :
		    json_null(), "tool_calls", calls);
		choice = json_pack("{s:i,s:o,s:n,s:s}", "index", 0, "message",
		    msg, "logprobs", "finish_reason", stop);
	}
	return json_pack("{s:s,s:s,s:I,s:s,s:[o],s:o}", "id", r->id,
	    "object", ep_object[r->ep], "created", (json_int_t)time(NULL),
	    "model", r->model->name, "choices", choice, "usage",
	    usage_json(r));
}

static json_t *
whole_messages(const struct gw_req *r, const struct mock_plan *p)
{
	json_t *content = json_array();
	const struct mock_call *c;
	char id[ID_MAX];

	for (unsigned b = 0; b < mock_blocks(p); b++) {
		if ((c = mock_blk_call(p, b)) == NULL)
			json_array_append_new(content, json_pack("{s:s,s:s}",
			    "type", "text", "text", p->text));
		else
			json_array_append_new(content, json_pack("{s:s,s:s,"
			    "s:s,s:o}", "type", "tool_use", "id", c->id,
			    "name", c->name, "input", json_loads(c->args, 0,
			    NULL)));
	}
	id_of(r, "msg_", -1, id);
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:n,s:o}", "id", id,
	    "type", "message", "role", "assistant", "model", r->model->name,
	    "content", content, "stop_reason", msgs_stop[p->stop],
	    "stop_sequence", "usage", usage_json(r));
}

json_t *
mock_render_whole(const struct gw_req *r, const struct mock_plan *p)
{
	switch (r->api) {
	case XLATE_MESSAGES:
		return whole_messages(r, p);
	case XLATE_RESPONSES:
		return response_json(r, p, 1);
	default:
		return whole_chat(r, p);
	}
}

/* ---- streams ------------------------------------------------------------ */

struct ops {
	int	(*start)(struct gw_req *, struct mock_plan *, mock_send_fn);
	int	(*open)(struct gw_req *, struct mock_plan *, mock_send_fn);
	/* a piece of the text, or the call's arguments: always paced */
	int	(*delta)(struct gw_req *, struct mock_plan *, mock_send_fn,
		    const char *, size_t);
	int	(*close)(struct gw_req *, struct mock_plan *, mock_send_fn);
	int	(*end)(struct gw_req *, struct mock_plan *, mock_send_fn);
};

/* Sends o (taken) as the event name; a Responses event gets its sequence
 * number.  PACED when paced and sent. */
static int
emit(struct gw_req *r, struct mock_plan *p, mock_send_fn send,
    const char *name, json_t *o, int paced)
{
	char *s;
	int rc;

	if (o == NULL)
		return CLOISTER_ERR_ALLOC;
	if (r->api == XLATE_RESPONSES)
		json_object_set_new(o, "sequence_number",
		    json_integer((json_int_t)p->seq++));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return CLOISTER_ERR_ALLOC;
	rc = send(r, name, s, paced);
	util_wipe(s, strlen(s));
	free(s);
	return rc == 0 && paced ? PACED : rc;
}

/* chat: a chunk with one choice, a delta (chat, taken) or text
 * (completions); with no choice and the usage when usage is set. */
static json_t *
chunk(const struct gw_req *r, json_t *delta, const char *text,
    size_t len, const char *finish, int usage)
{
	json_t *o, *choices;

	if (usage)
		choices = json_array();
	else if (r->ep == GW_EP_CHAT)
		choices = json_pack("[{s:i,s:o,s:n,s:s?}]", "index", 0,
		    "delta", delta, "logprobs", "finish_reason", finish);
	else
		choices = json_pack("[{s:i,s:s%,s:n,s:s?}]", "index", 0,
		    "text", text, len, "logprobs", "finish_reason", finish);
	if (r->ep != GW_EP_CHAT || usage)
		json_decref(delta);
	o = json_pack("{s:s,s:s,s:I,s:s,s:o}", "id", r->id, "object",
	    r->ep == GW_EP_CHAT ? "chat.completion.chunk" : "text_completion",
	    "created", (json_int_t)time(NULL), "model", r->model->name,
	    "choices", choices);
	if (o != NULL && (r->include_usage || usage))
		json_object_set_new(o, "usage", usage ? usage_json(r) :
		    json_null());
	return o;
}

static int
chat_start(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	if (r->ep != GW_EP_CHAT)
		return 0;
	return emit(r, p, send, NULL, chunk(r, json_pack("{s:s,s:s}", "role",
	    "assistant", "content", ""), NULL, 0, NULL, 0), 1);
}

static int
chat_open(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	const struct mock_call *c = mock_blk_call(p, p->blk);

	if (c == NULL)
		return 0;
	return emit(r, p, send, NULL, chunk(r, json_pack("{s:[{s:i,s:s,s:s,"
	    "s:{s:s,s:s}}]}", "tool_calls", "index", call_index(p, p->blk),
	    "id", c->id, "type", "function", "function", "name", c->name,
	    "arguments", ""), NULL, 0, NULL, 0), 0);
}

static int
chat_delta(struct gw_req *r, struct mock_plan *p, mock_send_fn send,
    const char *s, size_t n)
{
	json_t *d;

	if (mock_blk_call(p, p->blk) != NULL)
		d = json_pack("{s:[{s:i,s:{s:s%}}]}", "tool_calls", "index",
		    call_index(p, p->blk), "function", "arguments", s, n);
	else if (r->ep == GW_EP_CHAT)
		d = json_pack("{s:s%}", "content", s, n);
	else
		return emit(r, p, send, NULL, chunk(r, NULL, s, n, NULL, 0),
		    1);
	return emit(r, p, send, NULL, chunk(r, d, NULL, 0, NULL, 0), 1);
}

static int
chat_close(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	return 0;
}

static int
chat_end(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	int rc;

	if ((rc = emit(r, p, send, NULL, chunk(r, json_object(), "", 0,
	    chat_stop[p->stop], 0), 0)) != 0)
		return rc;
	/* Usage only when the client asked: it is ours to bill anyway. */
	if (r->include_usage && (rc = emit(r, p, send, NULL, chunk(r, NULL,
	    NULL, 0, NULL, 1), 0)) != 0)
		return rc;
	return send(r, NULL, "[DONE]", 0);
}

static int
msgs_start(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	char id[ID_MAX];

	id_of(r, "msg_", -1, id);
	return emit(r, p, send, "message_start", json_pack("{s:s,s:{s:s,s:s,"
	    "s:s,s:s,s:[],s:n,s:n,s:o}}", "type", "message_start", "message",
	    "id", id, "type", "message", "role", "assistant", "model",
	    r->model->name, "content", "stop_reason", "stop_sequence",
	    "usage", usage_json(r)), 0);
}

static int
msgs_open(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	const struct mock_call *c = mock_blk_call(p, p->blk);
	json_t *block;

	block = c == NULL ? json_pack("{s:s,s:s}", "type", "text", "text",
	    "") : json_pack("{s:s,s:s,s:s,s:{}}", "type", "tool_use", "id",
	    c->id, "name", c->name, "input");
	return emit(r, p, send, "content_block_start", json_pack("{s:s,s:I,"
	    "s:o}", "type", "content_block_start", "index",
	    (json_int_t)p->blk, "content_block", block), 0);
}

static int
msgs_delta(struct gw_req *r, struct mock_plan *p, mock_send_fn send,
    const char *s, size_t n)
{
	int call = mock_blk_call(p, p->blk) != NULL;

	return emit(r, p, send, "content_block_delta", json_pack("{s:s,s:I,"
	    "s:{s:s,s:s%}}", "type", "content_block_delta", "index",
	    (json_int_t)p->blk, "delta", "type", call ? "input_json_delta" :
	    "text_delta", call ? "partial_json" : "text", s, n), 1);
}

static int
msgs_close(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	return emit(r, p, send, "content_block_stop", json_pack("{s:s,s:I}",
	    "type", "content_block_stop", "index", (json_int_t)p->blk), 0);
}

static int
msgs_end(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	int rc;

	if ((rc = emit(r, p, send, "message_delta", json_pack("{s:s,s:{s:s,"
	    "s:n},s:o}", "type", "message_delta", "delta", "stop_reason",
	    msgs_stop[p->stop], "stop_sequence", "usage", usage_json(r)),
	    0)) != 0)
		return rc;
	return emit(r, p, send, "message_stop", json_pack("{s:s}", "type",
	    "message_stop"), 0);
}

/* A Responses event: its type, then the fields of o (taken). */
static int
resp_emit(struct gw_req *r, struct mock_plan *p, mock_send_fn send,
    const char *type, json_t *o, int paced)
{
	json_t *e = json_pack("{s:s}", "type", type);

	if (e == NULL || o == NULL || json_object_update(e, o) != 0) {
		json_decref(e);
		e = NULL;
	}
	json_decref(o);
	return emit(r, p, send, type, e, paced);
}

static int
resp_event(struct gw_req *r, struct mock_plan *p, mock_send_fn send,
    const char *type, json_t *o)
{
	return resp_emit(r, p, send, type, o, 0);
}

static int
resp_start(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	int rc;

	if ((rc = resp_event(r, p, send, "response.created", json_pack("{s:o}",
	    "response", response_json(r, p, 0)))) != 0)
		return rc;
	return resp_event(r, p, send, "response.in_progress",
	    json_pack("{s:o}", "response", response_json(r, p, 0)));
}

/* The fields that place an event in item b (and its text part). */
static json_t *
resp_at(const struct gw_req *r, const struct mock_plan *p)
{
	int text = mock_blk_call(p, p->blk) == NULL;
	char id[ID_MAX];

	if (text)
		id_of(r, "msg_", -1, id);
	else
		id_of(r, "fc_", call_index(p, p->blk), id);
	return text ? json_pack("{s:s,s:I,s:i}", "item_id", id,
	    "output_index", (json_int_t)p->blk, "content_index", 0) :
	    json_pack("{s:s,s:I}", "item_id", id, "output_index",
	    (json_int_t)p->blk);
}

/* at with more fields (o taken); NULL when either is */
static json_t *
with(json_t *at, json_t *o)
{
	if (at != NULL && o != NULL && json_object_update(at, o) == 0) {
		json_decref(o);
		return at;
	}
	json_decref(at);
	json_decref(o);
	return NULL;
}

static int
resp_open(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	int rc;

	if ((rc = resp_event(r, p, send, "response.output_item.added",
	    json_pack("{s:I,s:o}", "output_index", (json_int_t)p->blk, "item",
	    item_json(r, p, p->blk, 0)))) != 0 ||
	    mock_blk_call(p, p->blk) != NULL)
		return rc;
	return resp_event(r, p, send, "response.content_part.added",
	    with(resp_at(r, p), json_pack("{s:o}", "part", text_part(p, 0))));
}

static int
resp_delta(struct gw_req *r, struct mock_plan *p, mock_send_fn send,
    const char *s, size_t n)
{
	if (mock_blk_call(p, p->blk) != NULL)
		return resp_emit(r, p, send, "response.function_call_"
		    "arguments.delta", with(resp_at(r, p), json_pack("{s:s%}",
		    "delta", s, n)), 1);
	return resp_emit(r, p, send, "response.output_text.delta",
	    with(resp_at(r, p), json_pack("{s:s%,s:[]}", "delta", s, n,
	    "logprobs")), 1);
}

static int
resp_close(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	const struct mock_call *c = mock_blk_call(p, p->blk);
	int rc;

	if (c != NULL)
		rc = resp_event(r, p, send, "response.function_call_arguments."
		    "done", with(resp_at(r, p), json_pack("{s:s,s:s}", "name",
		    c->name, "arguments", c->args)));
	else if ((rc = resp_event(r, p, send, "response.output_text.done",
	    with(resp_at(r, p), json_pack("{s:s,s:[]}", "text", p->text,
	    "logprobs")))) == 0)
		rc = resp_event(r, p, send, "response.content_part.done",
		    with(resp_at(r, p), json_pack("{s:o}", "part",
		    text_part(p, 1))));
	if (rc != 0)
		return rc;
	return resp_event(r, p, send, "response.output_item.done",
	    json_pack("{s:I,s:o}", "output_index", (json_int_t)p->blk, "item",
	    item_json(r, p, p->blk, 1)));
}

static int
resp_end(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	return resp_event(r, p, send, p->stop == MOCK_STOP_LENGTH ?
	    "response.incomplete" : "response.completed", json_pack("{s:o}",
	    "response", response_json(r, p, 1)));
}

static const struct ops ops[XLATE_API_COUNT] = {
	[XLATE_CHAT] = { chat_start, chat_open, chat_delta, chat_close,
	    chat_end },
	[XLATE_MESSAGES] = { msgs_start, msgs_open, msgs_delta, msgs_close,
	    msgs_end },
	[XLATE_RESPONSES] = { resp_start, resp_open, resp_delta, resp_close,
	    resp_end },
};

/* Text word by word, a call's arguments in one piece; each is counted as
 * it goes, so that a client leaving is charged what it was sent. */
static int
step_delta(struct gw_req *r, struct mock_plan *p, const struct ops *op,
    mock_send_fn send)
{
	const struct mock_call *c = mock_blk_call(p, p->blk);
	size_t n;
	int rc;

	if (c != NULL) {
		p->phase = MOCK_PH_CLOSE;
		r->sent += c->words;
		r->usage.completion_tokens = r->sent;
		return op->delta(r, p, send, c->args, strlen(c->args));
	}
	if ((n = mock_piece(p)) == 0) {
		p->phase = MOCK_PH_CLOSE;
		return 0;
	}
	r->sent++;
	r->usage.completion_tokens = r->sent;
	rc = op->delta(r, p, send, p->text + p->off, n);
	p->off += n;
	return rc;
}

int
mock_render_step(struct gw_req *r, struct mock_plan *p, mock_send_fn send)
{
	const struct ops *op = &ops[r->api < XLATE_API_COUNT ? r->api :
	    XLATE_CHAT];
	int rc = 0;

	while (rc == 0) {
		switch (p->phase) {
		case MOCK_PH_START:
			p->phase = MOCK_PH_OPEN;
			rc = op->start(r, p, send);
			break;
		case MOCK_PH_OPEN:
			if (p->blk == mock_blocks(p)) {
				p->phase = MOCK_PH_END;
				break;
			}
			p->phase = MOCK_PH_DELTA;
			rc = op->open(r, p, send);
			break;
		case MOCK_PH_DELTA:
			rc = step_delta(r, p, op, send);
			break;
		case MOCK_PH_CLOSE:
			rc = op->close(r, p, send);
			p->blk++;
			p->phase = MOCK_PH_OPEN;
			break;
		default:
			rc = op->end(r, p, send);
			return rc == 0 ? 1 : rc;
		}
	}
	return rc == PACED ? 0 : rc;
}
