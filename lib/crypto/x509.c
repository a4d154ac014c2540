/*
 * Certificates and chains: parsing (DER, strict PEM through x509_pem.c),
 * accessors and the DCAP chain walk, to which x509_crl.c and ocsp.c give
 * their revocation checks.
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
#define CERT_MAX	(64u * 1024)	/* one DER certificate */
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
	while (i < len && x509_pem_is_space(buf[i]))
		i++;
	if (x509_pem_starts_with(buf + i, len - i, PEM_CERT_BEGIN)) {
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
	if ((r = x509_pem_block(buf, len, off, PEM_CERT_BEGIN, PEM_CERT_END,
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
		while (i < len && x509_pem_is_space(buf[i]))
			i++;
		if (i == len)
			break;
		if (buf[i] == '\0') {	/* the quote's terminator: the end */
			if (!x509_pem_only_padding(buf, len, i)) {
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

int
x509_name_cn(const X509_NAME *name, char *buf, size_t len)
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
	return x509_name_cn(X509_get_subject_name(c->x), buf, len);
}

int
x509_cert_issuer_cn(const struct x509_cert *c, char *buf, size_t len)
{
	return x509_name_cn(X509_get_issuer_name(c->x), buf, len);
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
