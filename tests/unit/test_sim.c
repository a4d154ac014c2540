/*
 * The simulated DCAP PKI (lib/sim/sim_pki.c): the pinned root key, and that
 * what it makes reads back through Cloister's own parsers and verifiers
 * (x509, quote, crypto), hooks included.  The fixture tree's contract is
 * checked last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "crypto.h"
#include "pck_ext.h"
#include "quote.h"
#include "roots.h"
#include "sim_gpu.h"
#include "sim_pki.h"
#include "sim_quote.h"
#include "testutil.h"
#include "util.h"
#include "x509.h"

#define T2025	1735689600
#define T2026	1767225600
#define T2035	2051222400

/* x || y of P-256 with d = SHA-256("Cloister SIMULATED SGX Root CA key v1"),
 * computed independently (Python cryptography). */
static const char root_pub_hex[] =
    "e635366ff129a264641cb3ec3d263b52ca293afb0e38b43b3ac4617319c01eff"
    "906a4db43665e0d8cd1204618f7d2e433fc4c5f6b4cf318275125394698f9418";

struct pki {
	struct sim_cert	*root, *ca, *leaf;
	struct sim_pck_info info;
};

static void
pki_make(struct pki *p, enum sim_pck_ca kind)
{
	struct sim_key *rk = NULL;
	struct sim_cert_opts o = { .not_before = T2025, .not_after = T2035 };

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < 16; i++) {
		p->info.ppid[i] = (uint8_t)(0xa0 + i);
		p->info.comp_svn[i] = (uint8_t)(i * 17);	/* up to 255 */
		p->info.cpusvn[i] = (uint8_t)(16 - i);
		p->info.platform_instance[i] = (uint8_t)i;
	}
	p->info.pcesvn = 0x1234;
	p->info.pceid[1] = 0x01;
	memcpy(p->info.fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
	assert_int_equal(sim_key_root(&rk), 0);
	o.key = rk;
	assert_int_equal(sim_cert_root(&o, &p->root), 0);
	o.key = NULL;
	assert_int_equal(sim_cert_pck_ca(p->root, kind, &o, &p->ca), 0);
	assert_int_equal(sim_cert_pck_leaf(p->ca, &p->info, &o, &p->leaf), 0);
	sim_key_free(rk);
}

static void
pki_free(struct pki *p)
{
	sim_cert_free(p->leaf);
	sim_cert_free(p->ca);
	sim_cert_free(p->root);
}

static struct x509_cert *
parsed(const struct sim_cert *c)
{
	struct x509_cert *x = NULL;
	uint8_t *der;
	size_t len;

	assert_int_equal(sim_cert_der(c, &der, &len), 0);
	assert_int_equal(x509_cert_parse(der, len, &x), 0);
	free(der);
	return x;
}

static void
test_root_key_pinned(void **state)
{
	uint8_t a[64], b[64], c[64];
	struct sim_key *k = NULL;

	(void)state;
	assert_int_equal(sim_pki_root_pubkey(a), 0);
	assert_int_equal(sim_pki_root_pubkey(b), 0);
	assert_memory_equal(a, b, sizeof(a));
	tu_assert_hex(a, root_pub_hex);
	assert_int_equal(sim_key_root(&k), 0);
	assert_int_equal(sim_key_pub_raw(k, c), 0);
	assert_memory_equal(a, c, sizeof(a));
	sim_key_free(k);

	/* Everything below the root is fresh. */
	assert_int_equal(sim_key_new(&k), 0);
	assert_int_equal(sim_key_pub_raw(k, c), 0);
	assert_memory_not_equal(a, c, sizeof(a));
	sim_key_free(k);
}

/* The verifiers recognise the simulated roots by the digests in roots.c,
 * not by calling into lib/sim: those must be what lib/sim derives. */
static void
test_roots_pin_sim_keys(void **state)
{
	const uint8_t *want[2] = { roots_sim_gpu_device_root_spki_sha256,
	    roots_sim_gpu_rim_root_spki_sha256 };
	struct x509_cert *x;
	struct pki p;
	uint8_t h[32], *der;
	size_t len;

	(void)state;
	pki_make(&p, SIM_PCK_PLATFORM);
	x = parsed(p.root);
	assert_int_equal(x509_cert_spki_sha256(x, h), 0);
	assert_memory_equal(h, roots_sim_sgx_root_spki_sha256, 32);
	x509_cert_free(x);
	x = parsed(p.ca);	/* a fresh key is not the root's */
	assert_int_equal(x509_cert_spki_sha256(x, h), 0);
	assert_memory_not_equal(h, roots_sim_sgx_root_spki_sha256, 32);
	x509_cert_free(x);
	pki_free(&p);
	for (int rim = 0; rim < 2; rim++) {
		assert_int_equal(sim_gpu_root_der(rim, &der, &len), 0);
		assert_int_equal(x509_cert_parse(der, len, &x), 0);
		assert_int_equal(x509_cert_spki_sha256(x, h), 0);
		assert_memory_equal(h, want[rim], 32);
		x509_cert_free(x);
		free(der);
	}
}

static void
test_certs_parse_back(void **state)
{
	struct pki p;
	struct x509_cert *root, *ca, *leaf;
	struct ec_pubkey *k = NULL;
	uint8_t xy[64];
	char cn[X509_CN_MAX];

	(void)state;
	pki_make(&p, SIM_PCK_PLATFORM);
	root = parsed(p.root);
	ca = parsed(p.ca);
	leaf = parsed(p.leaf);
	assert_int_equal(x509_cert_subject_cn(root, cn, sizeof(cn)), 0);
	assert_string_equal(cn, SIM_PKI_ROOT_CN);
	assert_int_equal(x509_cert_subject_cn(ca, cn, sizeof(cn)), 0);
	assert_string_equal(cn, SIM_PKI_PLATFORM_CA_CN);
	assert_int_equal(x509_cert_subject_cn(leaf, cn, sizeof(cn)), 0);
	assert_string_equal(cn, SIM_PKI_PCK_CN);
	assert_int_equal(x509_cert_issuer_cn(leaf, cn, sizeof(cn)), 0);
	assert_string_equal(cn, SIM_PKI_PLATFORM_CA_CN);
	assert_true(x509_cert_not_before(leaf) == T2025);
	assert_true(x509_cert_not_after(leaf) == T2035);

	assert_int_equal(x509_cert_pubkey(root, &k), 0);
	assert_int_equal(crypto_p256_pubkey_raw(k, xy), 0);
	tu_assert_hex(xy, root_pub_hex);
	crypto_pubkey_free(k);
	x509_cert_free(root);
	x509_cert_free(ca);
	x509_cert_free(leaf);
	pki_free(&p);
}

static void
check_pck_ext(enum sim_pck_ca kind, enum pck_ca want)
{
	struct pki p;
	struct x509_cert *leaf;
	struct pck_ext e;

	pki_make(&p, kind);
	leaf = parsed(p.leaf);
	assert_int_equal(x509_pck_ext(leaf, &e), 0);
	assert_memory_equal(e.ppid, p.info.ppid, 16);
	assert_memory_equal(e.comp_svn, p.info.comp_svn, 16);
	assert_int_equal(e.pcesvn, 0x1234);
	assert_memory_equal(e.cpusvn, p.info.cpusvn, 16);
	assert_memory_equal(e.pceid, p.info.pceid, 2);
	assert_memory_equal(e.fmspc, p.info.fmspc, 6);
	assert_int_equal(e.sgx_type, 0);
	assert_int_equal(e.ca, want);
	x509_cert_free(leaf);
	pki_free(&p);
}

static void
test_pck_ext_parses_back(void **state)
{
	(void)state;
	check_pck_ext(SIM_PCK_PLATFORM, PCK_CA_PLATFORM);	/* with .6/.7 */
	check_pck_ext(SIM_PCK_PROCESSOR, PCK_CA_PROCESSOR);
}

static struct x509_crl *
crl_of(const struct sim_cert *issuer, int64_t from, int64_t to,
    const struct sim_serial *rev, size_t n)
{
	struct x509_crl *crl = NULL;
	uint8_t *der;
	size_t len;

	assert_int_equal(sim_crl(issuer, from, to, rev, n, &der, &len), 0);
	assert_int_equal(x509_crl_parse(der, len, &crl), 0);
	free(der);
	return crl;
}

static int
verify_leaf(const struct pki *p, const struct sim_serial *rev, size_t n,
    int64_t at)
{
	const struct sim_cert *certs[3] = { p->leaf, p->ca, p->root };
	struct x509_chain *ch = NULL;
	struct x509_cert *root = parsed(p->root);
	struct x509_crl *crls[2];
	char *pem;
	size_t len;
	int r;

	assert_int_equal(sim_chain_pem(certs, 3, &pem, &len), 0);
	assert_int_equal(x509_chain_parse_pem((const uint8_t *)pem, len, &ch),
	    0);
	assert_int_equal(x509_chain_len(ch), 3);
	crls[0] = crl_of(p->ca, T2026, T2026 + 30 * 86400, rev, n);
	crls[1] = crl_of(p->root, T2026, T2026 + 30 * 86400, NULL, 0);
	r = x509_chain_verify(ch, root, (const struct x509_crl *const *)crls,
	    2, at, NULL, 0);
	x509_crl_free(crls[0]);
	x509_crl_free(crls[1]);
	x509_chain_free(ch);
	x509_cert_free(root);
	free(pem);
	return r;
}

static void
test_chain_and_crls(void **state)
{
	struct pki p;
	struct sim_serial s[2];
	struct x509_crl *crl;
	char cn[X509_CN_MAX];

	(void)state;
	pki_make(&p, SIM_PCK_PLATFORM);
	assert_int_equal(sim_cert_serial(p.leaf, &s[0]), 0);
	assert_int_equal(s[0].len, SIM_PKI_SERIAL_MAX);
	assert_int_equal(sim_cert_serial(p.ca, &s[1]), 0);

	crl = crl_of(p.ca, T2026, T2026 + 86400, s, 1);
	assert_int_equal(x509_crl_issuer_cn(crl, cn, sizeof(cn)), 0);
	assert_string_equal(cn, SIM_PKI_PLATFORM_CA_CN);
	assert_true(x509_crl_this_update(crl) == T2026);
	assert_true(x509_crl_next_update(crl) == T2026 + 86400);
	x509_crl_free(crl);

	assert_int_equal(verify_leaf(&p, &s[1], 1, T2026 + 86400), 0);
	assert_int_equal(verify_leaf(&p, s, 1, T2026 + 86400),
	    CLOISTER_ERR_CERT_REVOKED);
	assert_int_equal(verify_leaf(&p, NULL, 0, T2026 + 40 * 86400),
	    CLOISTER_ERR_CRL_EXPIRED);
	pki_free(&p);
}

static void
test_json_signature(void **state)
{
	static const char body[] = "{\"id\":\"TDX\",\"version\":3}";
	struct sim_key *k = NULL;
	struct ec_pubkey *pub = NULL;
	uint8_t xy[64], sig[64];
	char *env, want[256], hex[129];
	size_t len;

	(void)state;
	assert_int_equal(sim_key_new(&k), 0);
	assert_int_equal(sim_sign(k, body, strlen(body), sig), 0);
	assert_int_equal(sim_key_pub_raw(k, xy), 0);
	assert_int_equal(crypto_p256_pubkey_from_raw(xy, &pub), 0);
	assert_int_equal(crypto_ecdsa_p256_verify(pub, body, strlen(body),
	    sig), 0);
	assert_int_equal(crypto_ecdsa_p256_verify(pub, body, strlen(body) - 1,
	    sig), CLOISTER_ERR_SIGNATURE);

	assert_int_equal(sim_json_envelope("tcbInfo", body, strlen(body), sig,
	    &env, &len), 0);
	util_hex_encode(sig, sizeof(sig), hex);
	snprintf(want, sizeof(want), "{\"tcbInfo\":%s,\"signature\":\"%s\"}",
	    body, hex);
	assert_string_equal(env, want);
	assert_int_equal(len, strlen(want));
	free(env);
	crypto_pubkey_free(pub);
	sim_key_free(k);
}

/* Build a quote from p with hooks, parse it, and check its signatures:
 * returns the first failure, 0 when all hold. */
static int
build_and_check(const struct pki *p, struct sim_quote *sq,
    struct quote *q, uint8_t **buf)
{
	struct x509_cert *leaf = parsed(p->leaf);
	struct ec_pubkey *att = NULL, *pck = NULL;
	uint8_t msg[96], h[32];
	size_t len;
	int r;

	sq->pck_leaf = p->leaf;
	sq->pck_ca = p->ca;
	sq->root = p->root;
	assert_int_equal(sim_quote_build(sq, buf, &len), 0);
	assert_int_equal(quote_parse(*buf, len, q, NULL, 0), 0);
	assert_int_equal(crypto_p256_pubkey_from_raw(q->att_key, &att), 0);
	assert_int_equal(x509_cert_pubkey(leaf, &pck), 0);
	memcpy(msg, q->att_key, 64);
	assert_int_equal(q->qe_auth_len, 32);
	memcpy(msg + 64, q->qe_auth, 32);
	assert_int_equal(crypto_sha256(msg, sizeof(msg), h), 0);
	if ((r = crypto_ecdsa_p256_verify(att, q->raw, q->signed_len,
	    q->signature)) == 0 &&
	    (r = crypto_ecdsa_p256_verify(pck, q->qe_report.raw,
	    QUOTE_SGX_REPORT_LEN, q->qe_report_sig)) == 0 &&
	    memcmp(h, q->qe_report.report_data, 32) != 0)
		r = CLOISTER_ERR_QE_REPORT_DATA;
	assert_true(util_is_zero(q->qe_report.report_data + 32, 32));
	crypto_pubkey_free(att);
	crypto_pubkey_free(pck);
	x509_cert_free(leaf);
	return r;
}

static void
test_quote_versions(void **state)
{
	static const struct { uint16_t version, body_type, want_type;
	    size_t signed_len; } v[] = {
		{ 3, 0, QUOTE_BODY_SGX, 432 },
		{ 4, 0, QUOTE_BODY_TD10, 632 },
		{ 5, QUOTE_BODY_TD15, QUOTE_BODY_TD15, 702 },
		{ 5, QUOTE_BODY_TD10, QUOTE_BODY_TD10, 638 },
	};
	struct pki p;

	(void)state;
	pki_make(&p, SIM_PCK_PLATFORM);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sim_quote sq;
		struct quote q;
		uint8_t *buf = NULL;

		sim_quote_defaults(&sq, v[i].version);
		if (v[i].body_type != 0)
			sq.body_type = v[i].body_type;
		memset(sq.td.report_data, 0xd1, 64);
		memset(sq.td.mrservicetd, 0x5d, 48);
		memset(sq.sgx.report_data, 0x5b, 64);
		sq.qe.isvsvn = 7;
		sq.qe_svn = 7;
		sq.trailing_zeros = 70;
		assert_int_equal(build_and_check(&p, &sq, &q, &buf), 0);
		assert_int_equal(q.version, v[i].version);
		assert_int_equal(q.body_type, v[i].want_type);
		assert_int_equal(q.signed_len, v[i].signed_len);
		assert_int_equal(q.trailing, 70);
		assert_int_equal(q.qe_report.isvsvn, 7);
		assert_memory_equal(q.qe_vendor_id, quote_intel_qe_vendor_id, 16);
		assert_int_equal(q.pck_chain[q.pck_chain_len - 1], '\0');
		if (v[i].want_type == QUOTE_BODY_SGX) {
			assert_int_equal(q.tee_type, QUOTE_TEE_SGX);
			assert_int_equal(q.qe_svn, 7);
			assert_int_equal(q.qe_report.isvprodid, 1);
			assert_memory_equal(q.sgx.report_data,
			    sq.sgx.report_data, 64);
		} else {
			assert_int_equal(q.tee_type, QUOTE_TEE_TDX);
			assert_int_equal(q.qe_report.isvprodid, 2);
			tu_assert_hex(q.td.tee_tcb_svn, "060103");
			tu_assert_hex(q.td.td_attributes, "0000001000000000");
			assert_memory_equal(q.td.report_data,
			    sq.td.report_data, 64);
			if (v[i].want_type == QUOTE_BODY_TD15)
				assert_memory_equal(q.td.mrservicetd,
				    sq.td.mrservicetd, 48);
			else
				assert_null(q.td.mrservicetd);
		}
		free(buf);
	}
	pki_free(&p);
}

static void
test_quote_hooks(void **state)
{
	struct pki p;
	struct sim_key *other = NULL;
	struct sim_quote sq;
	struct quote q;
	uint8_t *buf = NULL;

	(void)state;
	pki_make(&p, SIM_PCK_PLATFORM);
	assert_int_equal(sim_key_new(&other), 0);

	sim_quote_defaults(&sq, 4);
	sq.flags = SIM_QUOTE_BAD_BINDING;
	assert_int_equal(build_and_check(&p, &sq, &q, &buf),
	    CLOISTER_ERR_QE_REPORT_DATA);
	free(buf);

	sim_quote_defaults(&sq, 4);
	sq.qe_signer = other;
	assert_int_equal(build_and_check(&p, &sq, &q, &buf),
	    CLOISTER_ERR_SIGNATURE);
	free(buf);

	sim_quote_defaults(&sq, 4);
	sq.quote_signer = other;
	assert_int_equal(build_and_check(&p, &sq, &q, &buf),
	    CLOISTER_ERR_SIGNATURE);
	free(buf);

	/* A given attestation key is the one the quote carries. */
	sim_quote_defaults(&sq, 5);
	sq.att_key = other;
	sq.flags = SIM_QUOTE_NO_NUL;
	assert_int_equal(build_and_check(&p, &sq, &q, &buf), 0);
	{
		uint8_t xy[64];

		assert_int_equal(sim_key_pub_raw(other, xy), 0);
		assert_memory_equal(q.att_key, xy, 64);
	}
	assert_int_equal(q.pck_chain[q.pck_chain_len - 1], '\n');
	free(buf);

	sim_key_free(other);
	pki_free(&p);
}

static void
test_bad_args(void **state)
{
	struct sim_cert_opts o = { .not_before = T2035, .not_after = T2025 };
	struct sim_cert *c = NULL;
	struct sim_quote sq;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(sim_cert_root(&o, &c), CLOISTER_ERR_INVALID_ARG);
	assert_null(c);
	sim_quote_defaults(&sq, 4);	/* no certificates */
	assert_int_equal(sim_quote_build(&sq, &buf, &len),
	    CLOISTER_ERR_INVALID_ARG);
	assert_null(buf);
	sim_quote_defaults(&sq, 6);
	assert_int_equal(sim_quote_build(&sq, &buf, &len),
	    CLOISTER_ERR_INVALID_ARG);
	sim_cert_free(NULL);
	sim_key_free(NULL);
}

/* The generated tree keeps the contract the verifier's tests read. */
static void
test_fixture_tree(void **state)
{
	static const char *const files[] = { "quote.bin", "case.txt",
	    "collateral/tcb_info.json", "collateral/tcb_info_issuer_chain.pem",
	    "collateral/qe_identity.json",
	    "collateral/qe_identity_issuer_chain.pem",
	    "collateral/pck_crl.der", "collateral/pck_crl_issuer_chain.pem",
	    "collateral/root_ca_crl.der" };
	struct x509_cert *root = NULL;
	struct ec_pubkey *k = NULL;
	uint8_t *buf, xy[64];
	size_t len, ncases = 0;
	char *list, *line, *save = NULL, rel[512];

	(void)state;
	buf = tu_read(tu_sim("root.pem"), &len);
	assert_int_equal(x509_cert_parse(buf, len, &root), 0);
	assert_int_equal(x509_cert_pubkey(root, &k), 0);
	assert_int_equal(crypto_p256_pubkey_raw(k, xy), 0);
	tu_assert_hex(xy, root_pub_hex);
	crypto_pubkey_free(k);
	x509_cert_free(root);
	free(buf);

	list = (char *)tu_read(tu_sim("cases.txt"), &len);
	for (line = strtok_r(list, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), ncases++) {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(rel, sizeof(rel), "%s/%s", line, files[i]);
			free(tu_read(tu_sim(rel), &len));
			assert_true(len > 0);
		}
	}
	assert_true(ncases >= 30);
	free(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_key_pinned),
		cmocka_unit_test(test_roots_pin_sim_keys),
		cmocka_unit_test(test_certs_parse_back),
		cmocka_unit_test(test_pck_ext_parses_back),
		cmocka_unit_test(test_chain_and_crls),
		cmocka_unit_test(test_json_signature),
		cmocka_unit_test(test_quote_versions),
		cmocka_unit_test(test_quote_hooks),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_fixture_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
