/*
 * The settlement journal (ledger_journal.c): how the gateway makes a
 * request's charge durable with one write(2), and how a journal left by
 * a crash is read back.  A record holds exactly what the requests row
 * will hold -- token metadata, never content.
 *
 * Record, little-endian:
 *   u32 length of what follows the CRC | u32 CRC-32C of it |
 *   u64 seq | u8 confidential | i64 reserved, prompt, completion, cached,
 *   cost, started, finished, latency_us | str req_id, key_id, model,
 *   backend, status, receipt
 * where str is u32 length + bytes (receipt: length 0 for none).
 */
#ifndef CLOISTER_LEDGER_JOURNAL_H
#define CLOISTER_LEDGER_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define JREC_RECEIPT_MAX	(64u * 1024)
#define JREC_MAX		(JREC_RECEIPT_MAX + 1024)

struct jrec {
	uint64_t	 seq;
	int		 confidential;
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
	const char	*receipt;	/* NULL: none; not NUL-terminated when decoded */
	size_t		 receipt_len;
};

/* The requests row, as jrec_bind binds it (one place for both the
 * journal's applier and a direct settlement). */
#define JREC_INSERT_COLS "(id, key_id, model, backend, confidential, " \
    "reserved, prompt_tokens, completion_tokens, cached_tokens, cost, " \
    "status, started, finished, receipt_sha256, receipt, latency_us) " \
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

struct sqlite3_stmt;
/* Bind r to an INSERT ... JREC_INSERT_COLS; r must outlive the step. */
void	jrec_bind(struct sqlite3_stmt *st, const struct jrec *r);

/* Bytes written to buf, or 0 when a field does not fit its limit. */
size_t	jrec_encode(const struct jrec *r, uint8_t *buf, size_t cap);

/* Write the length and checksum of the body_len bytes at buf + 8 into
 * buf's first 8 bytes (jrec_encode does; for tests and fuzzing). */
void	jrec_seal(uint8_t *buf, size_t body_len);

/*
 * One record from the start of buf.  0 and *used; CLOISTER_ERR_TRUNCATED
 * when buf ends inside it (a write cut short: the journal's end);
 * CLOISTER_ERR_MALFORMED for a bad checksum or field.  r->receipt points
 * into buf.
 */
int	jrec_decode(const uint8_t *buf, size_t len, struct jrec *r,
	    size_t *used);

/*
 * The journal of a ledger opened by the server: it holds an exclusive
 * lock on the files while open (a second server is refused), applies what
 * a crash left before returning, and runs a thread that applies what
 * journal_append writes to the database at most JOURNAL_APPLY_MS later.
 * Opened by anyone else, it only applies what a stopped server left
 * (nothing when a server is running) and *out stays NULL.
 */
struct journal;
struct sqlite3;

int	journal_open(const char *dbpath, struct sqlite3 *db, int server,
	    struct journal **out, char *why, size_t whylen);
void	journal_close(struct journal *j);
/* Durable (in the file) when it returns 0; r->seq is set.  The gateway's
 * thread only. */
int	journal_append(struct journal *j, struct jrec *r);
/* The last seq the database holds; every record up to it is applied. */
uint64_t journal_applied(struct journal *j);
/* Wait (up to a few seconds) until the database holds every record
 * appended so far: before reading what settling changed. */
void	journal_flush(struct journal *j);

#endif
