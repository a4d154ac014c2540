/*
 * The settlement journal (ledger_journal.c): how the gateway makes a
 * request's charge durable with one write(2), and how a journal left by
 * a crash is read back.  Its records (jrec.h) hold exactly what the
 * requests row will hold -- token metadata, never content.
 */
#ifndef CLOISTER_LEDGER_JOURNAL_H
#define CLOISTER_LEDGER_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "jrec.h"
#include "ledger.h"

/* The requests row, as jrec_bind binds it (one place for both the
 * journal's applier and a direct settlement). */
#define JREC_INSERT_COLS "(id, key_id, model, backend, confidential, " \
    "reserved, prompt_tokens, completion_tokens, cached_tokens, cost, " \
    "status, started, finished, receipt_sha256, receipt, latency_us, " \
    "api) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

struct sqlite3_stmt;
/* Bind r to an INSERT ... JREC_INSERT_COLS; r must outlive the step. */
void	jrec_bind(struct sqlite3_stmt *st, const struct jrec *r);

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

/*
 * Where a server's records go: apply puts records (seq order) in the
 * database in one transaction, skipping those at or below what it holds,
 * and sets *applied to its new mark; close (may be NULL) ends arg.  Both
 * run on the applier thread (apply) or after it stopped (close).
 */
struct journal_sink {
	int	(*apply)(void *arg, const struct jrec *q, size_t n,
		    uint64_t *applied, char *why, size_t whylen);
	void	(*close)(void *arg);
	void	*arg;
};
/* A server's journal in prefix.journal.{0,1} applied through sink,
 * whose database holds every record up to applied.  What a crash left
 * is applied before it returns; sink is the journal's from the call on,
 * even when it fails. */
int	journal_open_sink(const char *prefix, const struct journal_sink *sink,
	    uint64_t applied, struct journal **out, char *why, size_t whylen);
void	journal_close(struct journal *j);
/* Durable (in the file) when it returns 0; r->seq is set.  The gateway's
 * thread only. */
int	journal_append(struct journal *j, struct jrec *r);
/* 1 when more settlements wait than the journal keeps without applying
 * them (the database has been failing): admit no new request. */
int	journal_behind(struct journal *j);
/* The last seq the database holds; every record up to it is applied. */
uint64_t journal_applied(struct journal *j);
/* Wait (up to a few seconds) until the database holds every record
 * appended so far: before reading what settling changed. */
void	journal_flush(struct journal *j);

#endif
