/*
 * The instance identity key and what evidence commits to (identity.h).
 * The key lives in crypto.c's private-key handle; this file only frames
 * the bytes that are hashed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "crypto.h"
#include "identity.h"

#define FRAME_MAX	(64 + IDENTITY_PUB_LEN + IDENTITY_GPU_HASH_LEN + \
			 IDENTITY_CONFIG_LEN + IDENTITY_TLS_LEN + 1 + \
			 IDENTITY_NONCE_MAX)

struct identity {
	struct ec_privkey *key;
	uint8_t		 pub[IDENTITY_PUB_LEN];
	/* The key's signing context is one thread's at a time: the loop
	 * signs receipts, the evidence thread signs fresh bundles. */
	pthread_mutex_t	 lock;
};

int
identity_new(struct identity **out)
{
	struct identity *id;
	int r;

	*out = NULL;
	if ((id = calloc(1, sizeof(*id))) == NULL)
		return CLOISTER_ERR_ALLOC;
	pthread_mutex_init(&id->lock, NULL);
	if ((r = crypto_p256_generate(&id->key)) != 0 ||
	    (r = crypto_p256_privkey_pub_raw(id->key, id->pub)) != 0) {
		identity_free(id);
		return r;
	}
	*out = id;
	return 0;
}

void
identity_free(struct identity *id)
{
	if (id == NULL)
		return;
	crypto_privkey_free(id->key);
	pthread_mutex_destroy(&id->lock);
	free(id);
}

void
identity_public(const struct identity *id, uint8_t pub[IDENTITY_PUB_LEN])
{
	memcpy(pub, id->pub, IDENTITY_PUB_LEN);
}

int
identity_presign(struct identity *id, size_t depth)
{
	return crypto_p256_presign(id->key, depth);
}

size_t
identity_presigned(const struct identity *id)
{
	return crypto_p256_presigned(id->key);
}

int
identity_sign(const struct identity *id, const void *msg, size_t len,
    uint8_t sig[IDENTITY_SIG_LEN])
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&id->lock;
	int r;

	pthread_mutex_lock(lock);
	r = crypto_ecdsa_p256_sign(id->key, msg, len, sig);
	pthread_mutex_unlock(lock);
	return r;
}

static void
put(uint8_t *buf, size_t *off, const void *p, size_t n)
{
	memcpy(buf + *off, p, n);
	*off += n;
}

/* label NUL || pub || [gpu hash] || config || [tls spki] || len || nonce */
static int
frame(const struct identity_binding *b, const char *label, int with_gpu,
    int with_tls, uint8_t *buf, size_t *len)
{
	static const uint8_t none[IDENTITY_GPU_HASH_LEN];
	uint8_t n;

	if (b->nonce_len > IDENTITY_NONCE_MAX ||
	    (b->nonce_len > 0 && b->nonce == NULL))
		return CLOISTER_ERR_INVALID_ARG;
	*len = 0;
	put(buf, len, label, strlen(label) + 1);
	put(buf, len, b->pub, IDENTITY_PUB_LEN);
	if (with_gpu)
		put(buf, len, b->gpu_hash != NULL ? b->gpu_hash : none,
		    IDENTITY_GPU_HASH_LEN);
	put(buf, len, b->config, IDENTITY_CONFIG_LEN);
	if (with_tls && b->tls_spki != NULL)
		put(buf, len, b->tls_spki, IDENTITY_TLS_LEN);
	n = (uint8_t)b->nonce_len;
	put(buf, len, &n, 1);
	if (b->nonce_len > 0)
		put(buf, len, b->nonce, b->nonce_len);
	return 0;
}

int
identity_report_data(const struct identity_binding *b,
    uint8_t out[IDENTITY_REPORT_DATA_LEN])
{
	uint8_t buf[FRAME_MAX];
	size_t len;
	int r;

	if ((r = frame(b, b->tls_spki != NULL ? IDENTITY_LABEL_TLS :
	    IDENTITY_LABEL, 1, 1, buf, &len)) != 0)
		return r;
	return crypto_sha512(buf, len, out);
}

int
identity_gpu_nonce(const struct identity_binding *b,
    uint8_t out[IDENTITY_GPU_NONCE_LEN])
{
	uint8_t buf[FRAME_MAX];
	size_t len;
	int r;

	if ((r = frame(b, IDENTITY_GPU_LABEL, 0, 0, buf, &len)) != 0)
		return r;
	return crypto_sha256(buf, len, out);
}
