/*
 * What infer.c checks before it holds anything (infer_int.h): the model
 * and the backend that serves it, the prompt's words (the mock's tokens,
 * and what a cancelled request pays until the upstream counts), the
 * output limit and its clamp, the stream options, the client's nonce;
 * and POST /v1/messages/count_tokens, which answers from the same
 * counts.  Errors go in the client's API's shape and name no content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include <jansson.h>

#include "gateway.h"
#include "infer.h"
#include "infer_int.h"
#include "json_parse.h"
#include "json_span.h"
#include "mock.h"
#include "util.h"

/* ---- request checks ------------------------------------------------------ */

/* Words in a string or in a list of strings / text parts; -1: neither. */
static long
words_of(json_t *v)
{
	size_t i;
	json_t *e, *t;
	long n = 0;

	if (json_is_string(v))
		return mock_count_words(json_string_value(v));
	if (!json_is_array(v) || json_array_size(v) == 0)
		return -1;
	json_array_foreach(v, i, e) {
		if (json_is_string(e))
			n += mock_count_words(json_string_value(e));
		else if (json_is_object(e) && json_is_string(t =
		    json_object_get(e, "text")))
			n += mock_count_words(json_string_value(t));
		else if (!json_is_object(e))
			return -1;
	}
	return n;
}

/*
 * Words of the text a Messages or Responses request carries (system,
 * instructions, messages, input): every string under a key that holds
 * text, at any depth.  Only the mock bills on it; for an upstream it is
 * the count a cancelled request pays for until the upstream counts.
 */
static long
text_words(json_t *v, int depth)
{
	static const char *const text_keys[] = { "text", "content", "output",
		"input", "thinking", "arguments", "instructions", "system" };
	const char *k;
	json_t *e;
	size_t i;
	long n = 0;

	if (depth > JSON_DEPTH_MAX)
		return 0;
	if (json_is_array(v))
		json_array_foreach(v, i, e)
			n += json_is_string(e) ? (long)mock_count_words(
			    json_string_value(e)) : text_words(e, depth + 1);
	else if (json_is_object(v))
		json_object_foreach(v, k, e) {
			if (!json_is_string(e)) {
				n += text_words(e, depth + 1);
				continue;
			}
			for (i = 0; i < sizeof(text_keys) /
			    sizeof(text_keys[0]); i++)
				if (strcmp(k, text_keys[i]) == 0)
					n += mock_count_words(
					    json_string_value(e));
		}
	return n;
}

/* The conversation of a Messages or Responses request; -1 when there is
 * none of the shape the API has. */
static long
agent_words(json_t *o, enum gw_endpoint ep)
{
	json_t *conv = json_object_get(o, ep == GW_EP_MESSAGES ? "messages" :
	    "input");
	json_t *sys = json_object_get(o, ep == GW_EP_MESSAGES ? "system" :
	    "instructions");
	long n;

	if (ep == GW_EP_RESPONSES && json_is_string(conv))
		n = mock_count_words(json_string_value(conv));
	else if (!json_is_array(conv) || json_array_size(conv) == 0)
		return -1;
	else
		n = text_words(conv, 0);
	if (json_is_string(sys))
		n += mock_count_words(json_string_value(sys));
	else if (json_is_array(sys))
		n += text_words(sys, 0);
	return n;
}

static long
prompt_words(json_t *o, enum gw_endpoint ep)
{
	json_t *msgs, *m;
	size_t i;
	long n = 0, w;

	if (ep == GW_EP_COMPLETIONS)
		return words_of(json_object_get(o, "prompt"));
	if (ep == GW_EP_EMBEDDINGS)
		return words_of(json_object_get(o, "input"));
	if (ep == GW_EP_MESSAGES || ep == GW_EP_RESPONSES)
		return agent_words(o, ep);
	msgs = json_object_get(o, "messages");
	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
		return -1;
	json_array_foreach(msgs, i, m) {
		if (!json_is_object(m) ||
		    !json_is_string(json_object_get(m, "role")))
			return -1;
		if (json_is_null(json_object_get(m, "content")))
			continue;
		if ((w = words_of(json_object_get(m, "content"))) < 0)
			return -1;
		n += w;
	}
	return n;
}

/*
 * The output limit the client asked for (chat: max_completion_tokens or
 * max_tokens; Messages: max_tokens; Responses: max_output_tokens), else
 * the model's default; clamped to the model's max_output, which is then
 * what the upstream is sent and what is held.  Agents ask for 32k-128k
 * tokens on every call.
 */
static int
check_max_tokens(struct gw_req *r, json_t *o)
{
	const char *name = r->ep == GW_EP_RESPONSES ? "max_output_tokens" :
	    "max_tokens";
	json_t *v = NULL;

	r->max_tokens = r->model->max_tokens;
	if (r->ep == GW_EP_CHAT || r->ep == GW_EP_COMPLETIONS)
		v = json_object_get(o, "max_completion_tokens");
	if (v == NULL)
		v = json_object_get(o, name);
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > MAX_TOKENS_CAP) {
			gw_error(r, 400, "invalid_request_error",
			    "invalid_max_tokens", "%s must be an integer in "
			    "1..%d", name, MAX_TOKENS_CAP);
			return -1;
		}
		r->max_tokens = json_integer_value(v);
	} else
		r->limit_default = r->ep != GW_EP_EMBEDDINGS;
	if (r->model->max_output > 0 && r->max_tokens > r->model->max_output) {
		r->max_tokens = r->model->max_output;
		r->clamped = 1;
	}
	return 0;
}

/* The Cloister-Nonce header, when given: the receipt echoes it. */
static int
check_nonce(struct gw_req *r)
{
	const char *nonce;

	nonce = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Cloister-Nonce");
	if (nonce != NULL) {
		size_t n = strlen(nonce);
		int bad = n == 0 || n > GW_NONCE_MAX;

		for (size_t i = 0; i < n && !bad; i++)
			bad = nonce[i] < 0x21 || nonce[i] > 0x7e;
		if (bad) {
			gw_error(r, 400, "invalid_request_error",
			    "invalid_nonce", "Cloister-Nonce must be 1 to %d "
			    "printable characters", GW_NONCE_MAX);
			return -1;
		}
		memcpy(r->nonce, nonce, n + 1);
	}
	return 0;
}

static const char *
input_rule(enum gw_endpoint ep)
{
	switch (ep) {
	case GW_EP_CHAT:
		return "\"messages\" must be a non-empty list of {role, "
		    "content}";
	case GW_EP_COMPLETIONS:
		return "\"prompt\" must be a string or a list of strings";
	case GW_EP_MESSAGES:
		return "\"messages\" must be a non-empty list";
	case GW_EP_RESPONSES:
		return "\"input\" must be a string or a non-empty list of "
		    "items";
	default:
		return "\"input\" must be a string or a list of strings";
	}
}

enum xlate_api
backend_api(const struct gw_backend *b)
{
	return b->type == GW_BACKEND_ANTHROPIC ? XLATE_MESSAGES :
	    b->type == GW_BACKEND_RESPONSES ? XLATE_RESPONSES : XLATE_CHAT;
}

/* Everything but the content: model, limits, stream options, nonce. */
int
gw_check_request(struct gw_req *r, json_t *o, long *words)
{
	json_t *v, *so;

	v = json_object_get(o, "model");
	if (!json_is_string(v)) {
		gw_error(r, 400, "invalid_request_error", "missing_model",
		    "\"model\" is required");
		return -1;
	}
	if ((r->model = gw_config_model(&r->gw->cfg,
	    json_string_value(v))) == NULL) {
		gw_error(r, 404, "invalid_request_error", "model_not_found",
		    "this gateway offers no such model (GET /v1/models lists "
		    "them)");
		return -1;
	}
	r->backend = &r->gw->cfg.backends[r->model->backend];
	r->up_api = backend_api(r->backend);
	if ((r->ep == GW_EP_COMPLETIONS || r->ep == GW_EP_EMBEDDINGS) &&
	    r->up_api != XLATE_CHAT) {
		gw_error(r, 400, "invalid_request_error", "unsupported_endpoint",
		    "model %s is served by a backend that speaks %s; this "
		    "endpoint needs an openai-compatible one", r->model->name,
		    xlate_api_name(r->up_api));
		return -1;
	}
	if ((*words = prompt_words(o, r->ep)) < 0) {
		gw_error(r, 400, "invalid_request_error", "invalid_input",
		    "%s", input_rule(r->ep));
		return -1;
	}
	v = json_object_get(o, "previous_response_id");
	if (r->ep == GW_EP_RESPONSES && v != NULL && !json_is_null(v)) {
		gw_error(r, 400, "invalid_request_error",
		    "previous_response_id_unsupported", "this gateway keeps "
		    "no response state: send the whole input with store: "
		    "false instead of previous_response_id");
		return -1;
	}
	if (check_max_tokens(r, o) != 0)
		return -1;
	v = json_object_get(o, "stream");
	if (v != NULL && !json_is_boolean(v) && !json_is_null(v)) {
		gw_error(r, 400, "invalid_request_error", "invalid_stream",
		    "\"stream\" must be true or false");
		return -1;
	}
	r->stream = json_is_true(v) && r->ep != GW_EP_EMBEDDINGS;
	so = json_object_get(o, "stream_options");
	r->include_usage = json_is_object(so) &&
	    json_is_true(json_object_get(so, "include_usage"));
	return check_nonce(r);
}

/* ---- count_tokens ----------------------------------------------------------- */

/*
 * POST /v1/messages/count_tokens: an estimate of the prompt's tokens,
 * answered at once and never charged (Claude Code's /context sends 26 at
 * once).  The mock counts words, as it bills; for an upstream it is a
 * quarter of the body's bytes, tools included: no tokenizer of the
 * upstream's model runs here, and the bill is always the upstream's own
 * count.
 */
void
gw_count_tokens(struct gw *gw, struct evhttp_request *req,
    const struct ledger_key *key)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const struct gw_model *m;
	json_t *o = NULL, *v;
	char *body = NULL;
	long n;

	(void)key;
	if (len > gw->cfg.max_body) {
		gw_error_api(req, XLATE_MESSAGES, 413, "invalid_request_error",
		    "body_too_large", "the body is longer than %zu bytes "
		    "(max_body)", gw->cfg.max_body);
		goto out;
	}
	if ((body = malloc(len + 1)) == NULL ||
	    evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
		gw_error_api(req, XLATE_MESSAGES, 500, "server_error",
		    "internal", "out of memory");
		goto out;
	}
	httpd_wipe_evbuffer(in);
	if ((o = jp_parse(body, len, JSON_REJECT_DUPLICATES, NULL, 0)) ==
	    NULL || !json_is_object(o)) {
		gw_error_api(req, XLATE_MESSAGES, 400, "invalid_request_error",
		    "invalid_json", "the body is not a JSON object");
		goto out;
	}
	v = json_object_get(o, "model");
	if (!json_is_string(v) || (m = gw_config_model(&gw->cfg,
	    json_string_value(v))) == NULL) {
		gw_error_api(req, XLATE_MESSAGES, 404, "invalid_request_error",
		    "model_not_found", "this gateway offers no such model "
		    "(GET /v1/models lists them)");
		goto out;
	}
	if ((n = agent_words(o, GW_EP_MESSAGES)) < 0) {
		gw_error_api(req, XLATE_MESSAGES, 400, "invalid_request_error",
		    "invalid_input", "%s", input_rule(GW_EP_MESSAGES));
		goto out;
	}
	if (gw->cfg.backends[m->backend].type != GW_BACKEND_MOCK)
		n = (long)((len + 3) / 4);
	httpd_send_json(req, 200, json_pack("{s:I}", "input_tokens",
	    (json_int_t)n), JSON_COMPACT);
 out:
	json_decref(o);
	if (body != NULL) {
		util_wipe(body, len);
		free(body);
	}
}
