/*
 * The Intel SGX extension of PCK certificates (pck_ext.c): the platform
 * facts a PCK leaf carries (FMSPC, PCE-ID, TCB components, PCESVN) and
 * which PCK CA issued it.  Decoded with the bounded reader, apart from
 * x509.c: OpenSSL only finds the extension's bytes.
 */
#ifndef CLOISTER_PCK_EXT_H
#define CLOISTER_PCK_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "x509.h"

/*
 * The Intel SGX extension (OID 1.2.840.113741.1.13.1) of a PCK leaf,
 * walked as DER with the bounded reader.  CLOISTER_ERR_BAD_PCK_EXT if it
 * is missing, malformed, or lacks FMSPC, PCE-ID, PCESVN or the 16
 * component SVNs.
 */
enum pck_ca {
	PCK_CA_UNKNOWN = 0,
	PCK_CA_PLATFORM,
	PCK_CA_PROCESSOR,
};

struct pck_ext {
	uint8_t		ppid[16];
	uint8_t		comp_svn[16];	/* .2.1 to .2.16 */
	uint16_t	pcesvn;		/* .2.17 */
	uint8_t		cpusvn[16];	/* .2.18 */
	uint8_t		pceid[2];	/* .3 */
	uint8_t		fmspc[6];	/* .4 */
	int		sgx_type;	/* .5 (0 standard, 1 scalable, ...) */
	enum pck_ca	ca;		/* from the issuer's CN */
};

int	x509_pck_ext(const struct x509_cert *leaf, struct pck_ext *out);
/* The same parse over raw extension value bytes (for fuzzing). */
int	x509_pck_ext_parse(const uint8_t *der, size_t len, struct pck_ext *out);

#endif
