#!/bin/sh
# Three `cloister serve` replicas, one PostgreSQL ledger (a throw-away
# cluster on a Unix socket), the mock backend and the simulated TEE:
#   - keys made and topped up with the CLI against the shared ledger
#     (a top-up with an external id lands once)
#   - 200 concurrent streamed requests spread over the three, one key
#     holding credits for 50: exactly 50 answered, 150 refused with 402,
#     the balance at 0 and every charge recorded once
#   - a revocation through the CLI is seen by every replica
#   - any replica serves any replica's start-up evidence by its id, and
#     any replica's console reads and changes the shared ledger
#   - cloister proxy in front of a round-robin balancer over the three
#     verifies each replica it meets and every receipt against its own
#   - kill -9 of a replica mid-stream: its hold stays until it restarts
#     on the same state (released, journal applied; its old evidence still
#     served); a replica that never comes back has its holds reaped after
#     its lease
#   - a hold PostgreSQL confirms after its client left gets exactly one
#     settlement and leaves nothing held
#   - a replica whose network to PostgreSQL black-holes (a stalling TCP
#     proxy): /healthz and the console keep answering (a stalled database
#     would hold them 5 s and more), the waiting hold gets 503
#     within seconds, and holds work again when the network does
#   - PostgreSQL stopped under load: 503 with nothing held, /healthz
#     still answering, and after a restart every settlement applied once
#   tests/integration/ledger_replicas.sh CLOISTER NODE_DIR
set -u
bin=$1
node_dir=$2
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/pg.sh"
trap 'stop_all; pg_stop immediate; rm -rf "$tmp"' EXIT
[ -d "$node_dir/node_modules/openai" ] || {
	echo "ledger_replicas: $node_dir/node_modules/openai missing"
	exit 1
}
pg_start || exit 1

# One configuration for all but the address and the state directory; the
# replica id from the environment, as a deployment would set it.
conf() {	# conf N PORT [DSN]
	cat >"$tmp/gw$1.yaml" <<YAML
listen: 127.0.0.1:$2
state_dir: $tmp/state$1
tee: sim
ledger: { backend: postgres, dsn: "${3:-$pg_dsn}", lease: 3 }
backends:
  - name: slow
    type: mock
    chunk_delay_ms: 40
    models:
      - { name: mock-exact-slow, input: 0, output: 1000000 }
      - { name: mock-long, input: 0, output: 1000000 }
YAML
}
start_replica() {	# start_replica N
	CLOISTER_REPLICA_ID=replica-$1 serve_start "serve$1" "$tmp/gw$1.yaml" ||
	    return 1
	eval "pid$1=\$serve_pid url$1=\$serve_url"
}
for i in 1 2 3; do
	conf "$i" "$(freeport)"
	start_replica "$i" || exit 1
done

key() {	# key NAME CREDITS [SCOPE]: prints the key, its id in $tmp/NAME.id
	_k=$("$bin" keys create --config "$tmp/gw1.yaml" --name "$1" \
	    --scope "${3:-user}" 2>"$tmp/k.err")
	sed -n 's/^cloister: created \(key_[0-9a-f]*\).*/\1/p' "$tmp/k.err" \
	    >"$tmp/$1.id"
	[ -n "$_k" ] && [ -s "$tmp/$1.id" ] || { cat "$tmp/k.err" >&2; return 1; }
	[ "$2" -eq 0 ] || "$bin" credits add "$(cat "$tmp/$1.id")" "$2" \
	    --config "$tmp/gw1.yaml" >/dev/null || return 1
	echo "$_k"
}
KX=$(key exact 500)
KXID=$(cat "$tmp/exact.id")
[ -n "$KX" ] && [ -n "$KXID" ] && ok || { bad "keys create"; exit 1; }

# --- idempotent top-up --------------------------------------------------------
KT=$(key topup 0)
KTID=$(cat "$tmp/topup.id")
expect_exit 0 "$bin" credits add "$KTID" 7 --external-id pay-1 --config "$tmp/gw2.yaml"
expect_exit 0 "$bin" credits add "$KTID" 7 --external-id pay-1 --config "$tmp/gw3.yaml"
if grep -q "applied before" "$tmp/err"; then ok; else bad "repeat top-up not reported"; fi
[ "$(psqlq "SELECT credits FROM keys WHERE id = '$KTID'")" = 7 ] && ok ||
	bad "top-up twice with one external id: $(psqlq "SELECT credits FROM keys WHERE id = '$KTID'")"

# --- 200 at once against 50, over three replicas -----------------------------
# Keys made after the replicas started: they learn them by NOTIFY.
sleep 0.5
node "$node_dir/replicas.mjs" 200 mock-exact-slow "$KX" "$url1" "$url2" "$url3" \
    >"$tmp/race.json" 2>"$tmp/race.err"
if jq -e '.ok == 50 and .refused["402"] == 150' "$tmp/race.json" >/dev/null; then
	ok
else
	bad "200 against 50 over 3 replicas: $(cat "$tmp/race.json" "$tmp/race.err" | head -5)"
fi
# settled within the journal's 50 ms, by three appliers
for _ in $(seq 50); do
	b=$(psqlq "SELECT credits || ' ' || held || ' ' || (SELECT count(*) FROM
	    requests WHERE key_id = keys.id) || ' ' || (SELECT COALESCE(sum(cost),
	    0) FROM requests WHERE key_id = keys.id) FROM keys WHERE id = '$KXID'")
	[ "$b" = "0 0 50 500" ] && break
	sleep 0.1
done
[ "$b" = "0 0 50 500" ] && ok || bad "after the race (credits held requests cost): $b"
per=$(psqlq "SELECT string_agg(n::text, ' ' ORDER BY replica_id) FROM (SELECT
    replica_id, count(*) n FROM requests WHERE key_id = '$KXID' GROUP BY
    replica_id) s")
[ "$(echo "$per" | wc -w)" = 3 ] && ok || bad "answers not spread over the replicas: $per"
echo "race: $(cat "$tmp/race.json"), per replica: $per"

# --- the console of any replica reads the shared ledger ----------------------
KA=$(key boss 0 admin)
sleep 0.3
AH="Authorization: Bearer $KA"
expect_http 200 "$url2/admin/api/keys" -H "$AH"
jq -e "[.keys[].id] | index(\"$KXID\") != null" "$tmp/body" >/dev/null && ok ||
	bad "console keys: $(head -c 300 "$tmp/body")"
expect_http 200 "$url3/admin/api/requests?key=$KXID" -H "$AH"
[ "$(jq '[.requests[] | select(.status == "ok")] | length' "$tmp/body")" -ge 20 ] &&
	ok || bad "console requests: $(head -c 300 "$tmp/body")"
expect_http 200 "$url2/metrics" -H "$AH"
grep -q '^cloister_ledger_admitting 1$' "$tmp/body" && ok ||
	bad "metrics: $(grep cloister_ledger "$tmp/body")"
expect_http 200 "$url1/admin/api/usage" -H "$AH"
jq -e '.spend | length > 0' "$tmp/body" >/dev/null && ok ||
	bad "console usage: $(head -c 300 "$tmp/body")"
expect_http 200 -X POST "$url3/admin/api/credits" -H "$AH" \
    -H 'Content-Type: application/json' -d "{\"key_id\":\"$KTID\",\"amount\":3}"
[ "$(psqlq "SELECT credits FROM keys WHERE id = '$KTID'")" = 10 ] && ok ||
	bad "console top-up did not reach the shared ledger"
# the same payment through two replicas' consoles: once
for u in "$url1" "$url2"; do
	expect_http 200 -X POST "$u/admin/api/credits" -H "$AH" \
	    -H 'Content-Type: application/json' \
	    -d "{\"key_id\":\"$KTID\",\"amount\":5,\"external_id\":\"pay-2\"}"
done
jq -e '.added == false' "$tmp/body" >/dev/null && ok || bad "repeat top-up said added"
[ "$(psqlq "SELECT credits FROM keys WHERE id = '$KTID'")" = 15 ] && ok ||
	bad "console top-up with an external id applied twice"

# --- any replica serves any replica's evidence (a receipt's kid) -------------
curl -s "$url2/v1/attestation" -o "$tmp/ev2.json"
id2=$(sha256sum "$tmp/ev2.json" | cut -d' ' -f1)
expect_http 200 "$url1/v1/attestation/$id2"
cmp -s "$tmp/body" "$tmp/ev2.json" && ok || bad "replica 1 served another bundle for $id2"
expect_http 404 "$url1/v1/attestation/$(echo "$id2" | tr 0-9a-f 1-9a-f0)"
expect_http 400 "$url1/v1/attestation/nothex"

# --- cloister proxy in front of a load balancer over the three ---------------
spawn_port lbport lb python3 "$(dirname "$0")/../tools/tcp_relay.py" \
    --idle 0.3 "${url1##*:}" "${url2##*:}" "${url3##*:}" || exit 1
pxport=$(freeport)
spawn proxy "$bin" proxy --upstream "http://127.0.0.1:$lbport" \
    --listen "127.0.0.1:$pxport" --allow-simulated --any-td
wait_url "http://127.0.0.1:$pxport/cloister/status" || exit 1
good=0
for i in 1 2 3 4 5 6 7 8 9; do
	c=$(curl -s -o "$tmp/px.out" -w '%{http_code}' \
	    "http://127.0.0.1:$pxport/v1/chat/completions" \
	    -H "Authorization: Bearer $KT" -H 'Content-Type: application/json' \
	    -d '{"model":"mock-exact-slow","max_tokens":1,"messages":[{"role":"user","content":"x"}]}')
	[ "$c" = 200 ] && good=$((good + 1)) || echo "proxy request $i: $c $(head -c 300 "$tmp/px.out")"
	sleep 0.5	# the balancer closes idle connections: the next goes elsewhere
done
[ "$good" = 9 ] && ok || bad "through the proxy and the balancer: $good of 9 answered"
nrep=$(curl -s "http://127.0.0.1:$pxport/cloister/status" | jq -r .replicas)
[ "$nrep" = 3 ] && ok || bad "the proxy verified $nrep replicas, want 3"
echo "proxy: $good of 9 answers verified across $nrep replicas behind one address"

# --- revocation seen by every replica -----------------------------------------
KV=$(key revokee 1000000)
KVID=$(cat "$tmp/revokee.id")
sleep 0.5
expect_http 200 "$url3/v1/models" -H "Authorization: Bearer $KV"
expect_exit 0 "$bin" keys revoke "$KVID" --config "$tmp/gw1.yaml"
sleep 0.5
for u in "$url1" "$url2" "$url3"; do
	expect_http 401 "$u/v1/models" -H "Authorization: Bearer $KV"
done

# --- kill -9 mid-stream, restart on the same state -------------------------------
KK=$(key killed 1000000)
KKID=$(cat "$tmp/killed.id")
sleep 0.5
curl -sN "$url1/v1/chat/completions" -H "Authorization: Bearer $KK" \
    -H 'Content-Type: application/json' -d '{"model":"mock-long","stream":true,
    "max_tokens":200,"messages":[{"role":"user","content":"go"}]}' \
    >/dev/null 2>&1 &
sleep 0.5
h=$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")
[ "$h" -gt 0 ] 2>/dev/null && ok || bad "no hold while streaming: $h"
# another replica's console shows the hold replica 1 took
curl -s "$url2/admin/api/keys" -H "$AH" >"$tmp/keys.json"
[ "$(jq -r ".keys[] | select(.id == \"$KKID\") | .held" "$tmp/keys.json")" = "$h" ] &&
	ok || bad "console on replica 2 does not show replica 1's hold of $h"
old1=$(curl -s "$url1/v1/attestation" | sha256sum | cut -d' ' -f1)
kill -9 "$pid1"
wait "$pid1" 2>/dev/null
[ "$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")" = "$h" ] && ok ||
	bad "the dead replica's hold went before anyone released it"
start_replica 1 || exit 1
[ "$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")" = 0 ] && ok ||
	bad "restarted replica did not release its earlier run's hold"
[ "$(psqlq "SELECT credits FROM keys WHERE id = '$KKID'")" = 1000000 ] && ok ||
	bad "an unanswered request was charged"
# receipts of its earlier run still name evidence any replica serves
expect_http 200 "$url2/v1/attestation/$old1"

# --- a hold PostgreSQL confirms after its client left: settled once ---------
# The key's row locked from outside: the hold waits on it while the
# client gives up; once the lock goes, the hold is taken and the request
# (answered into a closed connection) settles like any other.
n0=$(psqlq "SELECT count(*) FROM requests WHERE key_id = '$KKID'")
psql -X -q -d "$pg_dsn" -c "BEGIN; SELECT 1 FROM keys WHERE id = '$KKID'
    FOR UPDATE; SELECT pg_sleep(2); COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.3
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 \
    "$url2/v1/chat/completions" -H "Authorization: Bearer $KK" \
    -H 'Content-Type: application/json' \
    -d '{"model":"mock-exact-slow","messages":[{"role":"user","content":"x"}]}')
[ "$c" = 000 ] && ok || bad "the client did not give up while the hold waited: $c"
wait $locker
for _ in $(seq 40); do
	st=$(psqlq "SELECT (SELECT count(*) FROM requests WHERE key_id = '$KKID')
	    || ' ' || held FROM keys WHERE id = '$KKID'")
	[ "$st" = "$((n0 + 1)) 0" ] && break
	sleep 0.25
done
[ "$st" = "$((n0 + 1)) 0" ] && ok ||
	bad "a hold confirmed after its client left (requests held): $st, want $((n0 + 1)) 0"

# --- a replica that never comes back: reaped after its lease ------------------
curl -sN "$url3/v1/chat/completions" -H "Authorization: Bearer $KK" \
    -H 'Content-Type: application/json' -d '{"model":"mock-long","stream":true,
    "max_tokens":200,"messages":[{"role":"user","content":"go"}]}' \
    >/dev/null 2>&1 &
sleep 0.5
[ "$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")" -gt 0 ] && ok ||
	bad "no hold on replica 3"
kill -9 "$pid3"
wait "$pid3" 2>/dev/null
for _ in $(seq 40); do
	[ "$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")" = 0 ] && break
	sleep 0.5
done
[ "$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")" = 0 ] && ok ||
	bad "the dead replica's hold was never reaped"

# --- a black-holed network between a replica and PostgreSQL -----------------
spawn_port pport stallproxy python3 "$(dirname "$0")/../tools/tcp_relay.py" \
    --stall "$tmp/stall" "$pg_sock/.s.PGSQL.5432" || exit 1
conf 4 "$(freeport)" "host=127.0.0.1 port=$pport dbname=cloister user=postgres"
start_replica 4 || exit 1
chat() {	# chat URL: the HTTP status of one small request with $KK
	curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
	    "$1/v1/chat/completions" -H "Authorization: Bearer $KK" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"mock-exact-slow","messages":[{"role":"user","content":"x"}]}'
}
[ "$(chat "$url4")" = 200 ] && ok || bad "replica 4 through the proxy"
touch "$tmp/stall"
t0=$(date +%s%N)
chat "$url4" >"$tmp/stalled.code" &
waiter=$!
slow=0
for _ in 1 2 3 4 5 6; do
	h0=$(date +%s%N)
	curl -s -o /dev/null --max-time 5 "$url4/healthz"
	[ $(( ($(date +%s%N) - h0) / 1000000 )) -lt 1500 ] || slow=$((slow + 1))
	sleep 0.3
done
[ "$slow" = 0 ] && ok || bad "/healthz slowed by a stalled PostgreSQL ($slow of 6 over 1.5 s)"
wait $waiter
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(cat "$tmp/stalled.code")" = 503 ] && [ "$waited" -lt 10000 ] && ok ||
	bad "a hold on a black-holed connection: HTTP $(cat "$tmp/stalled.code") after $waited ms"
# while the loop's connection is down, the console answers at once
c0=$(date +%s%N)
curl -s -o /dev/null --max-time 10 "$url4/admin/api/keys" -H "$AH"
cw=$(( ($(date +%s%N) - c0) / 1000000 ))
[ "$cw" -lt 2000 ] && ok || bad "the console waited $cw ms on a stalled PostgreSQL"
rm -f "$tmp/stall"
for _ in $(seq 40); do
	c=$(chat "$url4")
	[ "$c" = 200 ] && break
	sleep 0.25
done
[ "$c" = 200 ] && ok || bad "replica 4 did not reconnect: $c"
echo "stall: the waiting hold answered 503 after $waited ms"

# --- PostgreSQL down under load -----------------------------------------------
before=$(psqlq "SELECT count(*) FROM requests")
node "$node_dir/replicas.mjs" 20 mock-exact-slow "$KK" "$url1" "$url2" \
    >"$tmp/down1.json" 2>&1 &
load=$!
# stopped once the first holds are taken, the streams still running
for _ in $(seq 100); do
	[ "$(psqlq "SELECT held FROM keys WHERE id = '$KKID'")" -gt 0 ] && break
	sleep 0.05
done
pg_stop immediate
wait $load
answered=$(jq -r .ok "$tmp/down1.json")
expect_http 200 "$url2/healthz"
expect_http 503 "$url2/v1/chat/completions" -H "Authorization: Bearer $KK" \
    -H 'Content-Type: application/json' \
    -d '{"model":"mock-exact-slow","messages":[{"role":"user","content":"x"}]}'
pg_restart || exit 1
for _ in $(seq 60); do
	n=$(psqlq "SELECT count(*) FROM requests" 2>/dev/null)
	[ "${n:-0}" -ge $((before + answered)) ] && break
	sleep 0.25
done
[ "$n" = $((before + answered)) ] && ok ||
	bad "after the outage: $n requests recorded, want $before + $answered ($(cat "$tmp/down1.json"))"
[ "$(psqlq "SELECT count(*) FROM keys WHERE held > credits OR held < 0")" = 0 ] &&
	ok || bad "invariant broken after the outage"
# and holds work again once reconnected
for _ in $(seq 40); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "$url2/v1/chat/completions" \
	    -H "Authorization: Bearer $KK" -H 'Content-Type: application/json' \
	    -d '{"model":"mock-exact-slow","messages":[{"role":"user","content":"x"}]}')
	[ "$c" = 200 ] && break
	sleep 0.25
done
[ "$c" = 200 ] && ok || bad "no hold after PostgreSQL came back: $c"
[ "$answered" -gt 0 ] && ok || bad "no stream survived the outage: $(cat "$tmp/down1.json")"
echo "outage: $(cat "$tmp/down1.json") (PostgreSQL stopped mid-run)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
