/*
 * What evidence_verify.c (the checks) and evidence_bundle.c (reading the
 * bundle) share.  Nothing outside lib/evidence includes it.
 */
#ifndef CLOISTER_EVIDENCE_INT_H
#define CLOISTER_EVIDENCE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cloister/evidence.h"

/* The decoded bundle; pointers into the jansson tree or malloc'd. */
struct bundle {
	json_t		*root;
	const char	*evidence;	/* exact signed bytes */
	size_t		 evidence_len;
	uint8_t		 sig[64];
	json_t		*ev;
	int		 simulated;
	const char	*provider;
	int64_t		 created;
	uint8_t		 pub[64];
	uint8_t		 config[32];
	uint8_t		 nonce[CLOISTER_EVIDENCE_NONCE_MAX];
	size_t		 nonce_len;
	int		 has_nonce;
	uint8_t		 report_data[64];
	uint8_t		 gpu_sha384[48];
	int		 has_gpu_sha384;
	uint8_t		 tls_spki[32];	/* format /2: the attested TLS key */
	int		 has_tls;
	uint8_t		*quote;
	size_t		 quote_len;
	json_t		*collateral;	/* object or NULL */
	json_t		*gpu;		/* object or NULL */
	uint8_t		*gpu_report;
	size_t		 gpu_report_len;
	uint8_t		 gpu_nonce[32];
	const char	*gpu_chain;
	size_t		 gpu_chain_len;
	const char	*gpu_status;
	json_t		*rtmr3_events;	/* checked array, or NULL: none */
};

/* Parse the len bytes at buf (at most 16 MiB) into *b, which must be
 * zeroed; free it with evidence_bundle_free whatever the result.  why
 * names the field at fault. */
int	evidence_bundle_parse(const uint8_t *buf, size_t len, struct bundle *b,
	    char *why, size_t whylen);
void	evidence_bundle_free(struct bundle *b);
/* The bundle's collateral as a new set (*out NULL when it has none). */
int	evidence_bundle_collateral(struct bundle *b,
	    struct cloister_collateral **out, char *why, size_t whylen);
/* The bundle's RIMs and OCSP responses as new GPU references; *out is
 * the caller's to free even on failure. */
int	evidence_bundle_gpu_refs(struct bundle *b,
	    struct cloister_gpu_refs **out, char *why, size_t whylen);

#endif
