/*
 * Fixed-window counters per name (ratelimit.h).  Names are compared in
 * full; a longer name than RATELIMIT_NAME_MAX - 1 is cut, which can only
 * make two such names share a counter (stricter, never looser).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

struct slot {
	char		 name[RATELIMIT_NAME_MAX];
	int64_t		 start;		/* the window's first second */
	unsigned	 count;
	int		 used;
};

struct ratelimit {
	struct slot	*slots;
	size_t		 n;
	unsigned	 limit;
	int64_t		 window;
};

struct ratelimit *
ratelimit_new(size_t slots, unsigned limit, int64_t window_s)
{
	struct ratelimit *rl;

	if (slots == 0 || window_s <= 0 || (rl = calloc(1,
	    sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->slots = calloc(slots, sizeof(*rl->slots))) == NULL) {
		free(rl);
		return NULL;
	}
	rl->n = slots;
	rl->limit = limit;
	rl->window = window_s;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

/* The name's slot, with its window current at now; a new one (taking the
 * oldest window's place when full) when create is set, else NULL. */
static struct slot *
find(struct ratelimit *rl, const char *name, int64_t now, int create)
{
	char key[RATELIMIT_NAME_MAX];
	struct slot *s, *oldest = NULL;

	memset(key, 0, sizeof(key));
	snprintf(key, sizeof(key), "%s", name);
	for (size_t i = 0; i < rl->n; i++) {
		s = &rl->slots[i];
		if (s->used && strcmp(s->name, key) == 0) {
			if (now - s->start >= rl->window || now < s->start) {
				s->start = now;
				s->count = 0;
			}
			return s;
		}
		if (oldest == NULL || !s->used ||
		    (oldest->used && s->start < oldest->start))
			oldest = s;
	}
	if (!create)
		return NULL;
	s = oldest;
	memcpy(s->name, key, sizeof(key));
	s->start = now;
	s->count = 0;
	s->used = 1;
	return s;
}

int
ratelimit_take(struct ratelimit *rl, const char *name, int64_t now)
{
	struct slot *s = find(rl, name, now, 1);

	if (s->count >= rl->limit)
		return 0;
	s->count++;
	return 1;
}

int
ratelimit_over(struct ratelimit *rl, const char *name, int64_t now)
{
	struct slot *s = find(rl, name, now, 0);

	return s != NULL && s->count >= rl->limit;
}

int64_t
ratelimit_retry_after(struct ratelimit *rl, const char *name, int64_t now)
{
	struct slot *s = find(rl, name, now, 0);

	if (s == NULL || s->count < rl->limit)
		return 0;
	return s->start + rl->window - now;
}
