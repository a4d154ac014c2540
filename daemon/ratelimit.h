/*
 * Counting events per name (an API key id, a client address) in fixed
 * windows, with a bounded table: the attestation endpoint's fresh
 * collections per key, the console's failed sign-ins per address and per
 * key.  One thread (the gateway's loop).
 *
 * The table holds at most `slots` names.  When it is full, the name whose
 * window is oldest gives its place up; an attacker who floods it with new
 * names only resets counts that were oldest, and a name that is being
 * refused keeps a current window, so flooding cannot lift a refusal that
 * is in force except by pushing out `slots` newer names.
 */
#ifndef CLOISTER_RATELIMIT_H
#define CLOISTER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_NAME_MAX	64

struct ratelimit;

/* At most `limit` events per `window_s` seconds for each name. */
struct ratelimit *ratelimit_new(size_t slots, unsigned limit,
	    int64_t window_s);
void	ratelimit_free(struct ratelimit *rl);
/* 1 when name may have one more event at time now (and counts it); 0
 * when it is over its limit (nothing counted). */
int	ratelimit_take(struct ratelimit *rl, const char *name, int64_t now);
/* 1 when name is over its limit at now, without counting anything. */
int	ratelimit_over(struct ratelimit *rl, const char *name, int64_t now);
/* Seconds until name's window ends (for Retry-After); 0 when not over. */
int64_t	ratelimit_retry_after(struct ratelimit *rl, const char *name,
	    int64_t now);

#endif
