/*
 * Certificates, chains and CRLs: parsing (DER, strict PEM, hex text) and
 * the DCAP chain check.
 *
 * Chains are verified by a plain walk rather than X509_verify_cert(): the
 * DCAP rules are narrow (one caller-given anchor, every certificate below
 * it covered by a CRL from its issuer, everything at one given time), each
 * failure must name the certificate and the reason, and a walk states
 * every rule where it can be read (docs/internals/x509.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "crypto_int.h"
#include "util.h"
#include "x509.h"
#include "x509_int.h"

#define PEM_CERT_BEGIN	"-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END	"-----END CERTIFICATE-----"
#define PEM_CRL_BEGIN	"-----BEGIN X509 CRL-----"
#define PEM_CRL_END	"-----END X509 CRL-----"
#define CERT_MAX	(64u * 1024)	/* one DER certificate */
#define CRL_MAX		(1024u * 1024)	/* one CRL in any encoding */
/* A PEM chain: X509_CHAIN_MAX certificates as base64 with line breaks. */
#define PEM_CHAIN_MAX	(X509_CHAIN_MAX * 2 * CERT_MAX)
#define MIN_SIG_BITS	112	/* refuse SHA-1 and weaker signatures */

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

static const uint8_t *
find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Whitespace allowed around PEM blocks and hex text (not NUL). */
static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Only NULs and whitespace from i to the end (quotes pad with NULs). */
static int
only_padding(const uint8_t *buf, size_t len, size_t i)
{
	for (; i < len; i++)
		if (buf[i] != '\0' && !is_space(buf[i]))
			return 0;
	return 1;
}

static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Strict base64 of a PEM body: the alphabet and line breaks only, '='
 * padding to a whole quantum and only at the end, unused bits zero.  At
 * most cap bytes come out into a new buffer (the caller frees it).
 */
static int
b64_decode(const uint8_t *s, size_t len, size_t cap, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t n = 0, chars = 0, pad = 0;
	int v, nbits = 0, r = CLOISTER_ERR_BAD_PEM;

	*out = NULL;
	*outlen = 0;
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(s[i])) < 0)
			goto out;	/* data after padding, or not base64 */
		chars++;
		acc = acc << 6 | (uint32_t)v;
		if ((nbits += 6) >= 8) {
			nbits -= 8;
			buf[n++] = (uint8_t)(acc >> nbits);
		}
	}
	/* 4k chars, or 4k+2 and "==", or 4k+3 and "=". */
	if ((chars + pad) % 4 != 0 || pad > 2 || chars % 4 == 1 ||
	    (acc & ((1u << nbits) - 1)) != 0 || n == 0)
		goto out;
	if (n > cap) {
		r = CLOISTER_ERR_TOO_LARGE;
		goto out;
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	return r;
}

/*
 * The PEM block starting at buf[*off] with the given armour lines; no
 * headers and nothing but base64 and line breaks inside.  *off moves
 * past the END line.  The DER comes out in a new buffer of at most cap.
 */
static int
pem_block(const uint8_t *buf, size_t len, size_t *off, const char *begin,
    const char *end, size_t cap, uint8_t **der, size_t *derlen)
{
	const uint8_t *body, *stop;
	size_t blen = strlen(begin);
	int r;

	if (!starts_with(buf + *off, len - *off, begin))
		return CLOISTER_ERR_BAD_PEM;
	body = buf + *off + blen;
	if ((stop = find(body, len - *off - blen, end)) == NULL)
		return CLOISTER_ERR_BAD_PEM;
	if ((r = b64_decode(body, (size_t)(stop - body), cap, der,
	    derlen)) != 0)
		return r;
	*off = (size_t)(stop - buf) + strlen(end);
	return 0;
}

/* Exactly one DER certificate, every byte of it. */
static X509 *
der_cert(const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;
	X509 *x;

	if (len == 0 || len > CERT_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && (p != buf + len ||
	    (X509_get_extension_flags(x) & EXFLAG_INVALID))) {
		/* Bytes after the DER, or extensions OpenSSL cannot read
		 * (duplicates, malformed basic constraints, ...). */
		X509_free(x);
		return NULL;
	}
	return x;
}

int
x509_cert_parse(const uint8_t *buf, size_t len, struct x509_cert **out)
{
	struct x509_chain *ch = NULL;
	X509 *x;
	size_t i = 0;
	int r;

	*out = NULL;
	if (buf == NULL || len == 0)
		return CLOISTER_ERR_BAD_CERT;
	while (i < len && is_space(buf[i]))
		i++;
	if (starts_with(buf + i, len - i, PEM_CERT_BEGIN)) {
		if ((r = x509_chain_parse_pem(buf, len, &ch)) != 0)
			return r;
		r = CLOISTER_ERR_BAD_PEM;
		if (ch->n == 1) {
			*out = x509_cert_ref(ch->c[0]);
			r = 0;
		}
		x509_chain_free(ch);
		return r;
	}
	if (len > CERT_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((x = der_cert(buf, len)) == NULL)
		return CLOISTER_ERR_BAD_CERT;
	if ((*out = cert_wrap(x)) == NULL) {
		X509_free(x);
		return CLOISTER_ERR_ALLOC;
	}
	return 0;
}

/* One PEM certificate at buf[*off] appended to the chain. */
static int
chain_add_pem(struct x509_chain *ch, const uint8_t *buf, size_t len,
    size_t *off)
{
	uint8_t *der = NULL;
	size_t derlen;
	X509 *x = NULL;
	int r;

	if (ch->n == X509_CHAIN_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = pem_block(buf, len, off, PEM_CERT_BEGIN, PEM_CERT_END,
	    CERT_MAX, &der, &derlen)) != 0)
		return r;
	r = CLOISTER_ERR_BAD_CERT;
	if ((x = der_cert(der, derlen)) == NULL)
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if ((ch->c[ch->n] = cert_wrap(x)) == NULL)
		goto out;
	x = NULL;
	ch->n++;
	r = 0;
 out:
	X509_free(x);
	free(der);
	return r;
}

int
x509_chain_parse_pem(const uint8_t *buf, size_t len, struct x509_chain **out)
{
	struct x509_chain *ch;
	size_t i = 0;
	int r = CLOISTER_ERR_BAD_PEM;

	*out = NULL;
	if (buf == NULL)
		return CLOISTER_ERR_BAD_PEM;
	if (len > PEM_CHAIN_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return CLOISTER_ERR_ALLOC;
	for (;;) {
		while (i < len && is_space(buf[i]))
			i++;
		if (i == len)
			break;
		if (buf[i] == '\0') {	/* the quote's terminator: the end */
			if (!only_padding(buf, len, i)) {
				r = CLOISTER_ERR_BAD_PEM;
				goto out;
			}
			break;
		}
		if ((r = chain_add_pem(ch, buf, len, &i)) != 0)
			goto out;
	}
	r = CLOISTER_ERR_BAD_PEM;
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

/*
 * What this verifier can read a CRL as: a complete list from its issuer.
 * A delta CRL, a partitioned one (issuing distribution point) or any
 * critical extension, on the CRL or on an entry (an indirect CRL's
 * certificate issuer), would change what absence from the list means.
 */
static int
crl_is_plain(X509_CRL *crl)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(crl);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);

	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));

		if (X509_EXTENSION_get_critical(e) || nid == NID_delta_crl ||
		    nid == NID_issuing_distribution_point)
			return 0;
	}
	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		exts = X509_REVOKED_get0_extensions(
		    sk_X509_REVOKED_value(revs, i));
		for (int j = 0; j < sk_X509_EXTENSION_num(exts); j++)
			if (X509_EXTENSION_get_critical(
			    sk_X509_EXTENSION_value(exts, j)))
				return 0;
	}
	return 1;
}

/* The DER of a CRL given as PEM, hex text or DER; when it had to be
 * decoded, *bin holds it (the caller frees it). */
static int
crl_der(const uint8_t *buf, size_t len, uint8_t **bin, const uint8_t **der,
    size_t *derlen)
{
	size_t i = 0;
	int r;

	*bin = NULL;
	*der = buf;
	*derlen = len;
	while (i < len && is_space(buf[i]))
		i++;
	if (starts_with(buf + i, len - i, PEM_CRL_BEGIN)) {
		if ((r = pem_block(buf, len, &i, PEM_CRL_BEGIN, PEM_CRL_END,
		    CRL_MAX, bin, derlen)) != 0)
			return r;
		*der = *bin;
		return only_padding(buf, len, i) ? 0 : CLOISTER_ERR_BAD_PEM;
	}
	/* PCCS serves hex text; DER starts with 30 8x, never all hex. */
	if ((r = util_maybe_hex(buf, len, bin, derlen)) < 0)
		return r;
	if (r == 1)
		*der = *bin;
	else
		*derlen = len;
	return 0;
}

int
x509_crl_parse(const uint8_t *buf, size_t len, struct x509_crl **out)
{
	struct x509_crl *c;
	const uint8_t *der, *p;
	uint8_t *bin = NULL;
	X509_CRL *crl = NULL;
	size_t derlen;
	int r;

	*out = NULL;
	if (buf == NULL || len == 0)
		return CLOISTER_ERR_BAD_CRL;
	if (len > CRL_MAX)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = crl_der(buf, len, &bin, &der, &derlen)) != 0) {
		if (r != CLOISTER_ERR_ALLOC)
			r = CLOISTER_ERR_BAD_CRL;
		goto out;
	}
	r = CLOISTER_ERR_BAD_CRL;
	p = der;
	if (derlen == 0 || (crl = d2i_X509_CRL(NULL, &p, (long)derlen)) ==
	    NULL || p != der + derlen || !crl_is_plain(crl))
		goto out;
	r = CLOISTER_ERR_ALLOC;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->crl = crl;
	crl = NULL;
	*out = c;
	r = 0;
 out:
	X509_CRL_free(crl);
	free(bin);
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

	if (buf == NULL || len == 0)
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
x509_cert_spki_sha256(const struct x509_cert *c,
    uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned char *der = NULL;
	int n, r = CLOISTER_ERR_BAD_KEY;

	if ((n = i2d_PUBKEY(X509_get0_pubkey(c->x), &der)) > 0)
		r = crypto_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	return r;
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
 * Whether the CRL's authority key identifier, when it has one, names the
 * issuer's key: a same-named CA with another key is another CA.
 */
static int
crl_aki_matches(X509_CRL *crl, const struct x509_cert *issuer)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer->x);
	AUTHORITY_KEYID *akid;
	int ok = 1;

	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL,
	    NULL);
	if (akid != NULL && akid->keyid != NULL && ski != NULL)
		ok = ASN1_OCTET_STRING_cmp(akid->keyid, ski) == 0;
	AUTHORITY_KEYID_free(akid);
	return ok;
}

/* One CRL from the certificate's issuer: its issuer, signature, window,
 * and whether it lists the certificate. */
static int
check_one_crl(const struct x509_crl *crl, const struct x509_cert *c,
    const struct x509_cert *issuer, const char *cn, const char *icn,
    int64_t at, char *why, size_t whylen)
{
	char what[2 * X509_CN_MAX + 32];
	X509_REVOKED *rev;
	int r;

	if (!crl_aki_matches(crl->crl, issuer))
		return util_fail(CLOISTER_ERR_CRL_ISSUER, why, whylen, "a CRL "
		    "names \"%s\" as its issuer but another key (checking "
		    "\"%s\")", icn, cn);
	if ((X509_get_extension_flags(issuer->x) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(issuer->x) & KU_CRL_SIGN))
		return util_fail(CLOISTER_ERR_CRL_ISSUER, why, whylen, "\"%s\" "
		    "may not sign CRLs (key usage), yet a CRL for \"%s\" names "
		    "it", icn, cn);
	if (x509_crl_verify_signature(crl, issuer) != 0)
		return util_fail(CLOISTER_ERR_CRL_SIGNATURE, why, whylen, "the "
		    "CRL of \"%s\" (checking \"%s\") is not signed by its key",
		    icn, cn);
	if (X509_CRL_get0_nextUpdate(crl->crl) == NULL)
		return util_fail(CLOISTER_ERR_CRL_EXPIRED, why, whylen, "the "
		    "CRL of \"%s\" (checking \"%s\") has no nextUpdate", icn,
		    cn);
	snprintf(what, sizeof(what), "the CRL of \"%s\" (checking \"%s\")",
	    icn, cn);
	if ((r = util_check_window(at, x509_crl_this_update(crl),
	    x509_crl_next_update(crl), CLOISTER_ERR_CRL_NOT_YET_VALID,
	    CLOISTER_ERR_CRL_EXPIRED, what, why, whylen)) != 0)
		return r;
	if (X509_CRL_get0_by_serial(crl->crl, &rev,
	    X509_get0_serialNumber(c->x)) == 1)
		return util_fail(CLOISTER_ERR_CERT_REVOKED, why, whylen,
		    "certificate \"%s\" is revoked by the CRL of \"%s\"", cn,
		    icn);
	return 0;
}

/*
 * Every CRL naming the certificate's issuer must be from that issuer,
 * signed by it and current, and must not list the certificate; at least
 * one must exist.  CRLs from other issuers are not this certificate's.
 */
static int
check_revocation(const struct x509_cert *c, const struct x509_cert *issuer,
    const char *cn, const struct x509_crl *const *crls, size_t ncrls,
    int64_t at, char *why, size_t whylen)
{
	const X509_NAME *iname = X509_get_issuer_name(c->x);
	char icn[X509_CN_MAX];
	size_t found = 0;
	int r;

	x509_cert_subject_cn(issuer, icn, sizeof(icn));
	for (size_t i = 0; i < ncrls; i++) {
		if (crls[i] == NULL || X509_NAME_cmp(
		    X509_CRL_get_issuer(crls[i]->crl), iname) != 0)
			continue;
		found++;
		if ((r = check_one_crl(crls[i], c, issuer, cn, icn, at, why,
		    whylen)) != 0)
			return r;
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

	if (crls == NULL && ncrls > 0)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no CRL list");
	return x509_chain_walk(chain, root, at, crl_revocation, &k, why,
	    whylen);
}

/* Critical extensions this walk (with OpenSSL's issuance checks) acts on;
 * any other critical extension is a rule it would silently skip. */
static int
unknown_critical(X509 *x)
{
	static const int known[] = { NID_basic_constraints, NID_key_usage,
	    NID_ext_key_usage, NID_subject_alt_name,
	    NID_subject_key_identifier, NID_authority_key_identifier };

	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e)), ok = 0;

		if (!X509_EXTENSION_get_critical(e))
			continue;
		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			ok |= nid == known[j];
		if (!ok)
			return 1;
	}
	return 0;
}

/*
 * Certificate i of m below the anchor, issued by `issuer`: named and key
 * identified by it, the issuer a CA (basic constraints) whose path length
 * allows the i CAs below it, the signature strong and valid, no critical
 * extension we would ignore.
 */
static int
check_issued(const struct x509_cert *c, const struct x509_cert *issuer,
    size_t i, const char *cn, const char *icn, char *why, size_t whylen)
{
	long pathlen;
	int secbits = 0;
	uint32_t flags = 0;

	if (X509_check_issued(issuer->x, c->x) != X509_V_OK)
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen, "certificate "
		    "\"%s\" is not issued by \"%s\"", cn, icn);
	if (X509_check_ca(issuer->x) != 1)
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen, "\"%s\" is "
		    "not a CA (basic constraints) but issues \"%s\"", icn, cn);
	pathlen = X509_get_pathlen(issuer->x);
	if (pathlen >= 0 && (long)i > pathlen)
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen, "\"%s\" "
		    "allows %ld CAs below it, the chain has %zu", icn, pathlen,
		    i);
	if (unknown_critical(c->x))
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen, "certificate "
		    "\"%s\" has a critical extension this verifier does not "
		    "process", cn);
	if (X509_get_signature_info(c->x, NULL, NULL, &secbits, &flags) != 1 ||
	    !(flags & X509_SIG_INFO_VALID) || secbits < MIN_SIG_BITS)
		return util_fail(CLOISTER_ERR_SIGNATURE, why, whylen, "the "
		    "signature algorithm of \"%s\" is too weak or unknown", cn);
	if (X509_verify(c->x, X509_get0_pubkey(issuer->x)) != 1)
		return util_fail(CLOISTER_ERR_SIGNATURE, why, whylen, "the "
		    "signature of \"%s\" does not verify with the key of "
		    "\"%s\"", cn, icn);
	return 0;
}

/*
 * How many of the chain's certificates lie below the anchor: all but the
 * last when the last is the anchor (same key and name: its own copy is
 * not used), all when the last was issued by the anchor (a bare signing
 * certificate, as some tools save it).  Anything else is another root.
 */
static int
below_anchor(const struct x509_chain *chain, const struct x509_cert *root,
    size_t *m, char *why, size_t whylen)
{
	const struct x509_cert *last = chain->c[chain->n - 1];
	char cn[X509_CN_MAX], rcn[X509_CN_MAX];

	*m = chain->n;
	if (x509_cert_same_key(last, root)) {
		(*m)--;
		return 0;
	}
	if (X509_NAME_cmp(X509_get_subject_name(last->x),
	    X509_get_issuer_name(last->x)) != 0 &&
	    X509_check_issued(root->x, last->x) == X509_V_OK)
		return 0;
	x509_cert_subject_cn(last, cn, sizeof(cn));
	x509_cert_subject_cn(root, rcn, sizeof(rcn));
	return util_fail(CLOISTER_ERR_UNTRUSTED_ROOT, why, whylen, "chain ends "
	    "at \"%s\", which is neither \"%s\" (same key and name) nor "
	    "issued by it", cn, rcn);
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
		return util_fail(CLOISTER_ERR_CHAIN, why, whylen,
		    "empty chain");
	if ((r = below_anchor(chain, root, &m, why, whylen)) != 0)
		return r;
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
		if ((r = check_issued(c, issuer, i, cn, icn, why,
		    whylen)) != 0 ||
		    (r = check_times(c, cn, at, why, whylen)) != 0 ||
		    (r = revoked(c, issuer, i, cn, at, arg, why, whylen)) != 0)
			return r;
	}
	return 0;
}

static int
not_checked(const struct x509_cert *c, const struct x509_cert *issuer,
    size_t index, const char *cn, int64_t at, void *arg, char *why,
    size_t whylen)
{
	return 0;
}

int
x509_chain_verify_norevocation(const struct x509_chain *chain,
    const struct x509_cert *root, int64_t at, char *why, size_t whylen)
{
	return x509_chain_walk(chain, root, at, not_checked, NULL, why,
	    whylen);
}

int
x509_cert_extension(const struct x509_cert *c, const char *oid,
    const uint8_t **der, size_t *len)
{
	const ASN1_OCTET_STRING *data;
	X509_EXTENSION *ext;
	ASN1_OBJECT *obj;
	int i, again;

	*der = NULL;
	*len = 0;
	if ((obj = OBJ_txt2obj(oid, 1)) == NULL)
		return CLOISTER_ERR_INTERNAL;
	i = X509_get_ext_by_OBJ(c->x, obj, -1);
	again = i < 0 ? -1 : X509_get_ext_by_OBJ(c->x, obj, i);
	ASN1_OBJECT_free(obj);
	/* Absent, or present twice (which one would count?). */
	if (i < 0 || again >= 0 || (ext = X509_get_ext(c->x, i)) == NULL ||
	    (data = X509_EXTENSION_get_data(ext)) == NULL)
		return CLOISTER_ERR_BAD_FIELD;
	*der = ASN1_STRING_get0_data(data);
	*len = (size_t)ASN1_STRING_length(data);
	return 0;
}

int
x509_cert_serial_decimal(const struct x509_cert *c, char *buf, size_t len)
{
	BIGNUM *bn;
	char *dec = NULL;
	int r = CLOISTER_ERR_BAD_CERT;

	buf[0] = '\0';
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c->x),
	    NULL)) == NULL)
		return r;
	if ((dec = BN_bn2dec(bn)) != NULL && strlen(dec) < len) {
		memcpy(buf, dec, strlen(dec) + 1);
		r = 0;
	}
	OPENSSL_free(dec);
	BN_free(bn);
	return r;
}
