/*
 * CRLs in any encoding (DER, PEM, hex text), their accessors, and what a
 * chain check does with one: issuer match, key identifier, key usage and
 * signature, against a simulated root -> PCK CA -> leaf made once per
 * process.  The same bytes also go through the certificate and PEM chain
 * parsers.  Nothing here may accept: the simulated PCK CA's key is fresh
 * per process, so no input can carry a CRL it signed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sim_pki.h"
#include "x509.h"

#define T0	1750000000		/* inside every fixture's validity */
#define YEAR	(365 * 86400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fixture {
	struct x509_chain	*chain;		/* leaf, PCK CA, root */
	struct x509_cert	*root;
	struct x509_crl		*root_crl;	/* good: covers the PCK CA */
};

static void
fixture_make(struct fixture *f)
{
	struct sim_cert_opts o = { .not_before = T0 - YEAR,
	    .not_after = T0 + YEAR };
	struct sim_pck_info info = { .fmspc = { 0x00, 0x90, 0x6e } };
	struct sim_cert *root = NULL, *ca = NULL, *leaf = NULL;
	const struct sim_cert *list[3];
	struct sim_key *rk = NULL;
	uint8_t *der = NULL;
	char *pem = NULL;
	size_t len;

	if (sim_key_root(&rk) != 0)
		abort();
	o.key = rk;
	if (sim_cert_root(&o, &root) != 0)
		abort();
	o.key = NULL;
	if (sim_cert_pck_ca(root, SIM_PCK_PLATFORM, &o, &ca) != 0 ||
	    sim_cert_pck_leaf(ca, &info, &o, &leaf) != 0)
		abort();
	list[0] = leaf;
	list[1] = ca;
	list[2] = root;
	if (sim_chain_pem(list, 3, &pem, &len) != 0 ||
	    x509_chain_parse_pem((uint8_t *)pem, len, &f->chain) != 0)
		abort();
	free(pem);
	if (sim_cert_der(root, &der, &len) != 0 ||
	    x509_cert_parse(der, len, &f->root) != 0)
		abort();
	free(der);
	if (sim_crl(root, T0 - 86400, T0 + 86400, NULL, 0, &der, &len) != 0 ||
	    x509_crl_parse(der, len, &f->root_crl) != 0)
		abort();
	free(der);
	sim_cert_free(leaf);
	sim_cert_free(ca);
	sim_cert_free(root);
	sim_key_free(rk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fixture fx;
	const struct x509_crl *crls[2];
	struct x509_crl *crl = NULL;
	struct x509_chain *ch = NULL;
	struct x509_cert *cert = NULL;
	char cn[X509_CN_MAX], why[X509_WHY_MAX];

	if (fx.chain == NULL)
		fixture_make(&fx);
	if (x509_crl_parse(data, size, &crl) == 0) {
		x509_crl_issuer_cn(crl, cn, sizeof(cn));
		(void)x509_crl_this_update(crl);
		(void)x509_crl_next_update(crl);
		/* The leaf's and the CA's keys are fresh (the root's is
		 * deterministic: a saved simulated CRL may verify). */
		for (size_t i = 0; i < 2; i++)
			if (x509_crl_verify_signature(crl,
			    x509_chain_get(fx.chain, i)) == 0)
				abort();
		(void)x509_crl_verify_signature(crl, fx.root);
		crls[0] = crl;
		crls[1] = fx.root_crl;
		if (x509_chain_verify(fx.chain, fx.root, crls, 2, T0, why,
		    sizeof(why)) == 0)
			abort();
	} else if (crl != NULL) {
		abort();
	}
	x509_crl_free(crl);
	/* The same bytes as one certificate and as a PEM chain. */
	if (x509_cert_parse(data, size, &cert) == 0)
		x509_cert_subject_cn(cert, cn, sizeof(cn));
	x509_cert_free(cert);
	if (x509_chain_parse_pem(data, size, &ch) == 0 &&
	    (x509_chain_len(ch) == 0 || x509_chain_len(ch) > X509_CHAIN_MAX))
		abort();
	x509_chain_free(ch);
	return 0;
}
