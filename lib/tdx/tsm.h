/*
 * TDX quote collection inside a trust domain.
 *
 * Two paths, newest first:
 *  - configfs-tsm (Linux 6.7+, Documentation/ABI/testing/configfs-tsm):
 *    an entry under /sys/kernel/config/tsm/report takes 64 bytes of
 *    inblob and answers a quote in outblob;
 *  - older kernels: /dev/tdx_guest gives the 1024-byte TDREPORT
 *    (TDX_CMD_GET_REPORT0) and Intel's Quote Generation Service on the
 *    host turns it into a quote over vsock (CID 2, port 4050), speaking
 *    the qgs_msg protocol of Intel's DCAP QuoteGeneration/quote_wrapper.
 *
 * Every function clears its out-params on entry, returns 0 or a
 * cloister_err, and on failure writes a readable reason into why (which
 * may be NULL).  A quote handed back is malloc'd and owned by the caller
 * (free()); the collectors check its framing only, never its contents:
 * verification is dcap.c's job.
 */
#ifndef CLOISTER_TSM_H
#define CLOISTER_TSM_H

#include <stddef.h>
#include <stdint.h>

#define TSM_REPORT_ROOT		"/sys/kernel/config/tsm/report"
#define TDX_GUEST_DEV		"/dev/tdx_guest"
#define TSM_PROVIDER_TDX	"tdx_guest"
#define TSM_INBLOB_LEN		64
#define TSM_OUTBLOB_MAX		(64u * 1024)	/* the kernel's is 32 KiB */
#define TSM_ATTR_MAX		64	/* provider, generation */

/* 1 when root is a directory we can create entries in, else 0. */
int	tsm_available(const char *root);

/*
 * A quote over inblob through configfs-tsm at root (TSM_REPORT_ROOT in
 * production).  The entry we create is removed on every path.  Fails
 * with CLOISTER_ERR_NOT_AVAILABLE when root does not exist, and refuses
 * a provider other than tdx_guest, an empty outblob, and any generation
 * that shows another writer used the entry.
 */
int	tsm_tdx_quote(const char *root, const uint8_t inblob[TSM_INBLOB_LEN],
	    uint8_t **quote, size_t *len, char *why, size_t whylen);

/*
 * The same through dev (TDX_GUEST_DEV) and the host's QGS over vsock.
 * CLOISTER_ERR_NOT_AVAILABLE when dev does not exist or no QGS answers
 * the connection.
 */
int	tdx_guest_quote(const char *dev, const uint8_t inblob[TSM_INBLOB_LEN],
	    uint8_t **quote, size_t *len, char *why, size_t whylen);

/*
 * The steps of tdx_guest_quote(), for tests and for callers that reach
 * the QGS another way.
 *
 * Wire format (qgs_msg_lib.h): each message travels after a 4-byte
 * big-endian length; the message itself is packed little-endian:
 *   header   u16 major_version (1), u16 minor_version, u32 type,
 *            u32 size (the whole message, header included), u32 error_code
 *   request  header (type 0 GET_QUOTE_REQ), u32 report_size (1024),
 *            u32 id_list_size (0), report
 *   response header (type 1 GET_QUOTE_RESP), u32 selected_id_size,
 *            u32 quote_size, selected id, quote
 */
#define TDX_REPORT_LEN		1024
#define QGS_VSOCK_CID		2	/* VMADDR_CID_HOST */
#define QGS_VSOCK_PORT		4050
#define QGS_TIMEOUT_S		60	/* a quote can take the host seconds */
#define QGS_PREFIX_LEN		4
#define QGS_HEADER_LEN		16
#define QGS_MAJOR		1
#define QGS_MINOR		0
#define QGS_GET_QUOTE_REQ	0
#define QGS_GET_QUOTE_RESP	1
#define QGS_BODY_LEN		8	/* the two u32 sizes after the header */
#define QGS_REQ_LEN		(QGS_HEADER_LEN + QGS_BODY_LEN + TDX_REPORT_LEN)
#define QGS_FRAMED_REQ_LEN	(QGS_PREFIX_LEN + QGS_REQ_LEN)
#define QGS_ID_MAX		16	/* an attestation key id is a UUID */
#define QGS_QUOTE_MAX		TSM_OUTBLOB_MAX
#define QGS_RESP_MAX \
	(QGS_HEADER_LEN + QGS_BODY_LEN + QGS_ID_MAX + QGS_QUOTE_MAX)

/* The TDREPORT over inblob from dev's TDX_CMD_GET_REPORT0 ioctl. */
int	tdx_guest_report(const char *dev, const uint8_t inblob[TSM_INBLOB_LEN],
	    uint8_t report[TDX_REPORT_LEN], char *why, size_t whylen);

/* The length-prefixed GET_QUOTE_REQ for report, ready to send. */
void	qgs_encode_quote_req(const uint8_t report[TDX_REPORT_LEN],
	    uint8_t out[QGS_FRAMED_REQ_LEN]);

/*
 * Decode one GET_QUOTE_RESP message (without its length prefix) strictly:
 * version 1, the response type, header size == len, error_code 0, the
 * two sizes adding up to the message, a quote of 1..QGS_QUOTE_MAX bytes.
 * *quote is a view into msg and lives as long as msg does.
 */
int	qgs_decode_quote_resp(const uint8_t *msg, size_t len,
	    const uint8_t **quote, size_t *quote_len, char *why,
	    size_t whylen);

/*
 * Send the request for report on fd, a connected stream to a QGS (vsock
 * in production, one end of a socketpair in tests), and read back the
 * quote.  fd stays open; the caller closes it.
 */
int	qgs_get_quote(int fd, const uint8_t report[TDX_REPORT_LEN],
	    uint8_t **quote, size_t *len, char *why, size_t whylen);

/* A stream connected to the QGS at vsock cid:port, with timeouts set. */
int	qgs_connect_vsock(unsigned cid, unsigned port, int *fd, char *why,
	    size_t whylen);

#endif
