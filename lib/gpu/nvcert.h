/*
 * What an NVIDIA GPU's device certificates say about the GPU: the FWID
 * (SHA-384 of the firmware) its leaf certifies, to be compared with the
 * FWID inside the attestation report.
 */
#ifndef CLOISTER_NVCERT_H
#define CLOISTER_NVCERT_H

#include <stddef.h>
#include <stdint.h>

#include "x509.h"

#define NVCERT_FWID_LEN		48
#define NVCERT_OID_HOPPER	"2.23.133.5.4.1"	/* TCG DICE */
#define NVCERT_OID_TCBINFO	"2.23.133.5.4.1.1"	/* DiceTcbInfo */

/*
 * Hopper: {version INTEGER, SubjectPublicKeyInfo, FWID {hashAlg, digest}}
 * under 2.23.133.5.4.1.  Blackwell: DiceTcbInfo under 2.23.133.5.4.1.1,
 * fwids [6] first entry.  Only SHA-384 digests are accepted.
 */
int	nvcert_fwid_parse_hopper(const uint8_t *der, size_t len,
	    uint8_t out[NVCERT_FWID_LEN]);
int	nvcert_fwid_parse_tcbinfo(const uint8_t *der, size_t len,
	    uint8_t out[NVCERT_FWID_LEN]);
/* The leaf's FWID, from whichever extension it carries. */
int	nvcert_fwid(const struct x509_cert *leaf, uint8_t out[NVCERT_FWID_LEN]);

#endif
