/*
 * The mock backend (mock.c): deterministic answers for demos and tests.
 */
#ifndef CLOISTER_MOCK_H
#define CLOISTER_MOCK_H

struct gw_req;
struct json_t;

/* Whitespace-separated words: the mock's tokens. */
unsigned mock_count_words(const char *s);
/* Answers r, reserved and its prompt counted, whole or as a stream; r is
 * freed once the answer is out.  req is the client's body, parsed (the
 * caller's). */
void	mock_answer(struct gw_req *r, struct json_t *req);

#endif
