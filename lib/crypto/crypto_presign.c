/*
 * ECDSA P-256 signatures with their per-signature secret made ahead.
 *
 * Almost all of an ECDSA signature's cost is k·G for a fresh random k;
 * what the message adds is s = k⁻¹(z + r·d) mod n, a few multiplications.
 * A gateway signs a receipt on every request's path, so a thread of its
 * own keeps a pool of (k⁻¹, r) pairs filled while the loop is idle, and a
 * signature takes one pair, uses it once, and clears it.  OpenSSL does
 * both halves (ECDSA_sign_setup, ECDSA_do_sign_ex: its legacy EC_KEY
 * interface, the only one that takes a prepared k); nothing here is
 * arithmetic of our own.  An empty pool is not an error: the caller signs
 * the ordinary way.
 *
 * A pair is a secret as strong as the key itself (k⁻¹ and one signature
 * give d): pairs are taken out of the pool under its lock, so no two
 * signatures can share one, and every pair is cleared when used or when
 * the pool is stopped.  A child made by fork(2) gets a copy of the
 * process's memory but not the filling thread: a pthread_atfork handler
 * clears every pool in the child, so that no copy of a pair outlives the
 * fork there.  With OpenSSL's secure heap on (crypto_secure_heap), k⁻¹
 * lives in locked memory that is never swapped or dumped.
 */
#define _GNU_SOURCE	/* SCHED_IDLE */
#define OPENSSL_API_COMPAT 10101	/* EC_KEY, ECDSA_do_sign_ex */

#include <sched.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "cloister/error.h"
#include "crypto.h"
#include "crypto_int.h"

#define P256_COORD_LEN	32
#define PRESIGN_MAX	4096

struct presign {
	struct presign	*next;		/* every pool, for fork */
	EC_KEY		*sign_key;	/* the caller's thread */
	EC_KEY		*setup_key;	/* the filling thread's own copy */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	BIGNUM		**kinv, **r;
	size_t		 n, depth;
	int		 stop;
	int		 forked;	/* a child's copy: no thread to join */
};

static void
pair_free(BIGNUM *kinv, BIGNUM *r)
{
	BN_clear_free(kinv);
	BN_clear_free(r);
}

/* ---- fork ------------------------------------------------------------ */

static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static struct presign *pools;

/* Around fork(2) every pool's lock is held, so the child sees each pool
 * in a consistent state, and clears it. */
static void
fork_prepare(void)
{
	pthread_mutex_lock(&pools_lock);
	for (struct presign *p = pools; p != NULL; p = p->next)
		pthread_mutex_lock(&p->lock);
}

static void
fork_parent(void)
{
	for (struct presign *p = pools; p != NULL; p = p->next)
		pthread_mutex_unlock(&p->lock);
	pthread_mutex_unlock(&pools_lock);
}

static void
fork_child(void)
{
	for (struct presign *p = pools; p != NULL; p = p->next) {
		while (p->n > 0) {
			p->n--;
			pair_free(p->kinv[p->n], p->r[p->n]);
			p->kinv[p->n] = p->r[p->n] = NULL;
		}
		p->stop = 1;
		p->forked = 1;	/* no filling thread here */
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_unlock(&pools_lock);
}

static void
atfork_init(void)
{
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void
pools_add(struct presign *p)
{
	pthread_once(&atfork_once, atfork_init);
	pthread_mutex_lock(&pools_lock);
	p->next = pools;
	pools = p;
	pthread_mutex_unlock(&pools_lock);
}

static void
pools_remove(struct presign *p)
{
	struct presign **pp;

	pthread_mutex_lock(&pools_lock);
	for (pp = &pools; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&pools_lock);
}

/* ---- the pool ---------------------------------------------------------- */

/* Refill to depth whenever the pool falls to half of it, so that the
 * thread wakes once per depth/2 signatures, not once per signature. */
static void *
filler(void *arg)
{
	struct presign *p = arg;
	struct sched_param sp = { .sched_priority = 0 };
	BIGNUM *kinv, *r;
	int ok;

	/* Only a CPU with nothing else to do fills the pool: a request never
	 * waits behind it, and a saturated gateway signs the ordinary way. */
	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if (p->n > p->depth / 2) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		while (!p->stop && p->n < p->depth) {
			pthread_mutex_unlock(&p->lock);
			kinv = r = NULL;
			ok = ECDSA_sign_setup(p->setup_key, NULL, &kinv, &r);
			pthread_mutex_lock(&p->lock);
			if (!ok) {
				pair_free(kinv, r);
				break;	/* the callers sign the slow way */
			}
			p->kinv[p->n] = kinv;
			p->r[p->n] = r;
			p->n++;
		}
		if (p->n < p->depth && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
presign_start(struct ec_privkey *k, size_t depth)
{
	struct presign *p;

	if (k->pre != NULL)
		return 0;
	if (depth < 2 || depth > PRESIGN_MAX)
		return CLOISTER_ERR_INVALID_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->kinv = calloc(depth, sizeof(*p->kinv))) == NULL ||
	    (p->r = calloc(depth, sizeof(*p->r))) == NULL)
		goto nomem;
	p->depth = depth;
	if ((p->sign_key = EVP_PKEY_get1_EC_KEY(k->pkey)) == NULL ||
	    (p->setup_key = EC_KEY_dup(p->sign_key)) == NULL)
		goto nomem;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	pools_add(p);
	if (pthread_create(&p->thread, NULL, filler, p) != 0) {
		pools_remove(p);
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		goto nomem;
	}
	k->pre = p;
	return 0;
 nomem:
	if (p != NULL) {
		EC_KEY_free(p->setup_key);
		EC_KEY_free(p->sign_key);
		free(p->kinv);
		free(p->r);
		free(p);
	}
	return CLOISTER_ERR_ALLOC;
}

void
presign_stop(struct presign *p)
{
	if (p == NULL)
		return;
	pools_remove(p);
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	/* A child's copy has no thread, and its condition variable still
	 * counts the parent's waiter: neither is touched there. */
	if (!p->forked)
		pthread_join(p->thread, NULL);
	while (p->n > 0) {
		p->n--;
		pair_free(p->kinv[p->n], p->r[p->n]);
	}
	if (!p->forked) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
	}
	EC_KEY_free(p->setup_key);
	EC_KEY_free(p->sign_key);	/* OpenSSL clears the scalar */
	free(p->kinv);
	free(p->r);
	free(p);
}

size_t
presign_ready(struct presign *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int
presign_sign(struct presign *p, const uint8_t dg[CRYPTO_SHA256_LEN],
    uint8_t sig[CRYPTO_P256_RAW_SIG_LEN])
{
	BIGNUM *kinv = NULL, *r = NULL;
	const BIGNUM *sr, *ss;
	ECDSA_SIG *s;
	int ok;

	pthread_mutex_lock(&p->lock);
	if (p->n > 0) {
		p->n--;
		kinv = p->kinv[p->n];
		r = p->r[p->n];
		p->kinv[p->n] = p->r[p->n] = NULL;
	}
	if (p->n <= p->depth / 2)
		pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (kinv == NULL)
		return CLOISTER_ERR_NOT_FOUND;
	s = ECDSA_do_sign_ex(dg, CRYPTO_SHA256_LEN, kinv, r, p->sign_key);
	pair_free(kinv, r);
	if (s == NULL)
		return CLOISTER_ERR_INTERNAL;	/* s = 0: sign anew */
	ECDSA_SIG_get0(s, &sr, &ss);
	ok = BN_bn2binpad(sr, sig, P256_COORD_LEN) == P256_COORD_LEN &&
	    BN_bn2binpad(ss, sig + P256_COORD_LEN, P256_COORD_LEN) ==
	    P256_COORD_LEN;
	ECDSA_SIG_free(s);
	return ok ? 0 : CLOISTER_ERR_INTERNAL;
}
