/*
 * The mock backend (mock.c): deterministic answers for demos and tests,
 * in the API the client speaks (chat, Anthropic Messages, OpenAI
 * Responses), whole or streamed, with scripted tool calls so that a
 * coding agent can be driven end to end (the script: mock_script.c).
 */
#ifndef CLOISTER_MOCK_H
#define CLOISTER_MOCK_H

#include <stddef.h>

struct gw_req;
struct json_t;

/* Whitespace-separated words: the mock's tokens. */
unsigned mock_count_words(const char *s);
/* Answers r, reserved and its prompt counted, whole or as a stream; r is
 * freed once the answer is out.  req is the client's body, parsed (the
 * caller's), in the API r->api. */
void	mock_answer(struct gw_req *r, struct json_t *req);
/* A stream's plan (r->mock), wiped; NULL does nothing.  gw_req_free
 * calls it, so that a client leaving mid-stream frees it too. */
struct mock_plan;
void	mock_plan_free(struct mock_plan *p);

#ifdef MOCK_INTERNAL
/*
 * Between mock.c (the loop), mock_script.c (what to say) and
 * mock_render.c (how each API says it).
 *
 * An answer is a plan: an optional text block, then up to MOCK_CALLS_MAX
 * tool calls, already cut to r->max_tokens.  Its tokens are the words of
 * the text plus, for each call, the words of its arguments as sent (the
 * compact JSON object), so that usage is the same count in every API.
 */
#define MOCK_CALLS_MAX	2
#define MOCK_NAME_MAX	64	/* a longer tool name is never scripted */
#define MOCK_ARGS_MAX	320
#define MOCK_CALLID_MAX	48
#define MOCK_TEXT_MAX	(1024 * 1024)	/* bytes of a tool's output echoed */

enum mock_stop {
	MOCK_STOP_END = 0,	/* stop, end_turn, completed */
	MOCK_STOP_LENGTH,	/* length, max_tokens, incomplete */
	MOCK_STOP_TOOL		/* tool_calls, tool_use */
};

enum mock_phase {
	MOCK_PH_START = 0,
	MOCK_PH_OPEN,
	MOCK_PH_DELTA,
	MOCK_PH_CLOSE,
	MOCK_PH_END
};

struct mock_call {
	char		 name[MOCK_NAME_MAX];
	char		 args[MOCK_ARGS_MAX];	/* a JSON object, compact */
	char		 id[MOCK_CALLID_MAX];	/* toolu_mock... or call_mock... */
	unsigned	 words;			/* of args: its tokens */
};

/*
 * One allocation holding the text, so that a stream keeps it in one
 * place (mock.c): size counts the whole block.  Content: wiped by
 * mock_plan_free.
 */
struct mock_plan {
	size_t		 size;
	enum mock_stop	 stop;
	unsigned	 words;		/* text words said */
	unsigned	 ncalls;	/* calls made */
	unsigned	 tokens;	/* words + each call's words */
	struct mock_call call[MOCK_CALLS_MAX];
	/* a stream's position */
	enum mock_phase	 phase;
	unsigned	 blk;		/* text block first, then the calls */
	size_t		 off;		/* next byte of text to send */
	unsigned	 seq;		/* Responses' sequence_number */
	size_t		 len;		/* bytes of text said */
	char		 text[];	/* NUL-terminated at len */
};

/* mock_script.c: what the mock answers to req (r's API, endpoint, seed
 * and max_tokens); NULL when out of memory.  req is only read. */
struct mock_plan *mock_plan_new(const struct gw_req *r, struct json_t *req);

/* Blocks of an answer: the text block when it has words, then the calls.
 * mock_blk_call: the call of block b, NULL for the text block. */
unsigned mock_blocks(const struct mock_plan *p);
const struct mock_call *mock_blk_call(const struct mock_plan *p,
	    unsigned b);
/* The next piece of text to stream from p->off (leading whitespace and
 * one word; the last piece keeps the trailing whitespace): its length,
 * 0 when the text is all sent. */
size_t	mock_piece(const struct mock_plan *p);

/* mock_render.c: the whole answer as r->api says it (NULL: out of
 * memory) */
struct json_t *mock_render_whole(const struct gw_req *r,
	    const struct mock_plan *p);

/*
 * Streams.  send is handed each event in order: its SSE name (NULL for
 * chat, whose events have none), its data, and whether the next event
 * waits for chunk_delay_ms after this one is out (a piece of the answer
 * going out).  mock_render_step sends events until a paced one or the
 * end, and updates p's position and r->sent; it returns 1 when the
 * stream is over, 0 when a paced event is out, and what send returned
 * when that is not 0.
 */
typedef int (*mock_send_fn)(struct gw_req *r, const char *event,
	    const char *data, int paced);
int	mock_render_step(struct gw_req *r, struct mock_plan *p,
	    mock_send_fn send);
#endif

#endif
