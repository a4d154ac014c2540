/*
 * The instance identity: a fresh key per instance that signs verifiably,
 * and the REPORTDATA / GPU nonce framing of identity.h, against values
 * computed independently (Python hashlib) from the documented layout.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cloister/error.h"
#include "crypto.h"
#include "identity.h"
#include "testutil.h"

static void
binding(struct identity_binding *b, uint8_t *gpu, const char *nonce)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < IDENTITY_PUB_LEN; i++)
		b->pub[i] = (uint8_t)i;
	memset(gpu, 0xaa, IDENTITY_GPU_HASH_LEN);
	b->gpu_hash = gpu;
	memset(b->config, 0x55, IDENTITY_CONFIG_LEN);
	b->nonce = (const uint8_t *)nonce;
	b->nonce_len = strlen(nonce);
}

static void
test_known_answers(void **state)
{
	struct identity_binding b;
	uint8_t gpu[IDENTITY_GPU_HASH_LEN], rd[64], gn[32];

	binding(&b, gpu, "hello");
	assert_int_equal(identity_report_data(&b, rd), 0);
	tu_assert_hex(rd, "c85bd496d5fe407754c571be3b067b64da74c589f28ce295c0"
	    "253d59a42e7080eb83a57bfe19f49ea8fbf491f12aef275045ebcd36e0b10e0"
	    "581333b96836c87");
	assert_int_equal(identity_gpu_nonce(&b, gn), 0);
	tu_assert_hex(gn, "5892f46e5e80e9082c9c4daad247052e0d637fa76c4395493b"
	    "8cf944aa7f286f");
}

/* Every committed field changes REPORTDATA. */
static void
test_every_field_counts(void **state)
{
	struct identity_binding b;
	uint8_t gpu[IDENTITY_GPU_HASH_LEN], base[64], rd[64];

	binding(&b, gpu, "hello");
	assert_int_equal(identity_report_data(&b, base), 0);
	b.pub[63] ^= 1;
	identity_report_data(&b, rd);
	assert_memory_not_equal(rd, base, 64);
	b.pub[63] ^= 1;
	gpu[0] ^= 1;
	identity_report_data(&b, rd);
	assert_memory_not_equal(rd, base, 64);
	gpu[0] ^= 1;
	b.config[0] ^= 1;
	identity_report_data(&b, rd);
	assert_memory_not_equal(rd, base, 64);
	b.config[0] ^= 1;
	b.nonce_len = 4;	/* "hell": a prefix must not collide */
	identity_report_data(&b, rd);
	assert_memory_not_equal(rd, base, 64);
	b.gpu_hash = NULL;	/* no GPU evidence */
	b.nonce_len = 5;
	identity_report_data(&b, rd);
	assert_memory_not_equal(rd, base, 64);
	b.nonce_len = IDENTITY_NONCE_MAX + 1;
	assert_int_equal(identity_report_data(&b, rd),
	    CLOISTER_ERR_INVALID_ARG);
}

static void
test_key_signs(void **state)
{
	struct identity *a, *b;
	struct ec_pubkey *pk;
	uint8_t pa[64], pb[64], sig[64];
	const char msg[] = "receipt";

	assert_int_equal(identity_new(&a), 0);
	assert_int_equal(identity_new(&b), 0);
	identity_public(a, pa);
	identity_public(b, pb);
	assert_memory_not_equal(pa, pb, 64);
	assert_int_equal(identity_sign(a, msg, sizeof(msg), sig), 0);
	assert_int_equal(crypto_p256_pubkey_from_raw(pa, &pk), 0);
	assert_int_equal(crypto_ecdsa_p256_verify(pk, msg, sizeof(msg), sig),
	    0);
	assert_int_not_equal(crypto_ecdsa_p256_verify(pk, msg,
	    sizeof(msg) - 1, sig), 0);
	crypto_pubkey_free(pk);
	assert_int_equal(crypto_p256_pubkey_from_raw(pb, &pk), 0);
	assert_int_not_equal(crypto_ecdsa_p256_verify(pk, msg, sizeof(msg),
	    sig), 0);
	crypto_pubkey_free(pk);
	identity_free(a);
	identity_free(b);
	identity_free(NULL);
}

/*
 * Signatures from secrets made ahead verify like any other, never share
 * an r (a shared k gives the key away), and keep coming, the slow way,
 * when signing outruns the pool.
 */
static void
test_presigned(void **state)
{
	enum { N = 300, DEPTH = 16 };
	static uint8_t rs[N][32];
	struct identity *a;
	struct ec_pubkey *pk;
	uint8_t pa[64], sig[64], msg[8];
	int waited = 0;

	(void)state;
	assert_int_equal(identity_new(&a), 0);
	assert_int_equal(identity_presign(a, 1), CLOISTER_ERR_INVALID_ARG);
	assert_int_equal(identity_presign(a, DEPTH), 0);
	assert_int_equal(identity_presign(a, DEPTH), 0);	/* once */
	identity_public(a, pa);
	assert_int_equal(crypto_p256_pubkey_from_raw(pa, &pk), 0);
	while (identity_presigned(a) < DEPTH && waited++ < 5000)
		usleep(1000);
	assert_int_equal(identity_presigned(a), DEPTH);
	for (int i = 0; i < N; i++) {
		memcpy(msg, &i, sizeof(i));
		memset(msg + sizeof(i), 0x5a, sizeof(msg) - sizeof(i));
		assert_int_equal(identity_sign(a, msg, sizeof(msg), sig), 0);
		assert_int_equal(crypto_ecdsa_p256_verify(pk, msg,
		    sizeof(msg), sig), 0);
		msg[0] ^= 1;
		assert_int_not_equal(crypto_ecdsa_p256_verify(pk, msg,
		    sizeof(msg), sig), 0);
		memcpy(rs[i], sig, 32);
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(rs[i], rs[j], 32);
	}
	assert_true(identity_presigned(a) <= DEPTH);
	crypto_pubkey_free(pk);
	identity_free(a);	/* stops the thread, clears the pool */
}

static void
wait_presigned(struct identity *a, size_t want)
{
	int waited = 0;

	while (identity_presigned(a) < want && waited++ < 5000)
		usleep(1000);
	assert_int_equal(identity_presigned(a), want);
}

/* A child made by fork(2) holds no presigned secret: the pool is cleared
 * there (and signing still works, the ordinary way); the parent's stays. */
static void
test_presign_fork(void **state)
{
	enum { DEPTH = 8 };
	struct identity *a;
	uint8_t sig[64], msg[4] = { 1, 2, 3, 4 };
	int st;
	pid_t pid;

	(void)state;
	assert_int_equal(identity_new(&a), 0);
	assert_int_equal(identity_presign(a, DEPTH), 0);
	wait_presigned(a, DEPTH);
	if ((pid = fork()) == 0) {
		int bad = identity_presigned(a) != 0 ||
		    identity_sign(a, msg, sizeof(msg), sig) != 0;

		identity_free(a);	/* no thread to join in the child */
		_exit(bad ? 1 : 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(identity_presigned(a), DEPTH);
	identity_free(a);
}

/* With the secure heap on, the key and the presigned secrets live in it
 * (locked, not dumped); off, nothing is there. */
static void
test_secure_heap(void **state)
{
	struct identity *a;
	size_t before;
	int r;

	(void)state;
	assert_int_equal(crypto_secure_heap_used(), 0);
	r = crypto_secure_heap(64 * 1024);
	if (r == CLOISTER_ERR_NOT_AVAILABLE) {
		/* RLIMIT_MEMLOCK too small here: the heap may exist but is
		 * not locked, and the call says so. */
		print_message("secure heap not locked here; skipped\n");
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(crypto_secure_heap(64 * 1024), 0);	/* once */
	before = crypto_secure_heap_used();
	assert_int_equal(identity_new(&a), 0);
	assert_true(crypto_secure_heap_used() > before);
	before = crypto_secure_heap_used();
	assert_int_equal(identity_presign(a, 8), 0);
	wait_presigned(a, 8);
	assert_true(crypto_secure_heap_used() > before);
	identity_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_every_field_counts),
		cmocka_unit_test(test_key_signs),
		cmocka_unit_test(test_presigned),
		cmocka_unit_test(test_presign_fork),
		cmocka_unit_test(test_secure_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
