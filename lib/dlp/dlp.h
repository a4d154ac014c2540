/*
 * The DLP scanner: finds credentials, private keys, tokens, credentials
 * in URLs, password assignments and personal data in a buffer, without
 * ever copying the secret out (docs/dlp.md).  Hyperscan databases find
 * where each rule's matches end (a fast pass over the buffer) and then,
 * per rule, where they start (docs/internals/lib-dlp.md); each raw match
 * is then checked by
 * its rule's validator (Luhn, IBAN mod 97, an entropy gate) and a
 * placeholder filter ("AKIAIOSFODNN7EXAMPLE", "<your-token>", "${VAR}").
 * Encoded content is decoded and scanned once more: JSON string escapes,
 * base64, percent and hex encoding; a finding inside encoded content is
 * reported at the span of the encoded run.
 */
#ifndef CLOISTER_DLP_H
#define CLOISTER_DLP_H

#include <stddef.h>
#include <stdint.h>

enum dlp_confidence {
	DLP_LOW = 1,
	DLP_MEDIUM,
	DLP_HIGH,
};

enum dlp_layer {
	DLP_RAW = 0,
	DLP_JSON,	/* inside a JSON string with escapes */
	DLP_BASE64,
	DLP_PERCENT,
	DLP_HEX,
};

struct dlp_finding {
	const char	*rule;		/* static: "aws-access-key", ... */
	const char	*category;	/* static: "credential", "pii", ... */
	enum dlp_confidence confidence;
	enum dlp_layer	 layer;
	size_t		 off;		/* byte span in the scanned buffer */
	size_t		 len;
	size_t		 line;		/* 1-based line of off */
	size_t		 col;		/* byte offset of off in its line */
	size_t		 end_line;	/* line of its last byte (a PEM
					 * block spans several) */
};

struct dlp;

int	dlp_new(struct dlp **out, char *why, size_t whylen);
void	dlp_free(struct dlp *d);
/* Findings in buf, in order of offset, at most max of them (*n says how
 * many; CLOISTER_ERR_TOO_LARGE when more were found).  A dlp is not
 * shared between threads. */
int	dlp_scan(struct dlp *d, const uint8_t *buf, size_t len,
	    struct dlp_finding *out, size_t max, size_t *n);

#define DLP_INTERNAL_MAX	100000	/* suffixes and identifiers */
#define DLP_INTERNAL_NAME_MAX	128

/* Names that must not leave: hostnames under these suffixes
 * ("corp.example", ".internal") and the identifiers of a dictionary that
 * `cloister dlp learn` builds (service names, hosts).  Their findings are
 * "internal-hostname" and "internal-identifier", category "internal",
 * medium confidence, in the raw text.  Replaces any earlier set. */
int	dlp_set_internal(struct dlp *d, const char *const *suffixes,
	    size_t nsuffixes, const char *const *words, size_t nwords,
	    char *why, size_t whylen);

/* The same, with the identifiers read from a dictionary file (one per
 * line, '#' comments; NULL: none). */
int	dlp_internal_load(struct dlp *d, const char *const *suffixes,
	    size_t nsuffixes, const char *dictionary, char *why,
	    size_t whylen);

/* The internal identifiers of the tree at dir (cloister dlp learn):
 * sorted, unique, malloc'd; free with dlp_learn_free. */
int	dlp_learn(const char *dir, char ***out, size_t *n, char *why,
	    size_t whylen);
void	dlp_learn_free(char **v, size_t n);

const char *dlp_confidence_name(enum dlp_confidence c);
const char *dlp_layer_name(enum dlp_layer l);
/* The default action toward an external destination: high-confidence
 * credentials are blocked, everything else redacted. */
const char *dlp_default_action(const struct dlp_finding *f);

#endif
