/*
 * NVIDIA reference integrity manifests (RIMs): ISO/IEC 19770-2 SWID tags
 * with TCG RIM attributes, signed with an enveloped XML digital signature
 * (ECDSA P-384, SHA-384, C14N 1.1) whose KeyInfo carries the signer's
 * chain.  They hold the golden SHA-384 values of the driver's or VBIOS's
 * measurement blocks.
 *
 * rim_parse() reads the document with the network and DTDs off, extracts
 * the version, the manufacturer ID, every measurement and the KeyInfo
 * chain, and checks the XML signature with the chain's first certificate.
 * A document that does not parse is an error; a signature that does not
 * verify is not (the caller reports it as its own step): it is recorded in
 * sig_code / sig_why.  Whether the chain leads to NVIDIA is the caller's
 * question (x509_chain_verify_ocsp against the pinned CoRIM root).
 */
#ifndef CLOISTER_RIM_H
#define CLOISTER_RIM_H

#include <stddef.h>
#include <stdint.h>

#include "x509.h"

#define RIM_XML_MAX		(1024 * 1024)
#define RIM_MEAS_MAX		256	/* resources per manifest */
#define RIM_INDEX_MAX		254	/* 0-based; SPDM blocks are 1..255 */
#define RIM_ALT_MAX		8	/* alternatives per measurement */
#define RIM_HASH_LEN		48	/* SHA-384 */
#define RIM_VERSION_MAX		64
#define RIM_ID_MAX		96
#define RIM_WHY_MAX		256

struct rim_measurement {
	uint16_t	index;		/* 0-based: SPDM block index + 1 */
	uint8_t		active;
	uint8_t		nalt;
	uint16_t	size;		/* bytes of each value */
	uint8_t		alt[RIM_ALT_MAX][RIM_HASH_LEN];
};

struct rim {
	char		 version[RIM_VERSION_MAX];	/* colloquialVersion */
	char		 product[RIM_VERSION_MAX];	/* Meta product */
	char		 manufacturer_id[RIM_VERSION_MAX];
	size_t		 nmeas;
	struct rim_measurement meas[RIM_MEAS_MAX];
	struct x509_chain *chain;	/* KeyInfo, signer first */
	uint8_t		 sha256[32];	/* of the document's bytes */
	int		 sig_code;	/* 0 when the XML signature holds */
	char		 sig_why[RIM_WHY_MAX];
};

/*
 * Parse xml (at most RIM_XML_MAX bytes) and check its signature.  *out is
 * the caller's (rim_free).  CLOISTER_ERR_BAD_XML with a reason when the
 * document is not a well-formed, DTD-free SWID RIM with one signature.
 */
int	rim_parse(const uint8_t *xml, size_t len, struct rim **out, char *why,
	    size_t whylen);
void	rim_free(struct rim *r);
/* libxml2 and xmlsec set up once per process (also for signing RIMs, in
 * sim_gpu.c); the last xmlsec error of this thread, for messages. */
int	rim_xmlsec_init(void);
const char *rim_xmlsec_last(void);

/* The measurement with this 0-based index, or NULL. */
const struct rim_measurement *rim_find(const struct rim *r, unsigned index);

#endif
