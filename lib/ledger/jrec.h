/*
 * A settlement journal record (jrec.c): exactly what the requests row
 * will hold -- token metadata, never content.
 *
 * Record, little-endian:
 *   u32 length of what follows the CRC | u32 CRC-32C of it |
 *   u64 seq | u8 confidential | i64 reserved, prompt, completion, cached,
 *   cost, started, finished, latency_us | str req_id, key_id, model,
 *   backend, status, receipt [, api]
 * where str is u32 length + bytes (receipt: length 0 for none).  Records
 * written before the client's API was kept end after the receipt: their
 * api is "".
 */
#ifndef CLOISTER_JREC_H
#define CLOISTER_JREC_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define JREC_RECEIPT_MAX	(64u * 1024)
#define JREC_MAX		(JREC_RECEIPT_MAX + 1024)

struct jrec {
	uint64_t	 seq;
	int		 confidential;	/* 0 .. LEDGER_CONF_MAX */
	int64_t		 reserved;
	struct ledger_usage usage;
	int64_t		 cost;
	int64_t		 started;
	int64_t		 finished;
	char		 req_id[LEDGER_ID_MAX];
	char		 key_id[LEDGER_ID_MAX];
	char		 model[LEDGER_MODEL_MAX];
	char		 backend[LEDGER_MODEL_MAX];
	char		 status[LEDGER_STATUS_MAX];
	char		 api[LEDGER_API_MAX];
	const char	*receipt;	/* NULL: none; not NUL-terminated when decoded */
	size_t		 receipt_len;
};

/* Bytes written to buf, or 0 when a field does not fit its limit. */
size_t	jrec_encode(const struct jrec *r, uint8_t *buf, size_t cap);

/* Write the length and checksum of the body_len bytes at buf + 8 into
 * buf's first 8 bytes (jrec_encode does; for tests and fuzzing). */
void	jrec_seal(uint8_t *buf, size_t body_len);

/*
 * One record from the start of buf.  0 and *used; CLOISTER_ERR_TRUNCATED
 * when buf ends inside it (a write cut short: the journal's end);
 * CLOISTER_ERR_BAD_FIELD for a bad checksum or field.  r->receipt points
 * into buf.
 */
int	jrec_decode(const uint8_t *buf, size_t len, struct jrec *r,
	    size_t *used);

#endif
