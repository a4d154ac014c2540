/*
 * Certificates, chains, CRLs and the Intel SGX PCK extension.
 *
 * Chains are verified by a plain walk rather than X509_verify_cert(): the
 * DCAP rules are narrow (one anchor, every non-anchor certificate covered
 * by a CRL from its issuer, everything at one given time) and each failure
 * must name the certificate and the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "crypto_int.h"
#include "x509_int.h"
#include "util.h"
#include "x509.h"

#define PEM_CERT_BEGIN	"-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END	"-----END CERTIFICATE-----"
#define PEM_CRL_BEGIN	"-----BEGIN X509 CRL-----"
#define CRL_MAX		(1024u * 1024)
#define CERT_MAX	(64u * 1024)

static struct x509_cert *
cert_wrap(X509 *x)
{
	struct x509_cert *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->x = x;
	c->refs = 1;
	return c;
}

struct x509_cert *
x509_cert_ref(struct x509_cert *c)
{
	if (c != NULL)
		c->refs++;
	return c;
}

void
x509_cert_free(struct x509_cert *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	X509_free(c->x);
	free(c);
}

static int
starts_with(const uint8_t *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(buf, s, n) == 0;
}

/* One PEM block (exactly) into an X509. */
static X509 *
pem_cert(const uint8_t *buf, size_t len)
{
	BIO *b;
	X509 *x;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return x;
}

static X509 *
der_cert(const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;
	X509 *x;

	if (len > CERT_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != buf + len) {	/* bytes after the DER */
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

int
x509_cert_parse(const uint8_t *buf, size_t len, struct x509_cert **out)
{
	X509 *x;
	size_t i = 0;

	*out = NULL;
	if (buf == NULL || len == 0 || len > CERT_MAX)
		return CLOISTER_ERR_BAD_CERT;
	while (i < len && is_space(buf[i]))
		i++;
	if (starts_with(buf + i, len - i, PEM_CERT_BEGIN)) {
		struct x509_chain *ch = NULL;
		int r;

		if ((r = x509_chain_parse_pem(buf, len, &ch)) != 0)
			return r;
		if (ch->n != 1) {
			x509_chain_free(ch);
			return CLOISTER_ERR_BAD_PEM;
		}
		*out = x509_cert_ref(ch->c[0]);
		x509_chain_free(ch);
		return 0;
	}
	if ((x = der_cert(buf, len)) == NULL)
		return CLOISTER_ERR_BAD_CERT;
	if ((*out = cert_wrap(x)) == NULL) {
		X509_free(x);
		return CLOISTER_ERR_ALLOC;
	}
	return 0;
}

static const uint8_t *
find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

int
x509_chain_parse_pem(const uint8_t *buf, size_t len, struct x509_chain **out)
{
	struct x509_chain *ch;
	const uint8_t *end;
	size_t i = 0, blk;
	X509 *x;
	int r = CLOISTER_ERR_BAD_PEM;

	*out = NULL;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (;;) {
		while (i < len && is_space(buf[i]))
			i++;
		if (i == len)
			break;
		if (!starts_with(buf + i, len - i, PEM_CERT_BEGIN))
			goto out;	/* something other than a certificate */
		end = find(buf + i, len - i, PEM_CERT_END);
		if (end == NULL)
			goto out;
		blk = (size_t)(end - (buf + i)) + strlen(PEM_CERT_END);
		if (ch->n == X509_CHAIN_MAX) {
			r = CLOISTER_ERR_TOO_LARGE;
			goto out;
		}
		if ((x = pem_cert(buf + i, blk)) == NULL) {
			r = CLOISTER_ERR_BAD_CERT;
			goto out;
		}
		if ((ch->c[ch->n] = cert_wrap(x)) == NULL) {
			X509_free(x);
			r = CLOISTER_ERR_ALLOC;
			goto out;
		}
		ch->n++;
		i += blk;
	}
	if (ch->n == 0)
		goto out;
	*out = ch;
	ch = NULL;
	r = 0;
 out:
	x509_chain_free(ch);
	return r;
}

void
x509_chain_free(struct x509_chain *ch)
{
	if (ch == NULL)
		return;
	for (size_t i = 0; i < ch->n; i++)
		x509_cert_free(ch->c[i]);
	free(ch);
}

size_t
x509_chain_len(const struct x509_chain *ch)
{
	return ch == NULL ? 0 : ch->n;
}

const struct x509_cert *
x509_chain_get(const struct x509_chain *ch, size_t i)
{
	return ch == NULL || i >= ch->n ? NULL : ch->c[i];
}

int
x509_crl_parse(const uint8_t *buf, size_t len, struct x509_crl **out)
{
	struct x509_crl *c = NULL;
	const uint8_t *p;
	uint8_t *bin = NULL;
	X509_CRL *crl = NULL;
	size_t i = 0, binlen;
	BIO *b;
	int r = CLOISTER_ERR_BAD_CRL, h;

	*out = NULL;
	if (buf == NULL || len == 0 || len > CRL_MAX)
		return len > CRL_MAX ? CLOISTER_ERR_TOO_LARGE :
		    CLOISTER_ERR_BAD_CRL;
	while (i < len && is_space(buf[i]))
		i++;
	if (starts_with(buf + i, len - i, PEM_CRL_BEGIN)) {
		if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return CLOISTER_ERR_ALLOC;
		crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	} else {
		/* PCCS serves CRLs as hex text of the DER. */
		if ((h = util_maybe_hex(buf, len, &bin, &binlen)) < 0)
			return CLOISTER_ERR_BAD_CRL;
		if (h == 0) {
			bin = NULL;
			binlen = len;
		}
		p = bin != NULL ? bin : buf;
		crl = d2i_X509_CRL(NULL, &p, (long)binlen);
		if (crl != NULL && p != (bin != NULL ? bin : buf) + binlen) {
			X509_CRL_free(crl);
			crl = NULL;
		}
		free(bin);
	}
	if (crl == NULL)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	c->crl = crl;
	crl = NULL;
	*out = c;
	r = 0;
 out:
	X509_CRL_free(crl);
	return r;
}

void
x509_crl_free(struct x509_crl *crl)
{
	if (crl == NULL)
		return;
	X509_CRL_free(crl->crl);
	free(crl);
}

static int
name_cn(const X509_NAME *name, char *buf, size_t len)
{
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int i, n;

	if (len == 0)
		return CLOISTER_ERR_INVALID_ARG;
	buf[0] = '\0';
	if (name == NULL ||
	    (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0 ||
	    (e = X509_NAME_get_entry(name, i)) == NULL ||
	    (n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e))) < 0)
		return CLOISTER_ERR_BAD_CERT;
	/* Keep it printable: it ends up in messages. */
	for (int j = 0; j < n; j++)
		if (utf8[j] < 0x20 || utf8[j] == 0x7f)
			utf8[j] = '?';
	snprintf(buf, len, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
	return 0;
}

int
x509_cert_subject_cn(const struct x509_cert *c, char *buf, size_t len)
{
	return name_cn(X509_get_subject_name(c->x), buf, len);
}

int
x509_cert_issuer_cn(const struct x509_cert *c, char *buf, size_t len)
{
	return name_cn(X509_get_issuer_name(c->x), buf, len);
}

int
x509_crl_issuer_cn(const struct x509_crl *crl, char *buf, size_t len)
{
	return name_cn(X509_CRL_get_issuer(crl->crl), buf, len);
}

int64_t
x509_asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return INT64_MIN;
	return (int64_t)timegm(&tm);
}

int64_t
x509_cert_not_before(const struct x509_cert *c)
{
	return x509_asn1_seconds(X509_get0_notBefore(c->x));
}

int64_t
x509_cert_not_after(const struct x509_cert *c)
{
	return x509_asn1_seconds(X509_get0_notAfter(c->x));
}

int64_t
x509_crl_this_update(const struct x509_crl *crl)
{
	return x509_asn1_seconds(X509_CRL_get0_lastUpdate(crl->crl));
}

int64_t
x509_crl_next_update(const struct x509_crl *crl)
{
	return x509_asn1_seconds(X509_CRL_get0_nextUpdate(crl->crl));
}

int
x509_cert_pubkey(const struct x509_cert *c, struct ec_pubkey **out)
{
	EVP_PKEY *pk;

	*out = NULL;
	if ((pk = X509_get0_pubkey(c->x)) == NULL ||
	    EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return CLOISTER_ERR_BAD_KEY;
	if (EVP_PKEY_up_ref(pk) != 1)
		return CLOISTER_ERR_INTERNAL;
	if ((*out = crypto_pubkey_wrap(pk)) == NULL) {
		EVP_PKEY_free(pk);
		return CLOISTER_ERR_ALLOC;
	}
	return 0;
}

int
x509_cert_same_key(const struct x509_cert *a, const struct x509_cert *b)
{
	EVP_PKEY *ka = X509_get0_pubkey(a->x), *kb = X509_get0_pubkey(b->x);

	return ka != NULL && kb != NULL && EVP_PKEY_eq(ka, kb) == 1 &&
	    X509_NAME_cmp(X509_get_subject_name(a->x),
	    X509_get_subject_name(b->x)) == 0;
}

int
x509_cert_fingerprint(const struct x509_cert *c,
    uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned len = 0;

	if (X509_digest(c->x, EVP_sha256(), out, &len) != 1 ||
	    len != CRYPTO_SHA256_LEN)
		return CLOISTER_ERR_INTERNAL;
	return 0;
}

int
x509_crl_verify_signature(const struct x509_crl *crl,
    const struct x509_cert *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer->x);

	if (k == NULL)
		return CLOISTER_ERR_BAD_KEY;
	return X509_CRL_verify(crl->crl, k) == 1 ? 0 :
	    CLOISTER_ERR_CRL_SIGNATURE;
}

static int
check_times(const struct x509_cert *c, const char *cn, int64_t at, char *why,
    size_t whylen)
{
	int64_t nb = x509_cert_not_before(c), na = x509_cert_not_after(c);
	char what[X509_CN_MAX + 16];

	if (nb == INT64_MIN || na == INT64_MIN)
		return util_fail(CLOISTER_ERR_BAD_CERT, why, whylen,
		    "certificate \"%s\" has an unreadable validity", cn);
	snprintf(what, sizeof(what), "certificate \"%s\"", cn);
	return util_check_window(at, nb, na, CLOISTER_ERR_CERT_NOT_YET_VALID,
	    CLOISTER_ERR_CERT_EXPIRED, what, why, whylen);
}

/*
 * Every CRL from the certificate's issuer must be signed by the issuer
 * and current; the certificate must be in none of them; at least one must
 * exist.
 */
static int
check_revocation(const struct x509_cert *c, const struct x509_cert *issuer,
    const char *cn, const struct x509_crl *const *crls, size_t ncrls,
    int64_t at, char *why, size_t whylen)
{
	const X509_NAME *iname = X509_get_issuer_name(c->x);
	char icn[X509_CN_MAX], what[X509_CN_MAX + 16];
	X509_REVOKED *rev;
	size_t found = 0;
	int r;

	x509_cert_subject_cn(issuer, icn, sizeof(icn));
	for (size_t i = 0; i < ncrls; i++) {
		X509_CRL *crl = crls[i]->crl;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), iname) != 0)
			continue;
		found++;
		if (x509_crl_verify_signature(crls[i], issuer) != 0)
			return util_fail(CLOISTER_ERR_CRL_SIGNATURE, why, whylen,
			    "the CRL of \"%s\" is not signed by its key", icn);
		snprintf(what, sizeof(what), "the CRL of \"%s\"", icn);
		if ((r = util_check_window(at, x509_crl_this_update(crls[i]),
		    x509_crl_next_update(crls[i]),
		    CLOISTER_ERR_CRL_NOT_YET_VALID, CLOISTER_ERR_CRL_EXPIRED,
		    what, why, whylen)) != 0)
			return r;
		if (X509_CRL_get0_by_serial(crl, &rev,
		    X509_get0_serialNumber(c->x)) == 1)
			return util_fail(CLOISTER_ERR_CERT_REVOKED, why, whylen,
			    "certificate \"%s\" is revoked by \"%s\"", cn, icn);
	}
	if (found == 0)
		return util_fail(CLOISTER_ERR_COLLATERAL_MISSING, why, whylen,
		    "no CRL from \"%s\" to check \"%s\" against", icn, cn);
	return 0;
}

struct crl_ctx {
	const struct x509_crl *const *crls;
	size_t ncrls;
};

static int
crl_revocation(const struct x509_cert *c, const struct x509_cert *issuer,
    size_t index, const char *cn, int64_t at, void *arg, char *why,
    size_t whylen)
{
	const struct crl_ctx *k = arg;

	return check_revocation(c, issuer, cn, k->crls, k->ncrls, at, why,
	    whylen);
}

int
x509_chain_verify(const struct x509_chain *chain,
    const struct x509_cert *root, const struct x509_crl *const *crls,
    size_t ncrls, int64_t at, char *why, size_t whylen)
{
	struct crl_ctx k = { crls, ncrls };

	return x509_chain_walk(chain, root, at, crl_revocation, &k, why,
	    whylen);
}

int
x509_chain_walk(const struct x509_chain *chain, const struct x509_cert *root,
    int64_t at, x509_revocation_fn *revoked, void *arg, char *why,
    size_t whylen)
{
	const struct x509_cert *c, *issuer;
	char cn[X509_CN_MAX], icn[X509_CN_MAX];
	size_t m;
	int r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (chain == NULL || chain->n == 0 || root == NULL)
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen, "empty chain");
	/*
	 * The chain normally ends with its own copy of the root; only its key
	 * and name count.  A chain that stops one short (a bare signing
	 * certificate) is completed with the anchor if the anchor issued it.
	 */
	m = chain->n;
	if (x509_cert_same_key(chain->c[m - 1], root)) {
		m--;
	} else if (X509_check_issued(root->x, chain->c[m - 1]->x) !=
	    X509_V_OK) {
		x509_cert_subject_cn(chain->c[m - 1], cn, sizeof(cn));
		x509_cert_subject_cn(root, icn, sizeof(icn));
		return util_fail(CLOISTER_ERR_UNTRUSTED_ROOT, why, whylen,
		    "chain ends at \"%s\", which is not \"%s\" nor issued by "
		    "it", cn, icn);
	}
	x509_cert_subject_cn(root, icn, sizeof(icn));
	if (m == 0)
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen, "the chain "
		    "holds only the root \"%s\": nothing it vouches for", icn);
	if ((r = check_times(root, icn, at, why, whylen)) != 0)
		return r;
	for (size_t i = 0; i < m; i++) {
		c = chain->c[i];
		issuer = i + 1 < m ? chain->c[i + 1] : root;
		x509_cert_subject_cn(c, cn, sizeof(cn));
		x509_cert_subject_cn(issuer, icn, sizeof(icn));
		if (X509_check_issued(issuer->x, c->x) != X509_V_OK)
			return util_fail(CLOISTER_ERR_CHAIN, why, whylen,
			    "certificate \"%s\" is not issued by \"%s\"", cn,
			    icn);
		if (X509_check_ca(issuer->x) < 1)
			return util_fail(CLOISTER_ERR_CHAIN, why, whylen,
			    "\"%s\" is not a CA but issues \"%s\"", icn, cn);
		if (X509_verify(c->x, X509_get0_pubkey(issuer->x)) != 1)
			return util_fail(CLOISTER_ERR_SIGNATURE, why, whylen,
			    "the signature of \"%s\" does not verify with the "
			    "key of \"%s\"", cn, icn);
		if ((r = check_times(c, cn, at, why, whylen)) != 0 ||
		    (r = revoked(c, issuer, i, cn, at, arg, why, whylen)) != 0)
			return r;
	}
	return 0;
}

int
x509_cert_extension(const struct x509_cert *c, const char *oid,
    const uint8_t **der, size_t *len)
{
	const ASN1_OCTET_STRING *data;
	X509_EXTENSION *ext;
	ASN1_OBJECT *obj;
	int i;

	*der = NULL;
	*len = 0;
	if ((obj = OBJ_txt2obj(oid, 1)) == NULL)
		return CLOISTER_ERR_INTERNAL;
	i = X509_get_ext_by_OBJ(c->x, obj, -1);
	ASN1_OBJECT_free(obj);
	if (i < 0 || (ext = X509_get_ext(c->x, i)) == NULL ||
	    (data = X509_EXTENSION_get_data(ext)) == NULL)
		return CLOISTER_ERR_BAD_FIELD;
	*der = ASN1_STRING_get0_data(data);
	*len = (size_t)ASN1_STRING_length(data);
	return 0;
}

int
x509_pck_ext(const struct x509_cert *leaf, struct pck_ext *out)
{
	const uint8_t *der;
	char icn[X509_CN_MAX];
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (x509_cert_extension(leaf, "1.2.840.113741.1.13.1", &der,
	    &len) != 0)
		return CLOISTER_ERR_BAD_PCK_EXT;
	if ((rc = x509_pck_ext_parse(der, len, out)) != 0)
		return rc;
	if (x509_cert_issuer_cn(leaf, icn, sizeof(icn)) == 0) {
		if (strstr(icn, "PCK Platform CA") != NULL)
			out->ca = PCK_CA_PLATFORM;
		else if (strstr(icn, "PCK Processor CA") != NULL)
			out->ca = PCK_CA_PROCESSOR;
	}
	return 0;
}
