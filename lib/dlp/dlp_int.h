/*
 * What the pieces of the DLP scanner share: dlp.c (the rules, their
 * databases and the scan), dlp_valid.c (validators), dlp_decode.c
 * (decoded layers) and dlp_internal.c (internal names).  Nothing outside
 * lib/dlp includes it.
 */
#ifndef CLOISTER_DLP_INT_H
#define CLOISTER_DLP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "dlp.h"

#define DLP_NRULES	53	/* rules[] in dlp.c (checked there) */
#define NDB		2	/* end-finding databases (dlp.c) */
#define DLP_COPY_SLACK	16	/* a decoder may write this far past it */

struct dlp;
typedef int (*end_filter)(struct dlp *d, size_t end);

struct raw {
	unsigned	 id;
	size_t		 from, to;
};

/* The scanner's databases and scratch state (dlp.c has its two passes). */
struct dlp {
	hs_database_t	*fast[NDB];
	unsigned	 db[DLP_NRULES];	/* each rule's fast database */
	end_filter	 ends_ok[DLP_NRULES];
	hs_database_t	*som[DLP_NRULES];
	hs_scratch_t	*scratch;
	struct raw	*ends;		/* pass 1: (rule, end) */
	size_t		 nends;
	const uint8_t	*scanning;	/* pass 1's buffer (ends_ok) */
	size_t		 at_end;	/* dlp_local_part_ok's last end, */
	int		 at_ok;		/* its answer (at_end 0: none) */
	struct raw	*raw;		/* pass 2: (rule, start, end) */
	size_t		 nraw;
	size_t		 base;		/* offset of the window scanned */
	int		 overflow;
	size_t		 tmp_hi;	/* bytes of the decode buffer used */
	hs_database_t	*internal;	/* internal names; NULL: none */
	unsigned	 nsuffixes;	/* its first patterns: hostnames */
};

/* The findings of one dlp_scan(): the caller's array, at most max. */
struct found {
	struct dlp_finding *v;
	size_t		 n, max;
	int		 overflow;
};

/* dlp.c: add f, merged with the findings it overlaps (their union, under
 * the most confident rule). */
void	dlp_add(struct found *fs, const struct dlp_finding *f);
/* dlp.c: scan buf; findings at [span_off, span_off + span_len) when
 * span_len is set (a decoded layer), else where they are. */
int	dlp_scan_layer(struct dlp *d, const uint8_t *buf, size_t len,
	    enum dlp_layer layer, size_t span_off, size_t span_len,
	    struct found *fs);

/* dlp_valid.c: the block of the private key whose header ends at *to in
 * buf: 1 and *to past its END line, or past the key material when the
 * block has no END in reach; 0 when no key material follows the header. */
int	dlp_pem_block(const uint8_t *buf, size_t len, size_t *to);

/* dlp_valid.c: 1 when the line around from is attribution (author,
 * copyright, licence, commit trailers): an address there is not data. */
int	dlp_pii_attribution(const uint8_t *buf, size_t len, size_t from);

/* dlp_valid.c: 1 when word (lower case) is within near bytes of the
 * match [from, to), in any case. */
int	dlp_near(const uint8_t *buf, size_t len, size_t from, size_t to,
	    const char *word, size_t near);

/* dlp_valid.c: the rules' validators, 1 when the match counts. */
int	dlp_valid_entropy_tail(const uint8_t *m, size_t n);
int	dlp_valid_tail_word(const uint8_t *m, size_t n);
int	dlp_valid_random(const uint8_t *m, size_t n);
int	dlp_valid_basic_auth(const uint8_t *m, size_t n);
int	dlp_valid_aws(const uint8_t *m, size_t n);
int	dlp_valid_entropy_value(const uint8_t *m, size_t n);
int	dlp_valid_url(const uint8_t *m, size_t n);
int	dlp_valid_email(const uint8_t *m, size_t n);
int	dlp_valid_luhn(const uint8_t *m, size_t n);
int	dlp_valid_iban(const uint8_t *m, size_t n);
/* dlp_valid.c: whether email's own pattern would end at end. */
int	dlp_local_part_ok(struct dlp *d, size_t end);

/* dlp_decode.c: base64 characters (either alphabet), which tokens run
 * on with; the escaped strings and the encoded runs of buf, decoded into
 * tmp (len + DLP_COPY_SLACK bytes) and scanned. */
int	dlp_b64_char(uint8_t c);
int	dlp_scan_escaped(struct dlp *d, const uint8_t *buf, size_t len,
	    uint8_t *tmp, struct found *fs);
int	dlp_scan_runs(struct dlp *d, const uint8_t *buf, size_t len,
	    uint8_t *tmp, struct found *fs);

/* dlp_internal.c: the internal names found in buf. */
int	dlp_scan_internal(struct dlp *d, const uint8_t *buf, size_t len,
	    struct found *fs);

#endif
