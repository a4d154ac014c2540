/*
 * The gateway's PostgreSQL connection on its loop (pgloop.h).
 *
 * Every statement goes out in pipeline mode followed by a sync, and is an
 * op in a FIFO: PostgreSQL answers in order, so the results that arrive
 * belong to the op at the head until its sync result pops it.  Ops:
 *   setup    the statements prepared, LISTEN, the keys read (after each
 *            connect)
 *   hold     one reserve; its callback gets the outcome at the sync
 *   release  a hold let go
 *   renew    the lease, on the database's clock
 *   reap     holds of replicas whose lease ended a lease ago
 *   keys     the keys again, after a NOTIFY
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cloister/error.h"
#include "grow.h"
#include "pgl.h"
#include "pgloop.h"
#include "util.h"

#define RETRY_MIN_MS	200
#define RETRY_MAX_MS	5000
#define UNCERTAIN_MAX	4096	/* holds to release after a reconnect */
#define TICK_MS		1000
/* PostgreSQL silent this long with a statement waiting, or a connect
 * this long unfinished: the connection is given up (a black-holed
 * network answers nothing, and libpq would wait for ever). */
#define ANSWER_TIMEOUT_MS	5000
#define CONNECT_TIMEOUT_MS	5000

enum state { DOWN, CONNECTING, READY };
enum op_kind { OP_SETUP, OP_HOLD, OP_RELEASE, OP_RENEW, OP_REAP, OP_KEYS };

struct op {
	struct op	*next;
	enum op_kind	 kind;
	int		 failed;	/* a result said so */
	int		 rc;		/* hold: the outcome */
	pgloop_hold_fn	 fn;
	void		*arg;
	uint64_t	 sent_ms;
	char		 req_id[LEDGER_ID_MAX];
};

struct pgloop {
	struct event_base *base;
	struct ledger	*l;
	char		*dsn;
	char		 replica[PGL_REPLICA_MAX];
	int64_t		 lease_ms;
	int64_t		 epoch;
	struct pgl	*p;		/* holds the connection */
	PGconn		*conn;
	enum state	 state;
	struct event	*io;		/* connecting: one wait at a time */
	struct event	*rd, *wr;	/* connected: readable (always),
					 * writable (while output waits) */
	struct event	*retry, *tick;
	unsigned	 retry_ms;
	struct op	*head, *tail;
	int		 keys_inflight, keys_again;
	uint64_t	 lease_ok_ms;	/* admit until (monotonic) */
	uint64_t	 last_renew_ms, last_reap_ms;
	uint64_t	 connect_ms;	/* when connecting began */
	int		 fenced;
	int		 told_down;
	char		(*uncertain)[LEDGER_ID_MAX];
	size_t		 nunc, capunc;
	uint64_t	 failures;
};

static void	on_io(evutil_socket_t, short, void *);
static void	broken(struct pgloop *, const char *);

static uint64_t
now_ms(void)
{
	return util_now_ns() / 1000000u;
}

/* The lease as this replica may still count on it: renewed at t, it is
 * the database's until t + lease; a fifth of it is kept as margin. */
static void
lease_renewed(struct pgloop *pl, uint64_t t)
{
	pl->lease_ok_ms = t + (uint64_t)pl->lease_ms -
	    (uint64_t)pl->lease_ms / 5;
}

/* While connecting, wait on the socket for what -- always anew: libpq
 * may close its socket and open another under the same number (falling
 * back from GSS or SSL), which epoll forgot. */
static void
set_io(struct pgloop *pl, short what)
{
	evutil_socket_t fd = PQsocket(pl->conn);

	if (pl->io != NULL)
		event_free(pl->io);
	pl->io = NULL;
	if (fd < 0)
		return;
	if ((pl->io = event_new(pl->base, fd, what, on_io, pl)) == NULL ||
	    event_add(pl->io, NULL) != 0)
		broken(pl, "out of memory");
}

/* Output waits: write it when the socket takes it, from the loop --
 * never from inside a caller's pgloop_hold. */
static void
want_write(struct pgloop *pl)
{
	if (pl->wr != NULL && event_add(pl->wr, NULL) != 0)
		broken(pl, "out of memory");
}

static void
push(struct pgloop *pl, struct op *op)
{
	op->next = NULL;
	if (pl->tail != NULL)
		pl->tail->next = op;
	else
		pl->head = op;
	pl->tail = op;
}

static void
flush(struct pgloop *pl)
{
	int r = PQflush(pl->conn);

	if (r < 0)
		broken(pl, PQerrorMessage(pl->conn));
	else if (r == 1)
		want_write(pl);
}

static void
remember_uncertain(struct pgloop *pl, const char *req_id)
{
	if (pl->nunc >= UNCERTAIN_MAX) {
		fprintf(stderr, "cloister: ledger: %d holds wait to be "
		    "released; %s stays held until this replica restarts\n",
		    UNCERTAIN_MAX, req_id);
		return;
	}
	if (grow_array(&pl->uncertain, &pl->capunc, pl->nunc + 1,
	    sizeof(*pl->uncertain), 64, 0) != 0)
		return;
	snprintf(pl->uncertain[pl->nunc++], LEDGER_ID_MAX, "%s", req_id);
}

/* Queue statement s and its sync as op (freed here on failure). */
static int
send_op(struct pgloop *pl, struct op *op, enum pgl_stmt s, int n,
    const char *const *v)
{
	if (pgl_send(pl->p, s, n, v) != 0 || PQpipelineSync(pl->conn) != 1) {
		free(op);
		broken(pl, PQerrorMessage(pl->conn));
		return CLOISTER_ERR_DB;
	}
	push(pl, op);
	return 0;
}

static struct op *
new_op(enum op_kind kind)
{
	struct op *op = calloc(1, sizeof(*op));

	if (op != NULL) {
		op->kind = kind;
		op->sent_ms = now_ms();
	}
	return op;
}

static void
send_release(struct pgloop *pl, const char *req_id)
{
	struct op *op = new_op(OP_RELEASE);
	const char *v[1] = { req_id };

	if (op == NULL)
		return;
	snprintf(op->req_id, sizeof(op->req_id), "%s", req_id);
	(void)send_op(pl, op, PGL_RELEASE, 1, v);
}

static void
send_keys(struct pgloop *pl)
{
	struct op *op;

	if (pl->keys_inflight) {
		pl->keys_again = 1;
		return;
	}
	if ((op = new_op(OP_KEYS)) == NULL)
		return;
	pl->keys_inflight = 1;
	pl->keys_again = 0;
	(void)send_op(pl, op, PGL_KEY_CACHE, 0, NULL);
}

/* ---- connecting --------------------------------------------------------- */

static void
schedule_retry(struct pgloop *pl)
{
	struct timeval tv;

	tv.tv_sec = pl->retry_ms / 1000;
	tv.tv_usec = (pl->retry_ms % 1000) * 1000;
	event_add(pl->retry, &tv);
	pl->retry_ms = pl->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
	    pl->retry_ms * 2;
}

static void
connect_start(struct pgloop *pl)
{
	/* p owns it from here: broken() finishes it */
	pgl_adopt(pl->p, pl->conn = pgl_connect_start(pl->dsn));
	if (pl->conn == NULL || PQstatus(pl->conn) == CONNECTION_BAD) {
		broken(pl, pl->conn != NULL ? PQerrorMessage(pl->conn) :
		    "out of memory");
		return;
	}
	pl->state = CONNECTING;
	pl->connect_ms = now_ms();
	set_io(pl, EV_WRITE);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_start(arg);
}

/* Connected: pipeline mode, the statements, LISTEN, the keys; then the
 * holds a break left uncertain, released. */
static void
connected(struct pgloop *pl)
{
	struct op *op;
	size_t i, n;

	if (PQsetnonblocking(pl->conn, 1) != 0 ||
	    PQenterPipelineMode(pl->conn) != 1 ||
	    pgl_send_prepares(pl->p) < 0 ||
	    PQsendQueryParams(pl->conn, "LISTEN " PGL_NOTIFY_CHANNEL, 0, NULL,
	    NULL, NULL, NULL, 0) != 1 ||
	    pgl_send(pl->p, PGL_KEY_CACHE, 0, NULL) != 0 ||
	    PQpipelineSync(pl->conn) != 1 || (op = new_op(OP_SETUP)) == NULL) {
		broken(pl, PQerrorMessage(pl->conn));
		return;
	}
	if (pl->io != NULL)
		event_free(pl->io);
	pl->io = NULL;
	if ((pl->rd = event_new(pl->base, PQsocket(pl->conn), EV_READ |
	    EV_PERSIST, on_io, pl)) == NULL || (pl->wr = event_new(pl->base,
	    PQsocket(pl->conn), EV_WRITE, on_io, pl)) == NULL ||
	    event_add(pl->rd, NULL) != 0) {
		free(op);
		broken(pl, "out of memory");
		return;
	}
	pl->state = READY;
	ledger_pg_reachable(pl->l, 1);
	push(pl, op);
	pl->keys_inflight = 1;
	/* Taken off the list as they are queued; should the connection
	 * break meanwhile, broken() lists the queued ones again and those
	 * not sent yet move up behind them (never ahead: fewer were
	 * queued than taken). */
	n = pl->nunc;
	pl->nunc = 0;
	for (i = 0; i < n && pl->state == READY; i++)
		send_release(pl, pl->uncertain[i]);
	if (i < n) {
		memmove(pl->uncertain + pl->nunc, pl->uncertain + i,
		    (n - i) * sizeof(*pl->uncertain));
		pl->nunc += n - i;
	}
	if (pl->state == READY)
		flush(pl);
	if (pl->state == READY && pl->told_down) {
		fprintf(stderr, "cloister: ledger: PostgreSQL reachable "
		    "again\n");
		pl->told_down = 0;
	}
	pl->retry_ms = RETRY_MIN_MS;
}

/* ---- results ------------------------------------------------------------ */

static void
op_result(struct pgloop *pl, struct op *op, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	int64_t n = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		op->failed = 1;
	switch (op->kind) {
	case OP_SETUP:
	case OP_KEYS:
		if (st == PGRES_TUPLES_OK &&
		    ledger_pg_keys_set(pl->l, res) != 0)
			op->failed = 1;
		break;
	case OP_HOLD:
		op->rc = pgl_reserve_result(res);
		break;
	case OP_RENEW:
		if (st != PGRES_TUPLES_OK)
			break;
		if (PQntuples(res) == 1)
			lease_renewed(pl, op->sent_ms);
		else if (!pl->fenced) {
			pl->fenced = 1;
			fprintf(stderr, "cloister: ledger: another process "
			    "registered as this replica: admitting nothing "
			    "more (restart it under its own replica id)\n");
		}
		break;
	case OP_REAP:
		for (int i = 0; st == PGRES_TUPLES_OK && i < PQntuples(res);
		    i++)
			n += strtoll(PQgetvalue(res, i, 0), NULL, 10);
		if (n > 0)
			fprintf(stderr, "cloister: ledger: released %lld holds "
			    "of replicas whose lease ended\n", (long long)n);
		break;
	case OP_RELEASE:
		break;
	}
}

/* Its sync came: the op is done. */
static void
op_done(struct pgloop *pl, struct op *op)
{
	switch (op->kind) {
	case OP_SETUP:
	case OP_KEYS:
		pl->keys_inflight = 0;
		if (op->failed)
			fprintf(stderr, "cloister: ledger: cannot read the "
			    "keys from PostgreSQL: %s", PQerrorMessage(
			    pl->conn));
		else if (pl->keys_again)
			send_keys(pl);
		break;
	case OP_HOLD:
		if (op->rc == CLOISTER_ERR_DB)
			pl->failures++;
		op->fn(op->arg, op->rc);
		break;
	default:
		break;
	}
	free(op);
}

static void
process(struct pgloop *pl)
{
	PGresult *res;
	PGnotify *n;
	struct op *op;
	int nulls = 0, keys = 0;

	while (pl->state == READY && pl->head != NULL &&
	    !PQisBusy(pl->conn)) {
		if ((res = PQgetResult(pl->conn)) == NULL) {
			/* the end of one statement's results */
			if (++nulls > 1)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			op = pl->head;
			if ((pl->head = op->next) == NULL)
				pl->tail = NULL;
			PQclear(res);
			op_done(pl, op);
			continue;
		}
		op_result(pl, pl->head, res);
		PQclear(res);
	}
	while (pl->state == READY && (n = PQnotifies(pl->conn)) != NULL) {
		PQfreemem(n);
		keys = 1;
	}
	if (keys && pl->state == READY)
		send_keys(pl);
	if (pl->state == READY)
		flush(pl);
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	struct pgloop *pl = arg;

	(void)fd;
	if (pl->state == CONNECTING) {
		switch (PQconnectPoll(pl->conn)) {
		case PGRES_POLLING_READING:
			set_io(pl, EV_READ);
			break;
		case PGRES_POLLING_WRITING:
			set_io(pl, EV_WRITE);
			break;
		case PGRES_POLLING_OK:
			connected(pl);
			break;
		default:
			broken(pl, PQerrorMessage(pl->conn));
		}
		return;
	}
	if (pl->state != READY)
		return;
	if ((what & EV_READ) && PQconsumeInput(pl->conn) != 1) {
		broken(pl, PQerrorMessage(pl->conn));
		return;
	}
	process(pl);
}

/*
 * The connection is gone (or never came): every waiting op ends now,
 * holds with CLOISTER_ERR_DB -- and, since the database may have taken
 * them before the break, their ids are kept to be released on the next
 * connection.  Callbacks run after the state is clean: they may ask for
 * more (and be refused).
 */
static void
broken(struct pgloop *pl, const char *msg)
{
	struct op *ops = pl->head, *op;
	size_t k = strcspn(msg != NULL ? msg : "", "\n");

	if (!pl->told_down)
		fprintf(stderr, "cloister: ledger: PostgreSQL: %.*s; no new "
		    "holds until it is back\n", (int)k, msg != NULL ? msg :
		    "");
	pl->told_down = 1;
	pl->head = pl->tail = NULL;
	pl->keys_inflight = 0;
	if (pl->io != NULL)
		event_free(pl->io);
	if (pl->rd != NULL)
		event_free(pl->rd);
	if (pl->wr != NULL)
		event_free(pl->wr);
	pl->io = pl->rd = pl->wr = NULL;
	pgl_adopt(pl->p, NULL);		/* PQfinish */
	pl->conn = NULL;
	pl->state = DOWN;
	ledger_pg_reachable(pl->l, 0);
	if (pl->retry != NULL)
		schedule_retry(pl);
	while ((op = ops) != NULL) {
		ops = op->next;
		if (op->kind == OP_HOLD || op->kind == OP_RELEASE)
			remember_uncertain(pl, op->req_id);
		if (op->kind == OP_HOLD) {
			pl->failures++;
			op->fn(op->arg, CLOISTER_ERR_DB);
		}
		free(op);
	}
}

/* ---- the lease ---------------------------------------------------------- */

/* The watchdog: a connect or an answer that takes too long. */
static int
stalled(struct pgloop *pl, uint64_t t)
{
	if (pl->state == CONNECTING && t - pl->connect_ms > CONNECT_TIMEOUT_MS) {
		broken(pl, "connecting timed out");
		return 1;
	}
	if (pl->state == READY && pl->head != NULL &&
	    t - pl->head->sent_ms > ANSWER_TIMEOUT_MS) {
		broken(pl, "no answer for 5 s");
		return 1;
	}
	return 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct pgloop *pl = arg;
	char e[24], lease[24], grace[24];
	const char *v[3] = { pl->replica, e, lease };
	struct op *op;
	uint64_t t = now_ms();

	(void)fd;
	(void)what;
	if (stalled(pl, t) || pl->state != READY || pl->fenced)
		return;
	if (t - pl->last_renew_ms >= (uint64_t)pl->lease_ms / 3) {
		pl->last_renew_ms = t;
		snprintf(e, sizeof(e), "%lld", (long long)pl->epoch);
		snprintf(lease, sizeof(lease), "%lld",
		    (long long)pl->lease_ms);
		if ((op = new_op(OP_RENEW)) == NULL ||
		    send_op(pl, op, PGL_RENEW, 3, v) != 0)
			return;
	}
	if (t - pl->last_reap_ms >= (uint64_t)pl->lease_ms) {
		pl->last_reap_ms = t;
		snprintf(grace, sizeof(grace), "%lld", (long long)pl->lease_ms);
		v[0] = grace;
		if ((op = new_op(OP_REAP)) == NULL ||
		    send_op(pl, op, PGL_REAP, 1, v) != 0)
			return;
	}
	flush(pl);
}

/* ---- the API ------------------------------------------------------------ */

int
pgloop_new(struct event_base *base, struct ledger *l, const char *dsn,
    const char *replica, int64_t lease_ms, struct pgloop **out, char *why,
    size_t whylen)
{
	struct pgloop *pl;
	struct timeval tv;
	int r;

	*out = NULL;
	if ((pl = calloc(1, sizeof(*pl))) == NULL ||
	    (pl->dsn = strdup(dsn)) == NULL) {
		free(pl);
		return util_fail(CLOISTER_ERR_ALLOC, why, whylen,
		    "out of memory");
	}
	pl->base = base;
	pl->l = l;
	snprintf(pl->replica, sizeof(pl->replica), "%s", replica);
	pl->lease_ms = lease_ms;
	pl->epoch = ledger_pg_epoch(l);
	pl->retry_ms = RETRY_MIN_MS;
	pl->last_reap_ms = pl->last_renew_ms = now_ms();
	lease_renewed(pl, now_ms());	/* ledger_open_pg registered */
	tv.tv_sec = TICK_MS / 1000;
	tv.tv_usec = TICK_MS % 1000 * 1000;
	if ((r = pgl_new(replica, &pl->p)) != 0 ||
	    (pl->retry = evtimer_new(base, on_retry, pl)) == NULL ||
	    (pl->tick = event_new(base, -1, EV_PERSIST, on_tick, pl)) ==
	    NULL || event_add(pl->tick, &tv) != 0) {
		pgloop_free(pl);
		return util_fail(r != 0 ? r : CLOISTER_ERR_ALLOC, why, whylen,
		    "cannot start the ledger's connection");
	}
	connect_start(pl);
	*out = pl;
	return 0;
}

void
pgloop_free(struct pgloop *pl)
{
	if (pl == NULL)
		return;
	if (pl->retry != NULL)
		event_free(pl->retry);
	pl->retry = NULL;		/* broken() schedules nothing now */
	pl->told_down = 1;		/* nor says anything */
	if (pl->state != DOWN || pl->head != NULL)
		broken(pl, "the gateway is stopping");
	/* what stops after the loop (workspaces revoking their keys) may
	 * wait for the database */
	ledger_pg_reachable(pl->l, 1);
	if (pl->tick != NULL)
		event_free(pl->tick);
	pgl_close(pl->p);
	free(pl->uncertain);
	free(pl->dsn);
	free(pl);
}

int
pgloop_admitting(const struct pgloop *pl)
{
	return pl->state == READY && !pl->fenced && now_ms() < pl->lease_ok_ms;
}

uint64_t
pgloop_failures(const struct pgloop *pl)
{
	return pl->failures;
}

int
pgloop_hold(struct pgloop *pl, const char *req_id, const char *key_id,
    int64_t amount, pgloop_hold_fn fn, void *arg)
{
	struct op *op;

	if (!pgloop_admitting(pl))
		return CLOISTER_ERR_DB;
	if ((op = new_op(OP_HOLD)) == NULL)
		return CLOISTER_ERR_ALLOC;
	op->fn = fn;
	op->arg = arg;
	op->rc = CLOISTER_ERR_DB;
	snprintf(op->req_id, sizeof(op->req_id), "%s", req_id);
	if (pgl_reserve_send(pl->p, req_id, key_id, amount, pl->epoch) != 0 ||
	    PQpipelineSync(pl->conn) != 1) {
		free(op);
		broken(pl, PQerrorMessage(pl->conn));
		return CLOISTER_ERR_DB;
	}
	push(pl, op);
	want_write(pl);
	return 0;
}

void
pgloop_release(struct pgloop *pl, const char *req_id)
{
	if (pl->state != READY) {
		remember_uncertain(pl, req_id);
		return;
	}
	send_release(pl, req_id);
	if (pl->state == READY)
		want_write(pl);
}
