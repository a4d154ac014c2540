/*
 * The server name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3),
 * read from the first bytes a workspace sends through a CONNECT tunnel,
 * so that "CONNECT allowed.example" cannot carry TLS to another name.
 * The whole ClientHello must sit in the first record (TLS allows it to
 * span records; no client this proxy serves does, and a hello it cannot
 * read is refused, never passed).
 */
#ifndef CLOISTER_EGRESS_SNI_H
#define CLOISTER_EGRESS_SNI_H

#include <stddef.h>
#include <stdint.h>

#define EGRESS_TLS_HEADER	5
#define EGRESS_TLS_RECORD_MAX	16384	/* a plaintext record */
#define EGRESS_SNI_MAX		253

/*
 * The host_name of the ClientHello that starts buf, into sni (NUL-ended,
 * "" when the hello names none).  0 when read; CLOISTER_ERR_TRUNCATED
 * when the first record has not all come yet; CLOISTER_ERR_BAD_FIELD
 * when the bytes are not one ClientHello in one handshake record, when a
 * length disagrees with what holds it, when the extension is sent twice
 * or names anything but one DNS host name.
 */
int	egress_sni_parse(const uint8_t *buf, size_t len,
	    char sni[EGRESS_SNI_MAX + 1]);

#endif
