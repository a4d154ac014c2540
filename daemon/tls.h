/*
 * The gateway's TLS (tls.c): the operator's certificate and key from
 * files, or an attested key made at start whose certificate carries the
 * start-up evidence.  The context, the key and its SPKI digest live in
 * struct gw (gateway.h); gw_tls_free() releases them.
 */
#ifndef CLOISTER_TLS_H
#define CLOISTER_TLS_H

#include <stddef.h>

struct gw;

/* The attested key's certificate carries the start-up evidence bundle in
 * this extension (an OID in the UUID arc, docs/FORMATS.md §12). */
#define GW_TLS_EVIDENCE_OID	"2.25.294609445972049847500568966082534628684"

int	gw_tls_files(struct gw *gw, char *why, size_t whylen);
/* Make the attested key (before the evidence), then its certificate
 * (after). */
int	gw_tls_key(struct gw *gw, char *why, size_t whylen);
int	gw_tls_attested(struct gw *gw, char *why, size_t whylen);
void	gw_tls_free(struct gw *gw);

#endif
