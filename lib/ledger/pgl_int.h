/*
 * Inside the PostgreSQL ledger, shared by pgl.c and pgl_hold.c.  Nothing
 * outside lib/ledger includes it.
 */
#ifndef CLOISTER_PGL_INT_H
#define CLOISTER_PGL_INT_H

#include <stdint.h>

#include "pgl.h"

struct pgl {
	struct pg_conn	*conn;
	char		 replica[PGL_REPLICA_MAX];
	_Atomic uint64_t unbilled;
	char		 failed[256];	/* why the last settlement failed */
};

/* Run prepared statement s with n text parameters (len and fmt NULL, or
 * per parameter: binary ones have fmt 1 and their length).  0 and *out
 * (the caller's, PQclear) on success; CLOISTER_ERR_INVALID_ARG for an
 * integrity violation (a CHECK, a duplicate key), CLOISTER_ERR_DB for
 * anything else. */
int	pgl_exec(struct pgl *p, enum pgl_stmt s, int n,
	    const char *const *v, const int *len, const int *fmt,
	    struct pg_result **out);
/* The same, the result's columns in binary when binary is 1. */
int	pgl_exec_as(struct pgl *p, enum pgl_stmt s, int n,
	    const char *const *v, const int *len, const int *fmt, int binary,
	    struct pg_result **out);
/* A statement's name on the connection. */
const char *pgl_stmt_name(enum pgl_stmt s);
/* A failed result as one of the codes above. */
int	pgl_classify(const struct pg_result *res);
/* Column col of row as text into out (truncated; "" for NULL). */
void	pgl_col(const struct pg_result *res, int row, int col, char *out,
	    size_t cap);
/* A key's columns (KEY_COLS in pgl.c) from column col on. */
void	pgl_read_key(const struct pg_result *res, int row, int col,
	    struct ledger_key *k);
/* Column col of row as an integer (0 for NULL). */
int64_t	pgl_int(const struct pg_result *res, int row, int col);
/* One unprepared statement whose result is not wanted (BEGIN, the
 * schema): 0 or CLOISTER_ERR_DB. */
int	pgl_exec_sql(struct pgl *p, const char *sql);
/* Prepare every statement on p's connection. */
int	pgl_prepare(struct pgl *p);

#endif
