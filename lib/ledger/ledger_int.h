/*
 * Inside the ledger: its SQLite connection, for the read-only queries of
 * ledger_query.c (same thread as every other ledger call).
 */
#ifndef CLOISTER_LEDGER_INT_H
#define CLOISTER_LEDGER_INT_H

#include <sqlite3.h>

#include "ledger.h"

sqlite3	*ledger_db(struct ledger *l);
/* Column col of a row as text into out (truncated; "" for NULL). */
void	ledger_copy_col(sqlite3_stmt *p, int col, char *out, size_t cap);

#endif
