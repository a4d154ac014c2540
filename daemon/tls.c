/*
 * The gateway's TLS (tls.h): either the operator's certificate and key
 * from files, or an attested key (tls.attested): an ECDSA P-256 key made
 * here at start, never written, whose SubjectPublicKeyInfo digest the
 * evidence's REPORTDATA commits to (docs/FORMATS.md §7), in a self-signed
 * certificate that also carries the start-up evidence bundle in an
 * extension (§12), so a client can check the key in the handshake itself.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/bufferevent_ssl.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cloister/error.h"
#include "crypto.h"
#include "gateway.h"
#include "tls.h"
#include "util.h"

#define CERT_DAYS	365

/* Each accepted connection gets its own TLS session. */
static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(arg);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static SSL_CTX *
new_ctx(void)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	return ctx;
}

static int
ssl_fail(char *why, size_t whylen, const char *what)
{
	char err[256] = "";

	ERR_error_string_n(ERR_get_error(), err, sizeof(err));
	return util_fail(CLOISTER_ERR_CONFIG, why, whylen, "tls: %s: %s", what,
	    err);
}

int
gw_tls_files(struct gw *gw, char *why, size_t whylen)
{
	const struct gw_config *c = &gw->cfg;
	char what[2 * GW_PATH_MAX + 32];

	if ((gw->tls = new_ctx()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if (SSL_CTX_use_certificate_chain_file(gw->tls, c->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(gw->tls, c->tls_key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(gw->tls) != 1) {
		snprintf(what, sizeof(what), "cannot use %s and %s",
		    c->tls_cert, c->tls_key);
		return ssl_fail(why, whylen, what);
	}
	evhttp_set_bevcb(gw->http, tls_bev, gw->tls);
	return 0;
}

int
gw_tls_key(struct gw *gw, char *why, size_t whylen)
{
	unsigned char *der = NULL;
	EVP_PKEY *k;
	int n, r;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return ssl_fail(why, whylen, "cannot make a key");
	if ((n = i2d_PUBKEY(k, &der)) <= 0) {
		EVP_PKEY_free(k);
		return ssl_fail(why, whylen, "cannot encode the key");
	}
	r = crypto_sha256(der, (size_t)n, gw->tls_spki);
	OPENSSL_free(der);
	if (r != 0) {
		EVP_PKEY_free(k);
		return r;
	}
	gw->tls_pkey = k;
	return 0;
}

/* The evidence extension: an OCTET STRING holding the bundle's bytes. */
static int
add_evidence(X509 *x, const char *ev, size_t len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj;
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	obj = OBJ_txt2obj(GW_TLS_EVIDENCE_OID, 1);
	if (os != NULL && obj != NULL &&
	    ASN1_OCTET_STRING_set(os, (const unsigned char *)ev, (int)len) == 1 &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
	    X509_add_ext(x, ext, -1) == 1)
		ok = 1;
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	return ok ? 0 : -1;
}

static X509 *
make_cert(struct gw *gw)
{
	uint8_t serial[16];
	char cn[64];
	BIGNUM *bn = NULL;
	X509_NAME *name;
	X509 *x;
	int ok = 0;

	if ((x = X509_new()) == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;	/* a positive serial */
	snprintf(cn, sizeof(cn), "cloister %.16s", gw->evidence_id);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)CERT_DAYS * 86400) == NULL ||
	    X509_set_pubkey(x, gw->tls_pkey) != 1 ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    add_evidence(x, gw->evidence, gw->evidence_len) != 0 ||
	    X509_sign(x, gw->tls_pkey, EVP_sha256()) == 0)
		goto out;
	ok = 1;
 out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int
gw_tls_attested(struct gw *gw, char *why, size_t whylen)
{
	X509 *x;
	int r = 0;

	if ((gw->tls = new_ctx()) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((x = make_cert(gw)) == NULL)
		return ssl_fail(why, whylen, "cannot make the certificate");
	if (SSL_CTX_use_certificate(gw->tls, x) != 1 ||
	    SSL_CTX_use_PrivateKey(gw->tls, gw->tls_pkey) != 1 ||
	    SSL_CTX_check_private_key(gw->tls) != 1)
		r = ssl_fail(why, whylen, "cannot use the attested key");
	X509_free(x);
	if (r == 0)
		evhttp_set_bevcb(gw->http, tls_bev, gw->tls);
	return r;
}

void
gw_tls_free(struct gw *gw)
{
	SSL_CTX_free(gw->tls);
	gw->tls = NULL;
	EVP_PKEY_free(gw->tls_pkey);	/* OpenSSL clears the scalar */
	gw->tls_pkey = NULL;
}
