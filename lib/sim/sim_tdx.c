/*
 * A simulated TDX platform at run time (sim_tdx.h): the simulated DCAP
 * PKI of sim_pki.c, a PCK certificate for a platform at the highest TCB
 * level of the simulated TCB Info, and the signed collateral that lets
 * any Cloister verifier check its quotes offline -- with
 * --allow-simulated, since everything chains to a root whose private key
 * anyone can recompute.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "json_out.h"
#include "sim_collateral.h"
#include "sim_pki.h"
#include "sim_quote.h"
#include "sim_tdx.h"
#include "util.h"

#define HOUR		3600
#define DAY		86400
#define CERT_BACK	(365 * DAY)
#define CERT_AHEAD	(10 * 365 * DAY)
#define COLL_BACK	HOUR
#define COLL_AHEAD	(30 * DAY)

static const uint8_t sim_fmspc[6] = { 0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00 };
/* The simulated TCB Info's highest level (sim_collateral.c). */
static const uint8_t sim_comps[16] = { 8, 8, 3, 3, 5, 1, 0, 6 };
static const uint8_t sim_tee_tcb_svn[3] = { 6, 1, 5 };
#define SIM_PCESVN	13

struct sim_tdx {
	struct sim_cert	*root, *ca, *leaf, *tcb;
	struct sim_key	*att;		/* the QE's attestation key */
	struct sim_pck_info pck;
	json_t		*collateral;
};

void
sim_tdx_free(struct sim_tdx *p)
{
	if (p == NULL)
		return;
	sim_cert_free(p->root);
	sim_cert_free(p->ca);
	sim_cert_free(p->leaf);
	sim_cert_free(p->tcb);
	sim_key_free(p->att);
	json_decref(p->collateral);
	free(p);
}

static int
make_pki(struct sim_tdx *p, int64_t now)
{
	struct sim_key *rk = NULL;
	struct sim_cert_opts o = { .not_before = now - CERT_BACK,
	    .not_after = now + CERT_AHEAD };
	int r;

	memset(p->pck.ppid, 0xa7, sizeof(p->pck.ppid));
	memcpy(p->pck.comp_svn, sim_comps, sizeof(sim_comps));
	memcpy(p->pck.cpusvn, sim_comps, sizeof(sim_comps));
	p->pck.pcesvn = SIM_PCESVN;
	memcpy(p->pck.fmspc, sim_fmspc, sizeof(sim_fmspc));
	memset(p->pck.platform_instance, 0x1c, 16);
	if ((r = sim_key_root(&rk)) != 0)
		return r;
	o.key = rk;
	r = sim_cert_root(&o, &p->root);
	sim_key_free(rk);
	o.key = NULL;
	if (r != 0 ||
	    (r = sim_cert_pck_ca(p->root, SIM_PCK_PLATFORM, &o, &p->ca)) != 0 ||
	    (r = sim_cert_pck_leaf(p->ca, &p->pck, &o, &p->leaf)) != 0 ||
	    (r = sim_cert_tcb_signing(p->root, &o, &p->tcb)) != 0 ||
	    (r = sim_key_new(&p->att)) != 0)
		return r;
	return 0;
}

static int
set_hex(json_t *o, const char *key, const uint8_t *b, size_t n)
{
	json_t *j = jx_hex(b, n);

	return j != NULL && json_object_set_new(o, key, j) == 0 ? 0 :
	    CLOISTER_ERR_ALLOC;
}

static int
set_chain(json_t *o, const char *key, const struct sim_cert *a,
    const struct sim_cert *b)
{
	const struct sim_cert *certs[2] = { a, b };
	char *pem;
	size_t len;
	int r;

	if ((r = sim_chain_pem(certs, 2, &pem, &len)) != 0)
		return r;
	r = json_object_set_new(o, key, json_stringn(pem, len)) == 0 ? 0 :
	    CLOISTER_ERR_ALLOC;
	free(pem);
	return r;
}

/* "<name>": exact signed bytes, "<name>_signature": hex r || s. */
static int
set_signed(json_t *o, const char *name,
    int (*make)(const struct sim_tcb_params *, char **, size_t *),
    const struct sim_tcb_params *tp, const struct sim_key *signer)
{
	uint8_t sig[SIM_PKI_RAW_SIG_LEN];
	char key[64];
	char *doc;
	size_t len;
	int r;

	if ((r = make(tp, &doc, &len)) != 0)
		return r;
	snprintf(key, sizeof(key), "%s_signature", name);
	if ((r = sim_sign(signer, doc, len, sig)) == 0 &&
	    (r = json_object_set_new(o, name, json_stringn(doc, len)) == 0 ?
	    0 : CLOISTER_ERR_ALLOC) == 0)
		r = set_hex(o, key, sig, sizeof(sig));
	free(doc);
	return r;
}

static int
set_crl(json_t *o, const char *key, const struct sim_cert *issuer,
    int64_t from, int64_t to)
{
	struct sim_serial other;
	uint8_t *der;
	size_t len;
	int r;

	/* Someone else is revoked, as on Intel's lists. */
	memset(other.b, 0x5e, SIM_PKI_SERIAL_MAX);
	other.len = SIM_PKI_SERIAL_MAX;
	if ((r = sim_crl(issuer, from, to, &other, 1, &der, &len)) != 0)
		return r;
	r = set_hex(o, key, der, len);
	free(der);
	return r;
}

static int
make_collateral(struct sim_tdx *p, int64_t now)
{
	struct sim_tcb_params tp = { .sgx = 0 };
	const struct sim_key *signer = sim_cert_key(p->tcb);
	struct sim_quote q;
	int64_t from = now - COLL_BACK, to = now + COLL_AHEAD;
	json_t *o;
	int r;

	sim_quote_defaults(&q, 4);
	tp.tcb_from = tp.qe_from = from;
	tp.tcb_to = tp.qe_to = to;
	memcpy(tp.fmspc, sim_fmspc, sizeof(sim_fmspc));
	memcpy(tp.qe_mrsigner, q.qe.mrsigner, sizeof(tp.qe_mrsigner));
	if ((o = p->collateral = json_object()) == NULL ||
	    json_object_set_new(o, "format",
	    json_string(SIM_TDX_COLLATERAL_FORMAT)) != 0)
		return CLOISTER_ERR_ALLOC;
	if ((r = set_chain(o, "pck_crl_issuer_chain", p->ca, p->root)) != 0 ||
	    (r = set_crl(o, "root_ca_crl", p->root, from, to)) != 0 ||
	    (r = set_crl(o, "pck_crl", p->ca, from, to)) != 0 ||
	    (r = set_chain(o, "tcb_info_issuer_chain", p->tcb, p->root)) != 0 ||
	    (r = set_signed(o, "tcb_info", sim_tcb_info_json, &tp,
	    signer)) != 0 ||
	    (r = set_chain(o, "qe_identity_issuer_chain", p->tcb,
	    p->root)) != 0 ||
	    (r = set_signed(o, "qe_identity", sim_qe_identity_json, &tp,
	    signer)) != 0)
		return r;
	return 0;
}

int
sim_tdx_new(int64_t now, struct sim_tdx **out)
{
	struct sim_tdx *p;
	int r;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = make_pki(p, now)) != 0 || (r = make_collateral(p, now)) != 0) {
		sim_tdx_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int
sim_tdx_quote(const struct sim_tdx *p, const struct sim_tdx_measure *m,
    const uint8_t report_data[64], uint8_t **quote, size_t *len)
{
	struct sim_quote q;

	sim_quote_defaults(&q, 4);
	memcpy(q.td.tee_tcb_svn, sim_tee_tcb_svn, sizeof(sim_tee_tcb_svn));
	memcpy(q.qe.cpusvn, p->pck.cpusvn, sizeof(q.qe.cpusvn));
	q.qe_svn = q.qe.isvsvn;
	q.pce_svn = p->pck.pcesvn;
	memcpy(q.td.mrtd, m->mrtd, sizeof(q.td.mrtd));
	memcpy(q.td.mrconfigid, m->mrconfigid, sizeof(q.td.mrconfigid));
	memcpy(q.td.rtmr, m->rtmr, sizeof(q.td.rtmr));
	memcpy(q.td.report_data, report_data, sizeof(q.td.report_data));
	q.pck_leaf = p->leaf;
	q.pck_ca = p->ca;
	q.root = p->root;
	q.att_key = p->att;
	return sim_quote_build(&q, quote, len);
}

json_t *
sim_tdx_collateral(const struct sim_tdx *p)
{
	return p->collateral;
}
