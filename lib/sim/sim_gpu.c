/*
 * The simulated NVIDIA GPU (sim_gpu.h).  Everything is built the way the
 * verifier in nvgpu.c reads real evidence, so the same code checks both:
 * nothing here is a shortcut the verifier knows about, except that the
 * roots' keys are derived from the seeds in sim_gpu.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "cloister/error.h"
#include "crypto.h"
#include "rim.h"
#include "sim_gpu.h"
#include "sim_pki.h"
#include "spdm.h"
#include "util.h"

#define HASH_LEN	48
#define ROOT_FROM	1704067200	/* 2024-01-01: roots are fixed */
#define ROOT_TO		4102444800	/* 2100-01-01 */
#define CERT_BACK	(365 * 86400)
#define CERT_AHEAD	(5 * 365 * 86400)
#define OCSP_BACK	3600
#define OCSP_AHEAD	(7 * 86400)
#define REPORT_MAX	8192
#define SIM_RIM_TEXT_MAX	(64 * 1024)
#define VBIOS_FIRST	0	/* VBIOS RIM: indices 0..31, driver: 32..63 */
#define DRIVER_FIRST	32
#define LABEL		"cloister-sim-gpu/1"
#define OID_TCBINFO	"2.23.133.5.4.1.1"	/* TCG DICE TcbInfo */
#define PROJECT		"SIMULATED"
#define PROJECT_SKU	"0000"
#define CHIP_SKU	"000"

/* 2.16.840.1.101.3.4.2.2, SHA-384 */
static const uint8_t sha384_oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x02 };

struct pki {
	struct sim_cert	*dev[5];	/* leaf, BROM, provisioner, identity, root */
	struct sim_cert	*rim[3];	/* signer, CA, root */
};

static void
pki_free(struct pki *p)
{
	for (size_t i = 0; i < 5; i++)
		sim_cert_free(p->dev[i]);
	for (size_t i = 0; i < 3; i++)
		sim_cert_free(p->rim[i]);
}

/* ---- certificates ----------------------------------------------------- */

static int
make_root(int rim, struct sim_cert **out)
{
	struct sim_key *k = NULL;
	struct sim_cert_spec s = { .cn = rim ? SIM_GPU_RIM_ROOT_CN :
	    SIM_GPU_DEVICE_ROOT_CN, .ca = 1, .pathlen = -1, .sha384 = 1 };
	struct sim_cert_opts o = { .not_before = ROOT_FROM,
	    .not_after = ROOT_TO };
	int r;

	if ((r = sim_key_derive("P-384", rim ? SIM_GPU_RIM_ROOT_SEED :
	    SIM_GPU_DEVICE_ROOT_SEED, &k)) != 0)
		return r;
	o.key = k;
	r = sim_cert_issue(&s, &o, out);
	sim_key_free(k);
	return r;
}

int
sim_gpu_root_der(int rim, uint8_t **der, size_t *len)
{
	struct sim_cert *c = NULL;
	int r;

	*der = NULL;
	*len = 0;
	if ((r = make_root(rim, &c)) == 0)
		r = sim_cert_der(c, der, len);
	sim_cert_free(c);
	return r;
}

/* A fresh P-384 key certified by issuer. */
static int
issue(const struct sim_cert *issuer, const char *cn, int ca,
    const uint8_t *ext, size_t extlen, int64_t now, struct sim_cert **out)
{
	struct sim_key *k = NULL;
	struct sim_cert_spec s = { .issuer = issuer, .cn = cn, .ca = ca,
	    .pathlen = -1, .sha384 = 1 };
	struct sim_cert_opts o = { .not_before = now - CERT_BACK,
	    .not_after = now + CERT_AHEAD };
	int r;

	if (ext != NULL) {
		s.ext_oid = OID_TCBINFO;
		s.ext_der = ext;
		s.ext_len = extlen;
	}
	if ((r = sim_key_new_curve("P-384", &k)) != 0)
		return r;
	o.key = k;
	r = sim_cert_issue(&s, &o, out);
	sim_key_free(k);
	return r;
}

static void
fwid(uint8_t out[HASH_LEN])
{
	crypto_sha384(LABEL " fwid", strlen(LABEL " fwid"), out);
}

/* DiceTcbInfo ::= SEQUENCE { fwids [6] IMPLICIT SEQUENCE OF FWID } */
static size_t
tcbinfo_der(uint8_t *d)
{
	size_t n = 0, fw = sizeof(sha384_oid) + 2 + HASH_LEN;

	d[n++] = 0x30;
	d[n++] = (uint8_t)(fw + 4);
	d[n++] = 0xa6;
	d[n++] = (uint8_t)(fw + 2);
	d[n++] = 0x30;
	d[n++] = (uint8_t)fw;
	memcpy(d + n, sha384_oid, sizeof(sha384_oid));
	n += sizeof(sha384_oid);
	d[n++] = 0x04;
	d[n++] = HASH_LEN;
	fwid(d + n);
	return n + HASH_LEN;
}

static int
make_pki(struct pki *p, int64_t now)
{
	uint8_t ext[80];
	size_t extlen = tcbinfo_der(ext);
	int r;

	if ((r = make_root(0, &p->dev[4])) != 0 ||
	    (r = issue(p->dev[4], "Cloister SIMULATED NVIDIA GH100 Identity",
	    1, NULL, 0, now, &p->dev[3])) != 0 ||
	    (r = issue(p->dev[3], "Cloister SIMULATED GH100 Provisioner ICA",
	    1, NULL, 0, now, &p->dev[2])) != 0 ||
	    (r = issue(p->dev[2], "GH100 A01 FSP BROM (Cloister SIMULATED)",
	    1, NULL, 0, now, &p->dev[1])) != 0 ||
	    (r = issue(p->dev[1], "GH100 A01 FSP RT (Cloister SIMULATED)", 0,
	    ext, extlen, now, &p->dev[0])) != 0 ||
	    (r = make_root(1, &p->rim[2])) != 0 ||
	    (r = issue(p->rim[2], "Cloister SIMULATED NVIDIA CoRIM CA", 1,
	    NULL, 0, now, &p->rim[1])) != 0 ||
	    (r = issue(p->rim[1], "Cloister SIMULATED NVIDIA RIM signer", 0,
	    NULL, 0, now, &p->rim[0])) != 0)
		return r;
	return 0;
}

/* ---- the report ---------------------------------------------------------- */

/* The golden and runtime value of a 0-based measurement index. */
static void
measurement(unsigned index, uint8_t out[HASH_LEN])
{
	uint8_t in[sizeof(LABEL) + 1 + sizeof(SIM_GPU_DRIVER_VERSION)];

	memcpy(in, LABEL, sizeof(LABEL));
	in[sizeof(LABEL)] = (uint8_t)index;
	memcpy(in + sizeof(LABEL) + 1, SIM_GPU_DRIVER_VERSION,
	    sizeof(SIM_GPU_DRIVER_VERSION));
	crypto_sha384(in, sizeof(in), out);
}

struct wb {
	uint8_t	*b;
	size_t	 n;
	int	 err;
};

static void
put(struct wb *w, const void *p, size_t n)
{
	if (w->err || n > REPORT_MAX - w->n) {
		w->err = 1;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
put_u8(struct wb *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(w, &b, 1);
}

static void
put_u16(struct wb *w, unsigned v)
{
	put_u8(w, v & 0xff);
	put_u8(w, v >> 8);
}

static void
put_field(struct wb *w, unsigned type, const void *v, size_t n)
{
	put_u16(w, type);
	put_u16(w, (unsigned)n);
	put(w, v, n);
}

static void
put_opaque(struct wb *w)
{
	/* VBIOS 00.00.00.00.01: bytes 3, 2, 1, 0 of the low word, then 4. */
	static const uint8_t vbios[8] = { 0, 0, 0, 0, 1 };
	uint8_t fw[HASH_LEN], off = 0, nvdec0 = 0xaa;

	fwid(fw);
	put_field(w, SPDM_NV_DRIVER_VERSION, SIM_GPU_DRIVER_VERSION,
	    sizeof(SIM_GPU_DRIVER_VERSION));
	put_field(w, SPDM_NV_VBIOS_VERSION, vbios, sizeof(vbios));
	put_field(w, SPDM_NV_PROJECT, PROJECT, sizeof(PROJECT));
	put_field(w, SPDM_NV_PROJECT_SKU, PROJECT_SKU, sizeof(PROJECT_SKU));
	put_field(w, SPDM_NV_CHIP_SKU, CHIP_SKU, sizeof(CHIP_SKU));
	put_field(w, SPDM_NV_NVDEC0_STATUS, &nvdec0, 1);
	put_field(w, SPDM_NV_FEATURE_FLAG, &off, 1);
	put_field(w, SPDM_NV_FWID, fw, sizeof(fw));
}

static int
make_report(const struct pki *p, const uint8_t nonce[32],
    struct sim_gpu_evidence *e)
{
	struct wb w = { .b = malloc(REPORT_MAX) }, op = { .b = NULL };
	uint8_t v[HASH_LEN], rnonce[SPDM_NONCE_LEN];
	uint8_t sig[SIM_PKI_RAW_SIG384_LEN];
	size_t rec_len = SIM_GPU_NBLOCKS * (4 + 3 + HASH_LEN);
	int r = CLOISTER_ERR_ALLOC;

	if (w.b == NULL || (op.b = malloc(REPORT_MAX)) == NULL)
		goto out;
	/* GET_MEASUREMENTS: SPDM 1.1, signature requested, all blocks. */
	put_u8(&w, SPDM_VERSION_11);
	put_u8(&w, SPDM_GET_MEASUREMENTS);
	put_u8(&w, 0x01);
	put_u8(&w, 0xff);
	put(&w, nonce, SPDM_NONCE_LEN);
	put_u8(&w, 0);
	/* MEASUREMENTS: count, 24-bit record length, the blocks. */
	put_u8(&w, SPDM_VERSION_11);
	put_u8(&w, SPDM_MEASUREMENTS);
	put_u8(&w, 0);
	put_u8(&w, 0);
	put_u8(&w, SIM_GPU_NBLOCKS);
	put_u8(&w, rec_len & 0xff);
	put_u8(&w, (rec_len >> 8) & 0xff);
	put_u8(&w, rec_len >> 16);
	for (unsigned i = 0; i < SIM_GPU_NBLOCKS; i++) {
		measurement(i, v);
		put_u8(&w, i + 1);
		put_u8(&w, SPDM_SPEC_DMTF);
		put_u16(&w, 3 + HASH_LEN);
		put_u8(&w, 0x01);	/* digest of mutable firmware */
		put_u16(&w, HASH_LEN);
		put(&w, v, HASH_LEN);
	}
	if ((r = crypto_random(rnonce, sizeof(rnonce))) != 0)
		goto out;
	put(&w, rnonce, sizeof(rnonce));
	put_opaque(&op);
	put_u16(&w, (unsigned)op.n);
	put(&w, op.b, op.n);
	r = CLOISTER_ERR_TOO_LARGE;
	if (w.err || op.err)
		goto out;
	if ((r = sim_sign_p384(sim_cert_key(p->dev[0]), w.b, w.n, sig)) != 0)
		goto out;
	put(&w, sig, sizeof(sig));
	e->report = w.b;
	e->report_len = w.n;
	w.b = NULL;
	r = 0;
 out:
	free(w.b);
	free(op.b);
	return r;
}

/* ---- the reference manifests ---------------------------------------- */

#define NS_SWID		"http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define NS_TCG_RIM	"https://trustedcomputinggroup.org/resource/" \
			"tcg-reference-integrity-manifest-rim-information-model/"
#define NS_SHA384	"http://www.w3.org/2001/04/xmlenc#sha384"
#define NS_DSIG		"http://www.w3.org/2000/09/xmldsig#"

static int
rim_text(const char *id, const char *version, const char *product,
    unsigned first, char *buf, size_t cap, size_t *len)
{
	uint8_t v[HASH_LEN];
	char hex[2 * HASH_LEN + 1];
	size_t n = 0;
	int k;

#define ADD(...) do {							\
	k = snprintf(buf + n, cap - n, __VA_ARGS__);			\
	if (k < 0 || (size_t)k >= cap - n)				\
		return CLOISTER_ERR_TOO_LARGE;				\
	n += (size_t)k;							\
} while (0)
	ADD("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<SoftwareIdentity xmlns=\"" NS_SWID "\" xmlns:SHA384=\""
	    NS_SHA384 "\" xmlns:rim=\"" NS_TCG_RIM "\" name=\"%s\" "
	    "tagId=\"%s\" version=\"%s\" corpus=\"true\">\n"
	    "<Entity name=\"Cloister SIMULATED\" role=\"softwareCreator "
	    "tagCreator\"/>\n"
	    "<Meta colloquialVersion=\"%s\" product=\"%s\" "
	    "rim:FirmwareManufacturerId=\"Cloister SIMULATED\"/>\n"
	    "<Payload>\n", id, id, version, version, product);
	for (unsigned i = first; i < first + SIM_GPU_NBLOCKS / 2; i++) {
		measurement(i, v);
		util_hex_encode(v, sizeof(v), hex);
		ADD("<Resource type=\"Measurement\" index=\"%u\" "
		    "active=\"True\" alternatives=\"1\" size=\"%d\" "
		    "SHA384:Hash0=\"%s\"/>\n", i, HASH_LEN, hex);
	}
	ADD("</Payload>\n"
	    "<Signature xmlns=\"" NS_DSIG "\"><SignedInfo>"
	    "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/"
	    "xml-c14n11\"/><SignatureMethod Algorithm=\"http://www.w3.org/"
	    "2001/04/xmldsig-more#ecdsa-sha384\"/><Reference URI=\"\">"
	    "<Transforms><Transform Algorithm=\"" NS_DSIG "enveloped-"
	    "signature\"/><Transform Algorithm=\"http://www.w3.org/2006/12/"
	    "xml-c14n11\"/></Transforms><DigestMethod Algorithm=\"http://"
	    "www.w3.org/2001/04/xmldsig-more#sha384\"/><DigestValue/>"
	    "</Reference></SignedInfo><SignatureValue/></Signature>\n"
	    "</SoftwareIdentity>\n");
#undef ADD
	*len = n;
	return 0;
}

/* KeyInfo/X509Data with the RIM chain, signer first.  It sits outside
 * SignedInfo, as in NVIDIA's RIMs, so it is added after signing. */
static int
add_keyinfo(xmlNode *sig, const struct pki *p)
{
	xmlNode *ki, *xd, *c;
	xmlChar *b64;
	uint8_t *der;
	size_t len;
	int r;

	if ((ki = xmlSecAddChild(sig, xmlSecNodeKeyInfo, xmlSecDSigNs)) ==
	    NULL || (xd = xmlSecAddChild(ki, xmlSecNodeX509Data,
	    xmlSecDSigNs)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < 3; i++) {
		if ((r = sim_cert_der(p->rim[i], &der, &len)) != 0)
			return r;
		b64 = xmlSecBase64Encode(der, (xmlSecSize)len, 64);
		free(der);
		if (b64 == NULL || (c = xmlSecAddChild(xd,
		    xmlSecNodeX509Certificate, xmlSecDSigNs)) == NULL) {
			xmlFree(b64);
			return CLOISTER_ERR_ALLOC;
		}
		xmlNodeSetContent(c, b64);
		xmlFree(b64);
	}
	return 0;
}

static int
sign_rim(const struct pki *p, const char *text, size_t len, char **out,
    size_t *outlen)
{
	xmlDoc *doc = NULL;
	xmlNode *sig;
	xmlSecDSigCtxPtr ctx = NULL;
	xmlChar *dump = NULL;
	uint8_t *key = NULL;
	size_t keylen = 0;
	int size = 0, r;

	if ((r = rim_xmlsec_init()) != 0)
		return r;
	r = CLOISTER_ERR_INTERNAL;
	if ((doc = xmlReadMemory(text, (int)len, "rim.xml", NULL,
	    XML_PARSE_NONET)) == NULL ||
	    (sig = xmlSecFindNode(xmlDocGetRootElement(doc),
	    xmlSecNodeSignature, xmlSecDSigNs)) == NULL ||
	    (ctx = xmlSecDSigCtxCreate(NULL)) == NULL ||
	    sim_key_private_der(sim_cert_key(p->rim[0]), &key, &keylen) != 0 ||
	    (ctx->signKey = xmlSecCryptoAppKeyLoadMemory(key,
	    (xmlSecSize)keylen, xmlSecKeyDataFormatDer, NULL, NULL,
	    NULL)) == NULL ||
	    xmlSecDSigCtxSign(ctx, sig) < 0 ||
	    (r = add_keyinfo(sig, p)) != 0)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	xmlDocDumpMemory(doc, &dump, &size);
	if (dump == NULL || size <= 0 || (*out = malloc((size_t)size + 1)) ==
	    NULL)
		goto out;
	memcpy(*out, dump, (size_t)size);
	(*out)[size] = '\0';
	*outlen = (size_t)size;
	r = 0;
 out:
	if (key != NULL)
		util_wipe(key, keylen);
	free(key);
	xmlFree(dump);
	xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	return r;
}

static int
make_rims(const struct pki *p, struct sim_gpu_evidence *e)
{
	static const char *const product[2] = {
	    "Cloister SIMULATED GPU driver", "Cloister SIMULATED GPU VBIOS" };
	char *text;
	size_t len;
	int r = 0;

	snprintf(e->rims[0].id, sizeof(e->rims[0].id),
	    "NV_GPU_DRIVER_GH100_%s", SIM_GPU_DRIVER_VERSION);
	snprintf(e->rims[1].id, sizeof(e->rims[1].id),
	    "NV_GPU_VBIOS_%s_%s_%s_0000000001", PROJECT, PROJECT_SKU,
	    CHIP_SKU);
	if ((text = malloc(SIM_RIM_TEXT_MAX)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (int i = 0; i < 2 && r == 0; i++)
		if ((r = rim_text(e->rims[i].id, i == 0 ?
		    SIM_GPU_DRIVER_VERSION : SIM_GPU_VBIOS_VERSION, product[i],
		    i == 0 ? DRIVER_FIRST : VBIOS_FIRST, text, SIM_RIM_TEXT_MAX,
		    &len)) == 0)
			r = sign_rim(p, text, len, &e->rims[i].xml,
			    &e->rims[i].len);
	free(text);
	return r;
}

/* Device certificates 1 to 3 (the leaf is the GPU's own, not listed)
 * and the RIM signer and CA. */
static int
make_ocsp(const struct pki *p, int64_t now, struct sim_gpu_evidence *e)
{
	const struct sim_cert *pairs[5][2] = {
	    { p->dev[1], p->dev[2] }, { p->dev[2], p->dev[3] },
	    { p->dev[3], p->dev[4] }, { p->rim[0], p->rim[1] },
	    { p->rim[1], p->rim[2] } };
	int r;

	for (size_t i = 0; i < 5; i++) {
		if ((r = sim_ocsp_good(pairs[i][0], pairs[i][1],
		    now - OCSP_BACK, now + OCSP_AHEAD, &e->ocsp[i],
		    &e->ocsp_len[i])) != 0)
			return r;
		e->nocsp++;
	}
	return 0;
}

void
sim_gpu_evidence_free(struct sim_gpu_evidence *e)
{
	if (e == NULL)
		return;
	free(e->report);
	free(e->chain_pem);
	for (size_t i = 0; i < 2; i++)
		free(e->rims[i].xml);
	for (size_t i = 0; i < e->nocsp; i++)
		free(e->ocsp[i]);
	memset(e, 0, sizeof(*e));
}

int
sim_gpu_collect(const uint8_t nonce[32], int64_t now,
    struct sim_gpu_evidence *e)
{
	struct pki p = { .dev = { NULL } };
	const struct sim_cert *chain[5];
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = make_pki(&p, now)) != 0)
		goto out;
	for (size_t i = 0; i < 5; i++)
		chain[i] = p.dev[i];
	if ((r = sim_chain_pem(chain, 5, &e->chain_pem, &e->chain_len)) != 0 ||
	    (r = make_report(&p, nonce, e)) != 0 ||
	    (r = make_rims(&p, e)) != 0 ||
	    (r = make_ocsp(&p, now, e)) != 0)
		goto out;
 out:
	pki_free(&p);
	if (r != 0)
		sim_gpu_evidence_free(e);
	return r;
}
