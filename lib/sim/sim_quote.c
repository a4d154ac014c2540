/*
 * Simulated DCAP quotes (sim_quote.h: v3 SGX, v4 TDX, v5 TD 1.5) in
 * exactly the layout lib/tdx/quote.c parses, signed through the simulated
 * PKI (sim_pki.h, sim_key.h).  Split from sim_pki.c: certificates there,
 * byte layout here.
 */
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "crypto.h"
#include "quote.h"
#include "sim_quote.h"
/* A writer into a buffer sized in advance; overflow is a bug, caught. */
struct wbuf {
	uint8_t	*p;
	size_t	 n;
	size_t	 cap;
	int	 err;
};

static void
put(struct wbuf *w, const void *v, size_t n)
{
	if (w->err || n > w->cap - w->n) {
		w->err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->n, v, n);
	w->n += n;
}

static void
put_zero(struct wbuf *w, size_t n)
{
	if (w->err || n > w->cap - w->n) {
		w->err = 1;
		return;
	}
	memset(w->p + w->n, 0, n);
	w->n += n;
}

static void
put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(w, b, sizeof(b));
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };

	put(w, b, sizeof(b));
}

/* The 384-byte SGX report body; unused fields (ISVEXTPRODID, CONFIGID,
 * CONFIGSVN, ISVFAMILYID, reserved) are zero. */
static void
put_sgx_report(struct wbuf *w, const struct sim_sgx_report *r)
{
	put(w, r->cpusvn, 16);
	put_u32(w, r->miscselect);
	put_zero(w, 12 + 16);		/* reserved, ISVEXTPRODID */
	put(w, r->attributes, 16);
	put(w, r->mrenclave, 32);
	put_zero(w, 32);
	put(w, r->mrsigner, 32);
	put_zero(w, 32 + 64);		/* reserved, CONFIGID */
	put_u16(w, r->isvprodid);
	put_u16(w, r->isvsvn);
	put_zero(w, 2 + 42 + 16);	/* CONFIGSVN, reserved, ISVFAMILYID */
	put(w, r->report_data, 64);
}

static void
put_td_report(struct wbuf *w, const struct sim_td_report *t, int td15)
{
	put(w, t->tee_tcb_svn, 16);
	put(w, t->mrseam, 48);
	put(w, t->mrsignerseam, 48);
	put(w, t->seam_attributes, 8);
	put(w, t->td_attributes, 8);
	put(w, t->xfam, 8);
	put(w, t->mrtd, 48);
	put(w, t->mrconfigid, 48);
	put(w, t->mrowner, 48);
	put(w, t->mrownerconfig, 48);
	put(w, t->rtmr, sizeof(t->rtmr));
	put(w, t->report_data, 64);
	if (td15) {
		put(w, t->tee_tcb_svn2, 16);
		put(w, t->mrservicetd, 48);
	}
}

static size_t
body_len(uint16_t body_type)
{
	return body_type == QUOTE_BODY_SGX ? QUOTE_SGX_REPORT_LEN :
	    body_type == QUOTE_BODY_TD10 ? QUOTE_TD10_BODY_LEN :
	    body_type == QUOTE_BODY_TD15 ? QUOTE_TD15_BODY_LEN : 0;
}

/* The QE report with its binding to the attestation key. */
static int
qe_report_bytes(const struct sim_quote *q, const uint8_t att[64],
    uint8_t out[QUOTE_SGX_REPORT_LEN])
{
	struct sim_sgx_report rep = q->qe;
	uint8_t msg[SIM_PKI_RAW_PUB_LEN + SIM_PKI_QE_AUTH_LEN];
	struct wbuf w = { .p = out, .cap = QUOTE_SGX_REPORT_LEN };

	memcpy(msg, att, SIM_PKI_RAW_PUB_LEN);
	memcpy(msg + SIM_PKI_RAW_PUB_LEN, q->qe_auth, SIM_PKI_QE_AUTH_LEN);
	memset(rep.report_data, 0, sizeof(rep.report_data));
	if (crypto_sha256(msg, sizeof(msg), rep.report_data) != 0)
		return CLOISTER_ERR_INTERNAL;
	if (q->flags & SIM_QUOTE_BAD_BINDING)
		rep.report_data[0] ^= 0x01;
	put_sgx_report(&w, &rep);
	return w.err || w.n != QUOTE_SGX_REPORT_LEN ? CLOISTER_ERR_INTERNAL : 0;
}

/* Everything after the quote signature: key and certification data. */
static void
put_cert_data(struct wbuf *w, const struct sim_quote *q, const uint8_t *att,
    const uint8_t *qe, const uint8_t *qe_sig, const char *chain,
    size_t chain_len)
{
	size_t inner = QUOTE_SGX_REPORT_LEN + SIM_PKI_RAW_SIG_LEN + 2 +
	    SIM_PKI_QE_AUTH_LEN + 2 + 4 + chain_len;

	put(w, att, SIM_PKI_RAW_PUB_LEN);
	if (q->version != 3) {
		put_u16(w, QUOTE_CERT_QE_REPORT);
		put_u32(w, (uint32_t)inner);
	}
	put(w, qe, QUOTE_SGX_REPORT_LEN);
	put(w, qe_sig, SIM_PKI_RAW_SIG_LEN);
	put_u16(w, SIM_PKI_QE_AUTH_LEN);
	put(w, q->qe_auth, SIM_PKI_QE_AUTH_LEN);
	put_u16(w, QUOTE_CERT_PCK_CHAIN);
	put_u32(w, (uint32_t)chain_len);
	put(w, chain, chain_len);
}

/* Header, v5 body descriptor and body: what the quote signature covers. */
static void
put_signed_part(struct wbuf *w, const struct sim_quote *q, uint16_t bt,
    size_t blen)
{
	put_u16(w, q->version);
	put_u16(w, QUOTE_ATT_KEY_ECDSA_P256);
	put_u32(w, q->tee_type);
	put_u16(w, q->version == 3 ? q->qe_svn : 0);
	put_u16(w, q->version == 3 ? q->pce_svn : 0);
	put(w, q->qe_vendor_id, sizeof(q->qe_vendor_id));
	put(w, q->user_data, sizeof(q->user_data));
	if (q->version == 5) {
		put_u16(w, bt);
		put_u32(w, (uint32_t)blen);
	}
	if (bt == QUOTE_BODY_SGX)
		put_sgx_report(w, &q->sgx);
	else
		put_td_report(w, &q->td, bt == QUOTE_BODY_TD15);
}

static int
quote_shape(const struct sim_quote *q, uint16_t *body_type)
{
	*body_type = q->version == 3 ? QUOTE_BODY_SGX :
	    q->version == 4 ? QUOTE_BODY_TD10 : q->body_type;
	if (q->version < 3 || q->version > 5 || body_len(*body_type) == 0 ||
	    q->pck_leaf == NULL || q->pck_ca == NULL || q->root == NULL)
		return CLOISTER_ERR_INVALID_ARG;
	return 0;
}

/* Header, v5 body descriptor and body: the bytes the quote signs. */
static size_t
signed_size(const struct sim_quote *q, size_t blen)
{
	return QUOTE_HEADER_LEN + (q->version == 5 ? QUOTE_BODY_DESC_LEN : 0) +
	    blen;
}

/* The signature data after its length field: signature, attestation
 * key, (v4/v5) the type-6 header, QE report and signature, QE auth data,
 * the type-5 header and the chain. */
static size_t
sig_data_size(const struct sim_quote *q, size_t chain_len)
{
	return SIM_PKI_RAW_SIG_LEN + SIM_PKI_RAW_PUB_LEN +
	    (q->version != 3 ? 2 + 4 : 0) + QUOTE_SGX_REPORT_LEN +
	    SIM_PKI_RAW_SIG_LEN + 2 + SIM_PKI_QE_AUTH_LEN + 2 + 4 + chain_len;
}

int
sim_quote_build(const struct sim_quote *q, uint8_t **out, size_t *outlen)
{
	const struct sim_cert *chain_certs[3] = { q->pck_leaf, q->pck_ca,
	    q->root };
	struct sim_key *fresh = NULL;
	const struct sim_key *att_key, *qe_signer, *quote_signer;
	uint8_t att[SIM_PKI_RAW_PUB_LEN], qe[QUOTE_SGX_REPORT_LEN];
	uint8_t qe_sig[SIM_PKI_RAW_SIG_LEN], sig[SIM_PKI_RAW_SIG_LEN];
	struct wbuf w = { .p = NULL };
	char *chain = NULL;
	size_t chain_len = 0, blen, signed_len, sig_data;
	uint16_t bt;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = quote_shape(q, &bt)) != 0)
		return r;
	if (q->att_key == NULL && (r = sim_key_new(&fresh)) != 0)
		return r;
	att_key = q->att_key != NULL ? q->att_key : fresh;
	qe_signer = q->qe_signer != NULL ? q->qe_signer :
	    sim_cert_key(q->pck_leaf);
	quote_signer = q->quote_signer != NULL ? q->quote_signer : att_key;
	if ((r = sim_chain_pem(chain_certs, 3, &chain, &chain_len)) != 0 ||
	    (r = sim_key_pub_raw(att_key, att)) != 0 ||
	    (r = qe_report_bytes(q, att, qe)) != 0 ||
	    (r = sim_sign(qe_signer, qe, sizeof(qe), qe_sig)) != 0)
		goto out;
	if (!(q->flags & SIM_QUOTE_NO_NUL))
		chain_len++;		/* real quotes end the chain in NUL */
	blen = body_len(bt);
	signed_len = signed_size(q, blen);
	sig_data = sig_data_size(q, chain_len);
	w.cap = signed_len + 4 + sig_data + q->trailing_zeros;
	r = CLOISTER_ERR_ALLOC;
	if ((w.p = malloc(w.cap)) == NULL)
		goto out;

	put_signed_part(&w, q, bt, blen);
	r = CLOISTER_ERR_INTERNAL;
	if (w.err || w.n != signed_len ||
	    sim_sign(quote_signer, w.p, signed_len, sig) != 0)
		goto out;
	put_u32(&w, (uint32_t)sig_data);
	put(&w, sig, sizeof(sig));
	put_cert_data(&w, q, att, qe, qe_sig, chain, chain_len);
	put_zero(&w, q->trailing_zeros);
	if (w.err || w.n != w.cap)
		goto out;
	*out = w.p;
	*outlen = w.n;
	w.p = NULL;
	r = 0;
 out:
	free(w.p);
	free(chain);
	sim_key_free(fresh);
	return r;
}

/* Intel's quoting enclaves as their identities describe them. */
static const uint8_t td_qe_mrsigner[32] = { 0xdc, 0x9e, 0x2a, 0x7c, 0x6f,
    0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03, 0x0f,
    0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e,
    0x54, 0xa8, 0xc5 };
static const uint8_t sgx_qe_mrsigner[32] = { 0x8c, 0x4f, 0x57, 0x75, 0xd7,
    0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a, 0x00,
    0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90,
    0xc5, 0x7b, 0xff };

#define TD_QE_ISVPRODID		2
#define SGX_QE_ISVPRODID	1
#define TD_ATTR_SEPT_VE_DISABLE_BYTE	3	/* bit 28, little endian */

void
sim_quote_defaults(struct sim_quote *q, uint16_t version)
{
	static const uint8_t qe_attr[16] = { 0x15, 0, 0, 0, 0, 0, 0, 0, 0xe7 };
	static const uint8_t xfam[8] = { 0xe7, 0x02, 0x06 };
	static const uint8_t tcb_svn[16] = { 6, 1, 3 };
	static const uint8_t cpusvn[16] = { 3, 3, 2, 2, 4, 1, 0, 5 };
	static const char user[] = "Cloister SIMULATED";
	int tdx = version != 3;

	memset(q, 0, sizeof(*q));
	q->version = version;
	q->body_type = version == 5 ? QUOTE_BODY_TD15 :
	    version == 4 ? QUOTE_BODY_TD10 : QUOTE_BODY_SGX;
	q->tee_type = tdx ? QUOTE_TEE_TDX : 0;
	memcpy(q->qe_vendor_id, quote_intel_qe_vendor_id, sizeof(q->qe_vendor_id));
	memcpy(q->user_data, user, sizeof(user) - 1);

	memcpy(q->td.tee_tcb_svn, tcb_svn, 16);
	memcpy(q->td.tee_tcb_svn2, tcb_svn, 16);
	memset(q->td.mrseam, 0x5e, sizeof(q->td.mrseam));
	memset(q->td.mrtd, 0x7d, sizeof(q->td.mrtd));
	q->td.td_attributes[TD_ATTR_SEPT_VE_DISABLE_BYTE] = 0x10;
	memcpy(q->td.xfam, xfam, sizeof(xfam));

	memcpy(q->sgx.cpusvn, cpusvn, 16);
	q->sgx.attributes[0] = 0x05;	/* INIT | MODE64BIT, not DEBUG */
	q->sgx.attributes[8] = 0x03;
	memset(q->sgx.mrenclave, 0xe1, sizeof(q->sgx.mrenclave));
	memset(q->sgx.mrsigner, 0x51, sizeof(q->sgx.mrsigner));

	memcpy(q->qe.cpusvn, cpusvn, 16);
	memcpy(q->qe.attributes, qe_attr, 16);
	memset(q->qe.mrenclave, 0x9e, sizeof(q->qe.mrenclave));
	memcpy(q->qe.mrsigner, tdx ? td_qe_mrsigner : sgx_qe_mrsigner, 32);
	q->qe.isvprodid = tdx ? TD_QE_ISVPRODID : SGX_QE_ISVPRODID;
	q->qe.isvsvn = tdx ? 4 : 8;
	for (size_t i = 0; i < sizeof(q->qe_auth); i++)
		q->qe_auth[i] = (uint8_t)i;	/* as Intel's QE sends */
	q->qe_svn = q->qe.isvsvn;
	q->pce_svn = 13;
}
