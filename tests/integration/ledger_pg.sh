#!/bin/sh
# The PostgreSQL ledger against a throw-away cluster on a Unix socket:
#   1. test_pgl: every statement, the CHECK, leases, pipelined holds and
#      the two-connection interleaving of a hold
#   2. a pgbench stress of the ledger's own reserve and settle statements
#      (printed by test_pgl --sql): 8 clients on 5 small balances,
#      invariants checked while it runs and after
#   tests/integration/ledger_pg.sh TEST_PGL
set -u
test_pgl=${1:?usage: ledger_pg.sh TEST_PGL}
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/pg.sh"
trap 'pg_stop immediate; stop_all; rm -rf "$tmp"' EXIT
STRESS_S=${STRESS_S:-8}

pg_start || exit 1
export CLOISTER_PG_DSN="$pg_dsn"

# 1
if "$test_pgl"; then ok; else bad "test_pgl"; fi

# 2: five keys of 500, three replicas; every client reserves 1-9 and
# settles 0-12 (so some charges are capped at the hold).
psqlq "
INSERT INTO replicas (id, epoch, lease_until)
  SELECT 'r' || i, 1, now() + interval '1 hour' FROM generate_series(1, 3) i;
INSERT INTO keys (id, hash, name, scope, created)
  SELECT 's' || i, sha256(int8send(i)), 's' || i, 'user', 0
  FROM generate_series(1, 5) i;
INSERT INTO topups (key_id, amount, time) SELECT id, 500, 0 FROM keys
  WHERE id LIKE 's_';
UPDATE keys SET credits = 500 WHERE id LIKE 's_';" >/dev/null ||
	bad "stress set-up"
pg_race_script "$test_pgl --sql" >"$tmp/race.sql"
# invariants, each one statement (one snapshot)
inv_held="SELECT count(*) FROM keys k WHERE k.id LIKE 's_' AND (held > credits
  OR credits < 0 OR held <> COALESCE((SELECT sum(amount) FROM holds h
  WHERE h.key_id = k.id), 0))"
inv_sum="SELECT (SELECT sum(amount) FROM topups WHERE key_id LIKE 's_') -
  (SELECT sum(credits) FROM keys WHERE id LIKE 's_') -
  COALESCE((SELECT sum(cost) FROM requests WHERE key_id LIKE 's_'), 0)"
(
	while [ ! -f "$tmp/stress.done" ]; do
		echo "$(psqlq "$inv_held") $(psqlq "$inv_sum")"
		sleep 0.3
	done
) >"$tmp/during" 2>&1 &
watcher=$!
"$pg_bin/pgbench" -n -h "$pg_sock" -U postgres -f "$tmp/race.sql" -c 8 \
    -j 2 -T "$STRESS_S" cloister >"$tmp/pgbench.out" 2>&1
rc=$?
touch "$tmp/stress.done"
wait $watcher
if [ $rc -eq 0 ] && grep -q "number of failed transactions: 0" \
    "$tmp/pgbench.out"; then ok; else
	bad "pgbench: $(tail -5 "$tmp/pgbench.out")"
fi
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
    "$tmp/pgbench.out")
checks=$(wc -l <"$tmp/during")
if [ "$checks" -ge 3 ] && ! grep -qv '^0 0$' "$tmp/during"; then ok; else
	bad "invariants while running ($checks checks): $(grep -v '^0 0$' \
	    "$tmp/during" | head -3)"
fi
after="$(psqlq "$inv_held") $(psqlq "$inv_sum") $(psqlq "SELECT count(*)
  FROM holds WHERE key_id LIKE 's_'") $(psqlq "SELECT sum(held) FROM keys
  WHERE id LIKE 's_'")"
if [ "$after" = "0 0 0 0" ]; then ok; else
	bad "invariants after (held, conservation, holds, sum held): $after"
fi
settled=$(psqlq "SELECT count(*) FROM requests WHERE key_id LIKE 's_'")
spent=$(psqlq "SELECT sum(cost) FROM requests WHERE key_id LIKE 's_'")
capped=$(psqlq "SELECT count(*) FROM requests WHERE key_id LIKE 's_' AND
  cost = reserved AND reserved < 12")
# The balances ran dry under contention (every later hold refused) and
# not one credit more than 5 x 500 was spent.
if [ "${spent:-0}" -le 2500 ] && [ "${spent:-0}" -ge 2450 ]; then ok; else
	bad "stress: $tx transactions spent $spent of 2500"
fi
echo "stress: $tx reserve+settle in ${STRESS_S} s (8 clients), $settled" \
    "settled ($capped charged their whole hold), $spent of 2500 spent," \
    "$checks invariant checks while running"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
