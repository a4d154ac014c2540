/*
 * Collateral from a PCCS (or Intel PCS) for one quote (pccs.h): the TCB
 * info for its FMSPC, the QE identity, the PCK CRL of its CA and the root
 * CA CRL, each with the issuer chain the response header carries.  Every
 * byte is checked by the verifier like any other input; this file only
 * asks.  Blocking calls, for a proxy or a command-line verification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/buffer.h>

#include "cloister/error.h"
#include "cloister/verify.h"
#include "curlev.h"
#include "pccs.h"
#include "quote.h"
#include "url.h"
#include "util.h"

#define RESPONSE_MAX	(4u * 1024 * 1024)
#define CHAIN_MAX	(64u * 1024)
#define URL_MAX		1200

struct got {
	struct evbuffer	*body;
	char		*chain;		/* URL-decoded issuer chain, or NULL */
	size_t		 chain_len;
};

/* The *-Issuer-Chain header: URL-encoded PEM certificates. */
static size_t
on_header(char *d, size_t size, size_t n, void *arg)
{
	struct got *g = arg;
	size_t len = size * n, k, v;
	int out;
	char *s;

	for (k = 0; k < len && d[k] != ':'; k++)
		;
	if (k == len || k < 13 || strncasecmp(d + k - 13, "-Issuer-Chain",
	    13) != 0 || g->chain != NULL)
		return len;
	for (v = k + 1; v < len && d[v] == ' '; v++)
		;
	while (len > v && (d[len - 1] == '\r' || d[len - 1] == '\n'))
		len--;
	if (len - v > CHAIN_MAX)
		return size * n;
	if ((s = curl_easy_unescape(NULL, d + v, (int)(len - v), &out)) ==
	    NULL)
		return size * n;
	g->chain = malloc((size_t)out + 1);
	if (g->chain != NULL) {
		memcpy(g->chain, s, (size_t)out);
		g->chain[out] = '\0';
		g->chain_len = (size_t)out;
	}
	curl_free(s);
	return size * n;
}

static int
get(const char *url, struct got *g, char *why, size_t whylen)
{
	int r;

	memset(g, 0, sizeof(*g));
	if ((g->body = evbuffer_new()) == NULL)
		return CLOISTER_ERR_ALLOC;
	r = curlev_get(url, NULL, g->body, RESPONSE_MAX, on_header, g, 0, NULL,
	    why, whylen);
	return r == CLOISTER_ERR_UPSTREAM ? CLOISTER_ERR_COLLATERAL_MISSING :
	    r;
}

static void
got_free(struct got *g)
{
	if (g->body != NULL)
		evbuffer_free(g->body);
	free(g->chain);
}

/* One document and its issuer chain into the set. */
static int
fetch_one(struct cloister_collateral *c, const char *url, const char *name,
    int chain_needed, char *why, size_t whylen)
{
	char cname[96];
	struct got g;
	int r;

	if ((r = get(url, &g, why, whylen)) == 0)
		r = cloister_collateral_add(c, name, evbuffer_pullup(g.body, -1),
		    evbuffer_get_length(g.body), why, whylen);
	if (r == 0 && g.chain != NULL) {
		snprintf(cname, sizeof(cname), "%s issuer chain", name);
		r = cloister_collateral_add(c, cname, (const uint8_t *)g.chain,
		    g.chain_len, why, whylen);
	} else if (r == 0 && chain_needed)
		r = util_fail(CLOISTER_ERR_COLLATERAL_MISSING, why, whylen,
		    "%s: no issuer chain in the answer", url);
	got_free(&g);
	return r;
}

int
pccs_fetch(const char *base, const uint8_t *quote, size_t len,
    struct cloister_collateral **out, char *why, size_t whylen)
{
	struct cloister_collateral *c = NULL;
	char url[URL_MAX], hex[13], uwhy[128];
	struct url_parts u;
	const char *tee;
	uint8_t fmspc[6];
	int proc, tdx, r;

	*out = NULL;
	if (strlen(base) > URL_MAX - 128 || url_parse_http(base, &u, uwhy,
	    sizeof(uwhy)) != 0)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen, "the "
		    "PCCS URL is http(s)://host[:port][/path]");
	if ((r = quote_pck_info(quote, len, fmspc, &proc, &tdx, why,
	    whylen)) != 0)
		return r;
	util_hex_encode(fmspc, sizeof(fmspc), hex);
	for (char *h = hex; *h != '\0'; h++)	/* as Intel writes it */
		if (*h >= 'a' && *h <= 'f')
			*h = (char)(*h - 'a' + 'A');
	tee = tdx ? "tdx" : "sgx";
	if ((r = cloister_collateral_new(&c)) != 0)
		return r;
	snprintf(url, sizeof(url), "%s/%s/certification/v4/tcb?fmspc=%s",
	    base, tee, hex);
	if ((r = fetch_one(c, url, "TCB info", 1, why, whylen)) != 0)
		goto out;
	snprintf(url, sizeof(url), "%s/%s/certification/v4/qe/identity", base,
	    tee);
	if ((r = fetch_one(c, url, "QE identity", 1, why, whylen)) != 0)
		goto out;
	snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&"
	    "encoding=der", base, proc ? "processor" : "platform");
	if ((r = fetch_one(c, url, "PCK CRL", 0, why, whylen)) != 0)
		goto out;
	snprintf(url, sizeof(url), "%s/sgx/certification/v4/rootcacrl", base);
	if ((r = fetch_one(c, url, "root CA CRL", 0, why, whylen)) != 0)
		goto out;
	*out = c;
	c = NULL;
 out:
	cloister_collateral_free(c);
	return r;
}
