/*
 * NVIDIA RIMs over libxml2 and libxmlsec1 (docs/internals/rim.md).
 *
 * The XML parser runs with the network off and refuses any document
 * type declaration, so no entity is ever expanded or fetched.  The
 * signature is checked by xmlsec with the key of KeyInfo's first
 * certificate set by us (xmlsec never looks a key up), with the only
 * algorithms NVIDIA uses enabled and the reference restricted to URI=""
 * (the whole document, minus the enveloped signature), so every value
 * read here is covered by the signature that is checked.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/crypto.h>
#include <xmlsec/base64.h>
#include <xmlsec/errors.h>

#include "cloister/error.h"
#include "crypto.h"
#include "rim.h"
#include "util.h"

#define NS_SWID		"http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define NS_TCG_RIM	"https://trustedcomputinggroup.org/resource/" \
			"tcg-reference-integrity-manifest-rim-information-model/"
#define NS_SHA384	"http://www.w3.org/2001/04/xmlenc#sha384"
#define NS_DSIG		"http://www.w3.org/2000/09/xmldsig#"
#define CERT_DER_MAX	4096
#define PEM_MAX		(X509_CHAIN_MAX * 6 * 1024)
#define ATTR_NAME_MAX	16

static pthread_once_t xmlsec_once = PTHREAD_ONCE_INIT;
static int xmlsec_ready;
static _Thread_local char xmlsec_last[RIM_WHY_MAX];

/* xmlsec reports through this; keep the last reason, print nothing. */
static void
xmlsec_error(const char *file, int line, const char *func,
    const char *obj, const char *subj, int reason, const char *msg)
{
	snprintf(xmlsec_last, sizeof(xmlsec_last), "%s%s%s",
	    func != NULL ? func : "", msg != NULL ? ": " : "",
	    msg != NULL ? msg : "");
}

static void
xmlsec_init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0)
		return;
	if (xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 ||
	    xmlSecCryptoInit() < 0)
		return;
	/* Set last: the crypto back end's init installs its own. */
	xmlSecErrorsSetCallback(xmlsec_error);
	xmlsec_ready = 1;
}

int
rim_xmlsec_init(void)
{
	pthread_once(&xmlsec_once, xmlsec_init);
	return xmlsec_ready ? 0 : CLOISTER_ERR_INTERNAL;
}

const char *
rim_xmlsec_last(void)
{
	return xmlsec_last;
}

static int
attr_eq(const xmlNode *n, const char *name, const char *ns, const char *want)
{
	xmlChar *v;
	int eq;

	v = xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns);
	eq = v != NULL && strcmp((const char *)v, want) == 0;
	xmlFree(v);
	return eq;
}

static int
is_elem(const xmlNode *n, const char *name, const char *ns)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->name, name) == 0 &&
	    strcmp((const char *)n->ns->href, ns) == 0;
}

/* Copy an attribute into out; missing is an error when required. */
static int
attr_copy(const xmlNode *n, const char *name, const char *ns, char *out,
    size_t outlen, int required, char *why, size_t whylen)
{
	xmlChar *v;
	int r = 0;

	out[0] = '\0';
	v = ns != NULL ? xmlGetNsProp(n, (const xmlChar *)name,
	    (const xmlChar *)ns) : xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v == NULL)
		return required ? util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: %s has no %s attribute", n->name, name) : 0;
	if (strlen((const char *)v) >= outlen)
		r = util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: %s attribute %s is too long", n->name, name);
	else
		memcpy(out, v, strlen((const char *)v) + 1);
	xmlFree(v);
	return r;
}

/* A decimal attribute in [lo, hi]. */
static int
attr_uint(const xmlNode *n, const char *name, unsigned lo, unsigned hi,
    unsigned *out, char *why, size_t whylen)
{
	char buf[8];
	unsigned v = 0;
	int r;

	if ((r = attr_copy(n, name, NULL, buf, sizeof(buf), 1, why,
	    whylen)) != 0)
		return r;
	for (const char *p = buf; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (buf[0] == '\0' || v < lo || v > hi)
		goto bad;
	*out = v;
	return 0;
 bad:
	return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
	    "RIM: %s=\"%s\" is not a number in %u..%u", name, buf, lo, hi);
}

static int
parse_active(const xmlNode *n, uint8_t *out, char *why, size_t whylen)
{
	char buf[8];
	int r;

	if ((r = attr_copy(n, "active", NULL, buf, sizeof(buf), 1, why,
	    whylen)) != 0)
		return r;
	if (strcasecmp(buf, "true") == 0)
		*out = 1;
	else if (strcasecmp(buf, "false") == 0)
		*out = 0;
	else
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: active=\"%s\" is neither True nor False", buf);
	return 0;
}

static int
parse_hashes(const xmlNode *n, struct rim_measurement *m, char *why,
    size_t whylen)
{
	char name[ATTR_NAME_MAX], hex[2 * RIM_HASH_LEN + 1];
	int r;

	for (unsigned i = 0; i < m->nalt; i++) {
		snprintf(name, sizeof(name), "Hash%u", i);
		if ((r = attr_copy(n, name, NS_SHA384, hex, sizeof(hex), 1,
		    why, whylen)) != 0)
			return r;
		if (util_hex_decode_exact(hex, strlen(hex), m->alt[i],
		    RIM_HASH_LEN) != 0)
			return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
			    "RIM: measurement %u %s is not 48 bytes of hex",
			    m->index, name);
	}
	return 0;
}

static int
parse_resource(const xmlNode *n, struct rim *rim, char *why, size_t whylen)
{
	struct rim_measurement *m;
	unsigned idx, nalt, size;
	int r;

	if (!attr_eq(n, "type", NULL, "Measurement"))
		return 0;
	if (rim->nmeas == RIM_MEAS_MAX)
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: more than %d measurements", RIM_MEAS_MAX);
	if ((r = attr_uint(n, "index", 0, RIM_INDEX_MAX, &idx, why,
	    whylen)) != 0 || (r = attr_uint(n, "alternatives", 1,
	    RIM_ALT_MAX, &nalt, why, whylen)) != 0 ||
	    (r = attr_uint(n, "size", RIM_HASH_LEN, RIM_HASH_LEN, &size, why,
	    whylen)) != 0)
		return r;
	if (rim_find(rim, idx) != NULL)
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: measurement index %u appears twice", idx);
	m = &rim->meas[rim->nmeas];
	memset(m, 0, sizeof(*m));
	m->index = (uint16_t)idx;
	m->nalt = (uint8_t)nalt;
	m->size = (uint16_t)size;
	if ((r = parse_active(n, &m->active, why, whylen)) != 0 ||
	    (r = parse_hashes(n, m, why, whylen)) != 0)
		return r;
	rim->nmeas++;
	return 0;
}

static int
parse_meta(const xmlNode *n, struct rim *rim, char *why, size_t whylen)
{
	int r;

	if (rim->version[0] != '\0')
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: more than one Meta element");
	if ((r = attr_copy(n, "colloquialVersion", NULL, rim->version,
	    sizeof(rim->version), 1, why, whylen)) != 0 ||
	    (r = attr_copy(n, "product", NULL, rim->product,
	    sizeof(rim->product), 0, why, whylen)) != 0 ||
	    (r = attr_copy(n, "FirmwareManufacturerId", NS_TCG_RIM,
	    rim->manufacturer_id, sizeof(rim->manufacturer_id), 0, why,
	    whylen)) != 0)
		return r;
	if (rim->version[0] == '\0')
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: empty colloquialVersion");
	return 0;
}

/* Meta, Payload/Resource and the one Signature, all children of root. */
static int
parse_body(const xmlNode *root, struct rim *rim, const xmlNode **sig,
    char *why, size_t whylen)
{
	int r, payloads = 0;

	*sig = NULL;
	for (const xmlNode *n = root->children; n != NULL; n = n->next) {
		if (is_elem(n, "Meta", NS_SWID)) {
			if ((r = parse_meta(n, rim, why, whylen)) != 0)
				return r;
		} else if (is_elem(n, "Payload", NS_SWID)) {
			payloads++;
			for (const xmlNode *c = n->children; c != NULL;
			    c = c->next)
				if (is_elem(c, "Resource", NS_SWID) &&
				    (r = parse_resource(c, rim, why,
				    whylen)) != 0)
					return r;
		} else if (is_elem(n, "Signature", NS_DSIG)) {
			if (*sig != NULL)
				return util_fail(CLOISTER_ERR_BAD_XML, why,
				    whylen, "RIM: more than one signature");
			*sig = n;
		}
	}
	if (rim->version[0] == '\0' || payloads != 1 || *sig == NULL)
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: needs one Meta, one Payload and one Signature "
		    "under SoftwareIdentity");
	if (rim->nmeas == 0)
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: no measurements");
	return 0;
}

/* Base64 text of an X509Certificate element into DER. */
static int
cert_der(const xmlNode *n, uint8_t *der, size_t cap, size_t *len)
{
	xmlChar *text;
	xmlSecSize got = 0;
	int r;

	if ((text = xmlNodeGetContent(n)) == NULL)
		return CLOISTER_ERR_BAD_XML;
	r = xmlSecBase64Decode_ex(text, der, (xmlSecSize)cap, &got);
	xmlFree(text);
	if (r < 0 || got == 0)
		return CLOISTER_ERR_BAD_BASE64;
	*len = (size_t)got;
	return 0;
}

static int
pem_append(char *pem, size_t *off, const uint8_t *der, size_t len)
{
	xmlChar *b64;
	int n;

	if ((b64 = xmlSecBase64Encode(der, (xmlSecSize)len, 64)) == NULL)
		return CLOISTER_ERR_ALLOC;
	n = snprintf(pem + *off, PEM_MAX - *off, "-----BEGIN CERTIFICATE-----"
	    "\n%s\n-----END CERTIFICATE-----\n", (const char *)b64);
	xmlFree(b64);
	if (n < 0 || (size_t)n >= PEM_MAX - *off)
		return CLOISTER_ERR_TOO_LARGE;
	*off += (size_t)n;
	return 0;
}

/* KeyInfo/X509Data/X509Certificate, in order; first = signer (DER). */
static int
parse_keyinfo(const xmlNode *sig, struct rim *rim, uint8_t *signer,
    size_t *signer_len, char *why, size_t whylen)
{
	uint8_t der[CERT_DER_MAX];
	size_t off = 0, len, n = 0;
	char *pem;
	int r = CLOISTER_ERR_BAD_XML;

	if ((pem = malloc(PEM_MAX)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (const xmlNode *k = sig->children; k != NULL; k = k->next) {
		if (!is_elem(k, "KeyInfo", NS_DSIG))
			continue;
		for (const xmlNode *d = k->children; d != NULL; d = d->next) {
			if (!is_elem(d, "X509Data", NS_DSIG))
				continue;
			for (const xmlNode *c = d->children; c != NULL;
			    c = c->next) {
				if (!is_elem(c, "X509Certificate", NS_DSIG))
					continue;
				if (n == X509_CHAIN_MAX ||
				    cert_der(c, der, sizeof(der), &len) != 0 ||
				    pem_append(pem, &off, der, len) != 0)
					goto bad;
				if (n++ == 0) {
					memcpy(signer, der, len);
					*signer_len = len;
				}
			}
		}
	}
	if (n == 0)
		goto bad;
	if ((r = x509_chain_parse_pem((const uint8_t *)pem, off,
	    &rim->chain)) != 0)
		r = util_fail(r, why, whylen, "RIM: a KeyInfo certificate "
		    "does not parse");
	goto out;
 bad:
	r = util_fail(CLOISTER_ERR_BAD_XML, why, whylen, "RIM: KeyInfo needs "
	    "1 to %d base64 X509Certificate elements", X509_CHAIN_MAX);
 out:
	free(pem);
	return r;
}

static int
enable_transforms(xmlSecDSigCtxPtr ctx)
{
	if (xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformInclC14N11Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx,
	    xmlSecTransformEcdsaSha384Id) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformEnvelopedId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformInclC14N11Id) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx,
	    xmlSecTransformSha384Id) < 0)
		return -1;
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	return 0;
}

/* The enveloped signature over the whole document, with signer's key. */
static int
check_signature(const xmlNode *sig, const uint8_t *signer, size_t len,
    char *why, size_t whylen)
{
	xmlSecDSigCtxPtr ctx = NULL;
	int r = CLOISTER_ERR_SIGNATURE;

	xmlsec_last[0] = '\0';
	if ((ctx = xmlSecDSigCtxCreate(NULL)) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (enable_transforms(ctx) != 0 ||
	    (ctx->signKey = xmlSecCryptoAppKeyLoadMemory(signer,
	    (xmlSecSize)len, xmlSecKeyDataFormatCertDer, NULL, NULL,
	    NULL)) == NULL) {
		r = util_fail(CLOISTER_ERR_BAD_KEY, why, whylen, "RIM: the "
		    "signer's key cannot be used (%s)", xmlsec_last);
		goto out;
	}
	if (xmlSecDSigCtxVerify(ctx, (xmlNodePtr)sig) < 0) {
		r = util_fail(CLOISTER_ERR_SIGNATURE, why, whylen, "RIM: the "
		    "XML signature cannot be checked (%s)", xmlsec_last);
		goto out;
	}
	if (ctx->status != xmlSecDSigStatusSucceeded ||
	    xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
		r = util_fail(CLOISTER_ERR_SIGNATURE, why, whylen, "RIM: the "
		    "XML signature does not verify with its signer's key");
		goto out;
	}
	r = 0;
 out:
	xmlSecDSigCtxDestroy(ctx);
	return r;
}

static int
parse_doc(xmlDoc *doc, struct rim *rim, char *why, size_t whylen)
{
	const xmlNode *root, *sig;
	uint8_t signer[CERT_DER_MAX];
	size_t signer_len = 0;
	int r;

	if (doc->intSubset != NULL || doc->extSubset != NULL)
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: document type declarations are refused");
	if ((root = xmlDocGetRootElement(doc)) == NULL ||
	    !is_elem(root, "SoftwareIdentity", NS_SWID))
		return util_fail(CLOISTER_ERR_BAD_XML, why, whylen,
		    "RIM: the root is not a SWID SoftwareIdentity");
	if ((r = parse_body(root, rim, &sig, why, whylen)) != 0 ||
	    (r = parse_keyinfo(sig, rim, signer, &signer_len, why,
	    whylen)) != 0)
		return r;
	rim->sig_code = check_signature(sig, signer, signer_len, rim->sig_why,
	    sizeof(rim->sig_why));
	return 0;
}

int
rim_parse(const uint8_t *xml, size_t len, struct rim **out, char *why,
    size_t whylen)
{
	struct rim *rim = NULL;
	xmlDoc *doc = NULL;
	int r = CLOISTER_ERR_INTERNAL;

	*out = NULL;
	pthread_once(&xmlsec_once, xmlsec_init);
	if (!xmlsec_ready)
		return util_fail(CLOISTER_ERR_INTERNAL, why, whylen,
		    "RIM: libxmlsec1 did not initialise");
	if (len == 0 || len > RIM_XML_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "RIM: %zu bytes (at most %d)", len, RIM_XML_MAX);
	if ((rim = calloc(1, sizeof(*rim))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = crypto_sha256(xml, len, rim->sha256)) != 0)
		goto out;
	doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();

		r = util_fail(CLOISTER_ERR_BAD_XML, why, whylen, "RIM: not "
		    "well-formed XML (line %d)", e != NULL ? e->line : 0);
		goto out;
	}
	if ((r = parse_doc(doc, rim, why, whylen)) != 0)
		goto out;
	*out = rim;
	rim = NULL;
 out:
	xmlFreeDoc(doc);
	rim_free(rim);
	return r;
}

void
rim_free(struct rim *r)
{
	if (r == NULL)
		return;
	x509_chain_free(r->chain);
	free(r);
}

const struct rim_measurement *
rim_find(const struct rim *r, unsigned index)
{
	for (size_t i = 0; i < r->nmeas; i++)
		if (r->meas[i].index == index)
			return &r->meas[i];
	return NULL;
}
