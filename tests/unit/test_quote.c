/*
 * Quote parsing over the real vectors: the fields their MANIFEST states,
 * trailing bytes, and every truncation.
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "quote.h"
#include "testutil.h"
#include "util.h"

struct parse_case {
	const char	*file;
	unsigned	 version;
	unsigned	 body_type;
	size_t		 len;
	size_t		 trailing;
	int		 trailing_zero;
	const char	*tee_tcb_svn;	/* TD only */
	const char	*mrtd;		/* TD: mrtd, SGX: mrenclave */
	const char	*report_data;
	const char	*rtmr0;
	const char	*td_attributes;
};

static const struct parse_case cases[] = {
	{ "tdx/phala-dcap-qvl/tdx_quote.bin", 4, QUOTE_BODY_TD10, 5006, 70, 1,
	    "06010300000000000000000000000000",
	    "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a40"
	    "7de03ae6dc5f87f27428b2538873118b7",
	    "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9"
	    "eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20",
	    "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c"
	    "48aca29b220b80b6a540cf994b9bc9c0",
	    "0000001000000000" },
	{ "tdx/phala-dcap-qvl/tdx_quote_outdated.bin", 5, QUOTE_BODY_TD15, 5006,
	    0, 1, "07010300000000000000000000000000",
	    "273828c46252fcbdd8ad2dd907130222b03466d52a2911d70c1a5950895d6bd1"
	    "ae451d382d5a9b1b4c0ed0e5ae9a3dbd",
	    "d2142b643598eb5fae2bc8529dd79a558b29f868ccbb6531cb28dab9dce47728"
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    NULL, "0000001000000000" },
	{ "tdx/phala-dcap-qvl/sgx_quote.bin", 3, QUOTE_BODY_SGX, 4600, 0, 1,
	    NULL,
	    "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
	    "48656c6c6f2c20776f726c642100000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    NULL, NULL },
	{ "tdx/google-go-tdx-guest/quote_v5_sample.dat", 5, QUOTE_BODY_TD15,
	    5006, 0, 1, "0b010400000000000000000000000000",
	    "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb0"
	    "01a1ced3ee19747dda8f750c3bc8f876",
	    "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e"
	    "094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a",
	    "5c8daf76063a71ac8fcef4067564661fc682ed7944c7a5d21dbbced02f61ceff"
	    "4ba0678c6aef3bdae8cbc614cec24619",
	    "0000001000000000" },
	{ "tdx/google-go-tdx-guest/ccel/cos-113-tdx-quote.dat", 4,
	    QUOTE_BODY_TD10, 8000, 3065, 1, "04010700000000000000000000000000",
	    "dae67181d3d65e073ad8f95b7907d5e927bfe9761c9ff3e9b89734a45d8954db"
	    "a41394c7717cb2735396c1d04231f94a",
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b192"
	    "97fc35e544039c7e1edece752afd17f6",
	    "0000001000000000" },
	{ "tdx/datachainlab-zkdcap/quote_tdx_00806f050000.dat", 4,
	    QUOTE_BODY_TD10, 8000, 3065, 1, "04010700000000000000000000000000",
	    "935be7742dd89c6a4df6dba8353d89041ae0f052beef993b1e7f4524d3bc5765"
	    "0df20e5582158352e1240b3f1fed55d8",
	    NULL, NULL, "0000001000000000" },
	{ "tdx/datachainlab-zkdcap/quote_v4_types_crate.dat", 4,
	    QUOTE_BODY_TD10, 4940, 0, 1, "04010700000000000000000000000000",
	    "cbd40696f617d42254fc7037469cbcf1414fe173678798cfa1070b7d40e26fa8"
	    "175b99d0cd245994278f980dec73146a",
	    NULL, NULL, "0000000000000000" },
	{ "tdx/coco-trustee/tdx_quote_4.dat", 4, QUOTE_BODY_TD10, 4936, 0, 1,
	    "03000500000000000000000000000000",
	    "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b6"
	    "89cac1599ccea1b7d420483a9ce5f031",
	    NULL, NULL, "0100001000000000" },
	{ "tdx/coco-trustee/tdx_quote_5.dat", 5, 0, 5006, 0, 1, NULL, NULL,
	    NULL, NULL, NULL },
	{ "tdx/coco-trustee/tdx_quote_6.dat", 4, QUOTE_BODY_TD10, 5006, 70, 1,
	    NULL, NULL, NULL, NULL, NULL },
	{ "tdx/coco-trustee/occlum_quote.dat", 3, QUOTE_BODY_SGX, 4733, 0, 1,
	    NULL, NULL, NULL, NULL, NULL },
	{ "tdx/coco-trustee/az-tdx-vtpm_td-quote.bin", 4, QUOTE_BODY_TD10, 5006,
	    70, 1, NULL, NULL, NULL, NULL, "0000000000000000" },
	{ "tdx/google-go-tdx-guest/tdx_prod_quote_SPR_E4.dat", 4,
	    QUOTE_BODY_TD10, 4974, 39, 0, NULL, NULL, NULL, NULL,
	    "0000004000000000" },
};

static void
test_vectors_parse(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		char why[256];
		struct quote q;
		uint8_t *buf;
		size_t len;
		int rc;

		buf = tu_read(tu_vector(c->file), &len);
		rc = quote_parse(buf, len, &q, why, sizeof(why));
		if (rc != 0)
			fail_msg("%s: %s (%s)", c->file, cloister_errname(rc),
			    why);
		assert_int_equal(len, c->len);
		assert_int_equal(q.version, c->version);
		if (c->body_type != 0)
			assert_int_equal(q.body_type, c->body_type);
		if (q.trailing != c->trailing)
			fail_msg("%s: %zu trailing bytes, expected %zu", c->file,
			    q.trailing, c->trailing);
		assert_int_equal(q.end + q.trailing, len);
		if (c->trailing > 0)
			assert_int_equal(util_is_zero(q.raw + q.end,
			    q.trailing), c->trailing_zero);
		if (q.body_type == QUOTE_BODY_SGX) {
			if (c->mrtd != NULL)
				tu_assert_hex(q.sgx.mrenclave, c->mrtd);
			if (c->report_data != NULL)
				tu_assert_hex(q.sgx.report_data,
				    c->report_data);
		} else {
			if (c->tee_tcb_svn != NULL)
				tu_assert_hex(q.td.tee_tcb_svn,
				    c->tee_tcb_svn);
			if (c->mrtd != NULL)
				tu_assert_hex(q.td.mrtd, c->mrtd);
			if (c->report_data != NULL)
				tu_assert_hex(q.td.report_data,
				    c->report_data);
			if (c->rtmr0 != NULL)
				tu_assert_hex(q.td.rtmr[0], c->rtmr0);
			if (c->td_attributes != NULL)
				tu_assert_hex(q.td.td_attributes,
				    c->td_attributes);
			assert_int_equal(q.td.mrservicetd != NULL,
			    q.body_type == QUOTE_BODY_TD15);
		}
		assert_memory_equal(q.qe_vendor_id, quote_intel_qe_vendor_id,
		    QUOTE_QE_VENDOR_LEN);
		/* The chain is PEM and the quote's type 5 data. */
		assert_true(q.pck_chain_len > 27);
		assert_memory_equal(q.pck_chain, "-----BEGIN CERTIFICATE-----",
		    27);
		free(buf);
	}
}

static void
test_v4_fields(void **state)
{
	struct quote q;
	uint8_t *buf;
	size_t len;

	buf = tu_read(tu_vector("tdx/phala-dcap-qvl/tdx_quote.bin"), &len);
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0), 0);
	assert_int_equal(q.tee_type, QUOTE_TEE_TDX);
	assert_int_equal(q.signed_len, 632);
	assert_int_equal(q.qe_report.isvsvn, 6);
	assert_int_equal(q.qe_auth_len, 32);
	tu_assert_hex(q.td.mrseam, "5b38e33a6487958b72c3c12a938eaa5e3fd4510c"
	    "51aeeab58c7d5ecee41d7c436489d6c8e4f92f160b7cad34207b00c1");
	tu_assert_hex(q.td.xfam, "e702060000000000");
	free(buf);

	buf = tu_read(tu_vector("tdx/phala-dcap-qvl/tdx_quote_outdated.bin"),
	    &len);
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0), 0);
	assert_int_equal(q.signed_len, 702);
	tu_assert_hex(q.td.tee_tcb_svn2, "0d010300000000000000000000000000");
	assert_int_equal(q.qe_report.isvsvn, 7);
	free(buf);

	buf = tu_read(tu_vector("tdx/phala-dcap-qvl/sgx_quote.bin"), &len);
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0), 0);
	assert_int_equal(q.signed_len, 432);
	assert_int_equal(q.qe_report.isvsvn, 10);
	tu_assert_hex(q.sgx.mrsigner, "815f42f11cf64430c30bab7816ba596a1da013"
	    "0c3b028b673133a66cf9a3e0e6");
	tu_assert_hex(q.sgx.attributes, "0500000000000000e700000000000000");
	free(buf);
}

static void
test_hex_input(void **state)
{
	struct quote q;
	uint8_t *buf, *bin = NULL;
	size_t len, binlen;

	buf = tu_read(tu_vector("tdx/phala-dcap-qvl/tdx-quote.hex"), &len);
	assert_int_equal(util_maybe_hex(buf, len, &bin, &binlen), 1);
	assert_int_equal(binlen, 5006);
	assert_int_equal(quote_parse(bin, binlen, &q, NULL, 0), 0);
	assert_int_equal(q.trailing, 70);
	free(bin);
	free(buf);
}

/* Every proper prefix ends inside a structure and must fail cleanly. */
static void
test_truncation_everywhere(void **state)
{
	static const char *files[] = { "tdx/phala-dcap-qvl/tdx_quote.bin",
	    "tdx/phala-dcap-qvl/tdx_quote_outdated.bin",
	    "tdx/phala-dcap-qvl/sgx_quote.bin" };

	for (size_t f = 0; f < 3; f++) {
		struct quote q, full;
		uint8_t *buf, *copy;
		size_t len;

		buf = tu_read(tu_vector(files[f]), &len);
		assert_int_equal(quote_parse(buf, len, &full, NULL, 0), 0);
		for (size_t n = 0; n < full.end; n++) {
			/* An exact-size heap copy lets ASan see over-reads. */
			copy = malloc(n + 1);
			assert_non_null(copy);
			memcpy(copy, buf, n);
			if (quote_parse(copy, n, &q, NULL, 0) == 0)
				fail_msg("%s: prefix of %zu bytes parsed",
				    files[f], n);
			assert_null(q.raw);
			free(copy);
		}
		free(buf);
	}
}

static void
test_header_rejects(void **state)
{
	char why[256];
	struct quote q;
	uint8_t *buf;
	size_t len;

	buf = tu_read(tu_vector("tdx/phala-dcap-qvl/tdx_quote.bin"), &len);
	buf[0] = 6;
	assert_int_equal(quote_parse(buf, len, &q, why, sizeof(why)),
	    CLOISTER_ERR_BAD_VERSION);
	assert_non_null(strstr(why, "version 6"));
	buf[0] = 4;
	buf[2] = 3;
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_KEY_TYPE);
	buf[2] = 2;
	buf[4] = 0x80;
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_TEE_TYPE);
	buf[4] = 0x81;
	buf[12] ^= 1;
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_QE_VENDOR);
	buf[12] ^= 1;
	/* Signature data length one byte short leaves the section unread. */
	buf[632] -= 1;
	assert_true(quote_parse(buf, len, &q, NULL, 0) < 0);
	buf[632] += 1;
	/* Certification data type 6 replaced by 5. */
	buf[632 + 4 + 128] = 5;
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_CERT_DATA_TYPE);
	buf[632 + 4 + 128] = 6;
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0), 0);
	free(buf);

	buf = tu_read(tu_vector("tdx/phala-dcap-qvl/tdx_quote_outdated.bin"),
	    &len);
	buf[48] = 4;
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_BODY_TYPE);
	buf[48] = 2;	/* TD 1.0 type with the TD 1.5 size */
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_LENGTH);
	buf[48] = 1;	/* SGX body in a TDX quote */
	assert_int_equal(quote_parse(buf, len, &q, NULL, 0),
	    CLOISTER_ERR_BAD_BODY_TYPE);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_parse),
		cmocka_unit_test(test_v4_fields),
		cmocka_unit_test(test_hex_input),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_header_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
