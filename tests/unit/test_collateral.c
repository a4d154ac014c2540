/*
 * Collateral loading: content classification of every format, directory
 * rules, and readable errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "collateral.h"
#include "testutil.h"

#define PHALA "tdx/phala-dcap-qvl/"
#define GOOGLE "tdx/google-go-tdx-guest/"
#define ZK "tdx/datachainlab-zkdcap/"

static struct cloister_collateral *
load(const char *const *rel, size_t n, int want, char *why)
{
	static char store[8][4096];
	const char *paths[8];
	struct cloister_collateral *c = NULL;
	int rc;

	for (size_t i = 0; i < n; i++) {
		snprintf(store[i], sizeof(store[i]), "%s", tu_vector(rel[i]));
		paths[i] = store[i];
	}
	rc = cloister_collateral_load(paths, n, &c, why, 512);
	if (rc != want)
		fail_msg("loading %s: %s, expected %s (%s)", rel[0],
		    cloister_errname(rc), cloister_errname(want), why);
	return c;
}

static void
test_dcap_qvl_bundle(void **state)
{
	static const char *rel[] = { PHALA "tdx_quote_collateral.json" };
	struct cloister_collateral *c;
	char why[512];

	c = load(rel, 1, 0, why);
	assert_int_equal(c->ntcb, 1);
	assert_int_equal(c->nqe, 1);
	assert_int_equal(c->ncrl, 2);
	assert_int_equal(c->nchains, 1);	/* the PCK CRL issuer chain */
	assert_non_null(c->tcb[0].doc.chain);	/* attached to its document */
	assert_non_null(c->qe[0].doc.chain);
	assert_true(c->tcb[0].info->is_tdx);
	assert_string_equal(c->qe[0].qe->id, "TD_QE");
	cloister_collateral_free(c);
}

static void
test_pcs_files_and_directory(void **state)
{
	static const char *files[] = { PHALA "tdx_quote.tcb_info.pcs.json",
	    PHALA "tdx_quote.tcb_info_issuer_chain.pem",
	    PHALA "tdx_quote.qe_identity.pcs.json",
	    PHALA "tdx_quote.pck_crl.der", PHALA "tdx_quote.root_ca_crl.der" };
	static const char *dir[] = { GOOGLE };
	static const char *zk[] = { ZK };
	struct cloister_collateral *c;
	char why[512];

	c = load(files, 5, 0, why);
	assert_int_equal(c->ntcb, 1);
	assert_int_equal(c->nqe, 1);
	assert_int_equal(c->ncrl, 2);
	assert_int_equal(c->nchains, 1);
	assert_null(c->tcb[0].doc.chain);	/* found by CN when used */
	cloister_collateral_free(c);

	/* Raw PCS files (two TCB infos, one QE identity, three chains, two
	 * CRLs) beside two dcap-qvl bundles (one TCB info, QE identity, two
	 * CRLs and one loose chain each); quotes and a subdirectory are
	 * skipped. */
	c = load(dir, 1, 0, why);
	assert_int_equal(c->ntcb, 4);
	assert_int_equal(c->nqe, 3);
	assert_int_equal(c->ncrl, 6);
	assert_int_equal(c->nchains, 5);
	cloister_collateral_free(c);

	/* Raw files (a bare signing certificate, three CRLs, a DER root
	 * that is skipped) beside a bundle. */
	c = load(zk, 1, 0, why);
	assert_int_equal(c->ntcb, 2);
	assert_int_equal(c->nqe, 2);
	assert_int_equal(c->ncrl, 5);
	assert_int_equal(c->nchains, 2);
	cloister_collateral_free(c);
}

static void
test_errors(void **state)
{
	static const char *quote[] = { PHALA "tdx_quote.bin" };
	static const char *missing[] = { PHALA "no-such-file.json" };
	static const char *manifest[] = { "tdx/MANIFEST.md" };
	char why[512];

	assert_null(load(quote, 1, CLOISTER_ERR_BAD_FIELD, why));
	assert_non_null(strstr(why, "not collateral"));
	assert_null(load(missing, 1, CLOISTER_ERR_IO, why));
	assert_null(load(manifest, 1, CLOISTER_ERR_BAD_FIELD, why));
}

static void
add(struct cloister_collateral *c, const char *text, int want,
    const char *why_has)
{
	char why[512] = "";
	int rc;

	rc = collateral_add_buffer(c, "t.json", (const uint8_t *)text,
	    strlen(text), why, sizeof(why));
	if (rc != want)
		fail_msg("%s: %s (%s)", text, cloister_errname(rc), why);
	if (why_has != NULL && strstr(why, why_has) == NULL)
		fail_msg("reason '%s' lacks '%s'", why, why_has);
}

static void
test_buffers(void **state)
{
	struct cloister_collateral *c = calloc(1, sizeof(*c));
	uint8_t *b;
	size_t n;

	assert_non_null(c);
	add(c, "{\"tcbInfo\":{},\"signature\":\"00\"}", CLOISTER_ERR_BAD_FIELD,
	    "version");
	add(c, "{\"tcbInfo\":{}}", CLOISTER_ERR_BAD_FIELD, "signature");
	add(c, "{\"tcb_info\":\"{}\"}", CLOISTER_ERR_BAD_FIELD, "missing");
	add(c, "{\"format\":\"cloister-collateral/9\",\"tcb_info\":\"\"}",
	    CLOISTER_ERR_BAD_FIELD, "cloister-collateral/1");
	add(c, "{\"tcbInfo\":1,\"tcbInfo\":2}", CLOISTER_ERR_BAD_JSON, NULL);
	add(c, "{\"hello\":1}", CLOISTER_ERR_BAD_FIELD, "not collateral");
	add(c, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	    CLOISTER_ERR_BAD_CERT, NULL);
	assert_int_equal(c->ntcb + c->nqe + c->ncrl + c->nchains, 0);
	/* The bundle with a wrong signature length. */
	b = tu_read(tu_vector(PHALA "tdx_quote.tcb_info.pcs.json"), &n);
	{
		char *sig = strstr((char *)b, "\"signature\":\"");

		assert_non_null(sig);
		sig[13] = '"';	/* empty signature */
		memmove(sig + 14, sig + 13 + 129, strlen(sig + 13 + 129) + 1);
		add(c, (char *)b, CLOISTER_ERR_BAD_FIELD, "128 hex");
	}
	free(b);
	/* More than COLLATERAL_ITEMS_MAX CRLs. */
	b = tu_read(tu_vector(PHALA "tdx_quote.root_ca_crl.der"), &n);
	for (size_t i = 0; i < COLLATERAL_ITEMS_MAX; i++)
		assert_int_equal(collateral_add_buffer(c, "crl", b, n, NULL, 0),
		    0);
	assert_int_equal(collateral_add_buffer(c, "crl", b, n, NULL, 0),
	    CLOISTER_ERR_TOO_LARGE);
	free(b);
	cloister_collateral_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dcap_qvl_bundle),
		cmocka_unit_test(test_pcs_files_and_directory),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
