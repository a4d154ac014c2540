#!/bin/sh
# cloister serve end to end: the official openai client (tests/node),
# credits under concurrency, a client leaving mid-stream, kill -9 under
# load and restart, and a canary that must appear nowhere on disk or in
# the logs.  The gateway runs on loopback and is stopped by this script.
#   gateway.sh CLOISTER NODE_DIR
set -u
bin=$1
node_dir=$2
. "$(dirname "$0")/common.sh"
command -v sqlite3 >/dev/null || { echo "gateway: sqlite3 missing"; exit 1; }
[ -d "$node_dir/node_modules/openai" ] || {
	echo "gateway: $node_dir/node_modules/openai missing (scripts/bootstrap)"
	exit 1
}

start_marker=$tmp/start
touch "$start_marker"
port=$(freeport)
deadport=$(freeport)
# The scripted OpenAI-compatible upstream, on loopback; it prints the port
# the kernel gave it.
export UP_KEY="upkey-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
spawn_port upport up node "$node_dir/upstream.mjs" || exit 1
state=$tmp/state
work=$tmp/client
mkdir -p "$work"
canary="CANARY$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $state
tee: sim
limits: { max_body: 1048576, timeout: 10 }
backends:
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 2000000 }
      - { name: mock-embed, input: 1000000 }
      - { name: mock-exact, input: 0, output: 1000000 }
  - name: slow
    type: mock
    chunk_delay_ms: 40
    models:
      - { name: mock-slow, input: 1000000, output: 1000000 }
      - { name: mock-exact-slow, input: 0, output: 1000000 }
  - name: up
    type: openai-compatible
    base_url: http://127.0.0.1:$upport/v1
    api_key_env: UP_KEY
    confidential: true
    models:
      - { name: up-echo, input: 1000000, output: 1000000, cached: 500000 }
      - { name: up-slow, input: 1000000, output: 1000000 }
      - { name: up-crlf, input: 1000000, output: 1000000, cached: 500000 }
      - { name: up-huge, input: 1000000, output: 1000000, cached: 500000 }
      - { name: up-real, input: 1000000, output: 1000000 }
      - { name: up-400, input: 1000000, output: 1000000 }
      - { name: up-500, input: 1000000, output: 1000000 }
      - { name: up-embed, input: 1000000 }
  - name: down
    type: openai-compatible
    base_url: http://127.0.0.1:$deadport/v1
    models:
      - { name: down-model, input: 1000000, output: 1000000 }
YAML

serve_start serve "$tmp/gw.yaml" || exit 1
K=$(api_key "$state" main --credits 100000000)
KE=$(api_key "$state" empty)
KX=$(api_key "$state" exact --credits 500)
KR=$(api_key "$state" reader --scope read)
# One server per ledger: a second one on the same state directory would
# hold credits the first cannot see.
sed -e "s/^listen: .*/listen: 127.0.0.1:$deadport/" "$tmp/gw.yaml" >"$tmp/twin.yaml"
expect_exit 1 "$bin" serve --config "$tmp/twin.yaml"
grep -q 'in use by another cloister serve' "$tmp/err" && ok || bad "a second serve on one ledger was not refused: $(head -3 "$tmp/err")"
[ -n "$K" ] && [ -n "$KE" ] && [ -n "$KX" ] && ok || bad "keys create"

# The openai client suite (it prints its own summary; count it as one).
BASE_URL=http://127.0.0.1:$port KEY=$K KEY_EMPTY=$KE KEY_EXACT=$KX KEY_READ=$KR \
    KEY_EXACT_ID=$(cat "$tmp/exact.id") CLOISTER=$bin WORK=$work \
    STATE_DB=$state/ledger.db CANARY=$canary UP_URL=http://127.0.0.1:$upport \
    node "$node_dir/gateway.test.mjs" && ok || bad "openai client suite"

# Fresh evidence (?nonce=) only for a key's holder, limited per key, made
# off the loop; equal nonces asked at once share one collection.  The
# start-up bundle stays public.
A="http://127.0.0.1:$port/v1/attestation"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$A")" = 200 ] && ok || bad "the start-up bundle is not public"
# What the bundle binds is what config-digest computes from the same files.
[ "$(curl -s "$A" | jq -r .evidence.config_sha256)" = "$("$bin" evidence config-digest "$tmp/gw.yaml")" ] &&
    ok || bad "the gateway's config_sha256 is not config-digest's"
[ "$(curl -s -o "$tmp/att.json" -w '%{http_code}' "$A?nonce=abcd")" = 401 ] && ok || bad "fresh evidence without a key: $(cat "$tmp/att.json")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$A?nonce=" -H "Authorization: Bearer $K")" = 400 ] && ok || bad "an empty nonce was taken"
[ "$(curl -s -o "$tmp/att.json" -w '%{http_code}' "$A?nonce=abcd" -H "Authorization: Bearer $K")" = 200 ] &&
    "$bin" verify evidence "$tmp/att.json" --allow-simulated --nonce abcd >/dev/null && ok ||
    bad "fresh evidence with a key does not answer its nonce: $(head -c 200 "$tmp/att.json")"
apids=
for i in 1 2 3 4 5; do
	curl -s -o "$tmp/same$i.json" "$A?nonce=5a5a5a" -H "Authorization: Bearer $KX" &
	apids="$apids $!"
done
# shellcheck disable=SC2086
wait $apids
same=$(cat "$tmp"/same*.json | sha256sum | cut -c1-64)
one=$(for i in 1 2 3 4 5; do cat "$tmp/same1.json"; done | sha256sum | cut -c1-64)
[ -s "$tmp/same1.json" ] && [ "$same" = "$one" ] && ok || bad "equal nonces at once were not one collection"
n=0
code=200
while [ "$code" = 200 ] && [ "$n" -lt 70 ]; do
	n=$((n + 1))
	code=$(curl -s -o "$tmp/att.json" -D "$tmp/att.h" -w '%{http_code}' "$A?nonce=$(printf '%04x' "$n")" -H "Authorization: Bearer $KE")
done
[ "$code" = 429 ] && [ "$n" -gt 50 ] && grep -qi '^Retry-After: [0-9]' "$tmp/att.h" && grep -q '"rate_limited"' "$tmp/att.json" &&
    ok || bad "fresh evidence per key was not limited: request $n got $code $(cat "$tmp/att.json")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$A?nonce=abcd" -H "Authorization: Bearer $K")" = 200 ] && ok ||
    bad "one key's limit stopped another key"

# Malformed input: every request answered, errors OpenAI-shaped, no crash
# (the gateway runs under ASan/UBSan here).
BASE_URL=http://127.0.0.1:$port KEY=$K node "$node_dir/adversarial.mjs" \
    >"$tmp/adv.out" 2>&1 && ok || { bad "adversarial input"; tail -5 "$tmp/adv.out"; }
grep -q "AddressSanitizer\|runtime error" "$tmp/serve.err" && bad "sanitizer report in the gateway's log" || ok

# kill -9 under load, restart: the ledger is consistent and every
# acknowledged request -- a whole answer's receipt in its headers, a
# stream's in its last comment -- is there exactly once, with that
# receipt.  The database is held locked meanwhile, so the kill lands while
# the settlements of answered requests are in the journal, not applied.
MAINID=$(cat "$tmp/main.id")
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); time.sleep(4)' \
    "$state/ledger.db" >"$tmp/lock.out" 2>&1 &
lockpid=$!
for _ in $(seq 1 50); do grep -q locked "$tmp/lock.out" && break; sleep 0.1; done
curls=
for i in $(seq 1 40); do
	curl -s -N -o "$tmp/b$i" -D "$tmp/h$i" "http://127.0.0.1:$port/v1/chat/completions" \
	    -H "Authorization: Bearer $K" \
	    -d "{\"model\":\"mock-slow\",\"stream\":$( [ $((i % 2)) -eq 0 ] && echo true || echo false),\"max_tokens\":$((4 + i % 20)),\"messages\":[{\"role\":\"user\",\"content\":\"load $canary\"}]}" &
	curls="$curls $!"
done
sleep 0.7
pending=$(cat "$state"/ledger.db.journal.* 2>/dev/null | wc -c)
kill -9 "$serve_pid"
stop "$serve_pid"
# shellcheck disable=SC2086
wait $curls 2>/dev/null
kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null
serve_start serve "$tmp/gw.yaml" || exit 1
acked=0
streamed=0
missing=0
for i in $(seq 1 40); do
	id=$(sed -n 's/^Cloister-Request-Id: \(req_[0-9a-f]*\).*/\1/p' "$tmp/h$i" | tr -d '\r')
	jws=$(sed -n 's/^Cloister-Receipt: \([^ ]*\).*/\1/p' "$tmp/h$i" | tr -d '\r')
	if [ -z "$jws" ]; then
		jws=$(sed -n 's/^: cloister-receipt \(.*\)/\1/p' "$tmp/b$i" | tr -d '\r')
		[ -n "$jws" ] && streamed=$((streamed + 1))
	fi
	[ -n "$jws" ] || continue
	acked=$((acked + 1))
	n=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM requests WHERE id = '$id' AND status = 'ok' AND receipt = '$jws'")
	[ "$n" = 1 ] || missing=$((missing + 1))
done
[ "$missing" -eq 0 ] && ok || bad "kill -9: $missing of $acked acknowledged requests lost"
# Not vacuous: settlements were waiting in the journal at the kill, both
# kinds of answer were acknowledged, and some requests were cut off (held
# in memory only: they owe nothing and left no row).
answered=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM requests WHERE model = 'mock-slow'")
[ "$pending" -gt 0 ] && [ "$acked" -gt "$streamed" ] && [ "$streamed" -ge 1 ] && [ "$answered" -lt 40 ] &&
    ok || bad "kill -9: $pending journal bytes pending, $acked acknowledged ($streamed streamed), $answered of 40 settled"
bal=$(sqlite3 "$state/ledger.db" "SELECT k.credits + (SELECT COALESCE(SUM(cost),0) FROM requests WHERE key_id = k.id) - (SELECT SUM(amount) FROM topups WHERE key_id = k.id) FROM keys k WHERE k.id = '$MAINID'")
[ "$bal" = "0" ] && ok || bad "kill -9: ledger inconsistent (credits + charged - topped up = $bal)"
integrity=$(sqlite3 "$state/ledger.db" "PRAGMA integrity_check")
[ "$integrity" = ok ] && ok || bad "kill -9: integrity_check says $integrity"
neg=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM keys WHERE credits < 0 OR reserved < 0")
[ "$neg" = 0 ] && ok || bad "negative balance"
stop

# TLS: the same API over HTTPS with the configured certificate; plain
# HTTP to that port fails; plain HTTP off loopback is refused at start.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
tport=$(freeport)
sed -e "s/^listen: .*/listen: 127.0.0.1:$tport/" "$tmp/gw.yaml" >"$tmp/tls.yaml"
printf 'tls: { cert: %s, key: %s }\n' "$tmp/cert.pem" "$tmp/key.pem" >>"$tmp/tls.yaml"
serve_start serve "$tmp/tls.yaml" --cacert "$tmp/cert.pem"
out=$(curl -s --cacert "$tmp/cert.pem" "https://127.0.0.1:$tport/v1/models" -H "Authorization: Bearer $K")
echo "$out" | grep -q '"mock-small"' && ok || bad "TLS: models over https: $out"
curl -s "http://127.0.0.1:$tport/healthz" >/dev/null 2>&1 && bad "TLS port answers plain HTTP" || ok
stop
sed -e "s/^listen: .*/listen: 0.0.0.0:$tport/" "$tmp/gw.yaml" >"$tmp/open.yaml"
expect_exit 1 "$bin" serve --config "$tmp/open.yaml"
grep -q 'loopback only' "$tmp/err" && ok || bad "plain HTTP off loopback not refused"
# "Confidential" means a base_url whose host is exactly loopback: not a
# name that starts like one, not one behind userinfo.
for u in 'http://127.0.0.1.attacker.example/v1' 'http://localhost.x.net/v1' \
    'http://127.0.0.1:@remote.example/v1' 'http://127.0.0.1@evil.example:80/v1'; do
	sed -e "s|base_url: http://127.0.0.1:$upport/v1|base_url: $u|" "$tmp/gw.yaml" >"$tmp/conf.yaml"
	grep -q "base_url: $u" "$tmp/conf.yaml" || bad "test config for $u"
	expect_exit 2 "$bin" serve --config "$tmp/conf.yaml"
	grep -q 'not loopback\|user name or password' "$tmp/err" && ok || bad "confidential backend at $u not refused: $(head -2 "$tmp/err")"
	grep -q 'attacker\|remote.example\|evil\|x.net' "$tmp/err" && bad "the refusal quotes the URL" || ok
done

# Where a backend computes, as receipts say it: "tdx" inside the TD,
# "tdx+gpu" on a GPU the evidence attests, false for a GPU backend of an
# instance without GPU evidence; tee.gpu: required refuses to start then.
conf_of() {	# conf_of PORT KEY MODEL: the receipt's "confidential"
	curl -s -o /dev/null -D "$tmp/conf.h" "http://127.0.0.1:$1/v1/chat/completions" \
	    -H "Authorization: Bearer $2" \
	    -d "{\"model\":\"$3\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"
	p=$(sed -n 's/^Cloister-Receipt: [^.]*\.\([^.]*\)\..*/\1/p' "$tmp/conf.h" | tr -d '\r' | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null | jq -c '[.v, .confidential]'
}
gport=$(freeport)
cat >"$tmp/gpu.yaml" <<YAML
listen: 127.0.0.1:$gport
state_dir: $tmp/gpu
tee: { provider: sim, gpu: required }
backends:
  - name: up
    type: openai-compatible
    base_url: http://127.0.0.1:$upport/v1
    api_key_env: UP_KEY
    confidential: true
    models:
      - { name: up-echo, input: 1, output: 1 }
  - name: gpuup
    type: openai-compatible
    base_url: http://127.0.0.1:$upport/v1
    api_key_env: UP_KEY
    confidential: true
    gpu: true
    models:
      - { name: up-gpu, input: 1, output: 1 }
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1, output: 1 }
YAML
serve_start gpu "$tmp/gpu.yaml" || exit 1
GK=$(api_key "$tmp/gpu" gpu --credits 1000000)
[ "$(conf_of "$gport" "$GK" up-echo)" = '[2,"tdx"]' ] && ok || bad "receipt of a TD backend: $(conf_of "$gport" "$GK" up-echo)"
[ "$(conf_of "$gport" "$GK" up-gpu)" = '[2,"tdx+gpu"]' ] && ok || bad "receipt of a GPU backend with GPU evidence: $(conf_of "$gport" "$GK" up-gpu)"
[ "$(conf_of "$gport" "$GK" mock-small)" = '[2,false]' ] && ok || bad "receipt of the mock: $(conf_of "$gport" "$GK" mock-small)"
stop
export CLOISTER_GPU=none	# a test build's way to take the GPU away
expect_exit 1 "$bin" serve --config "$tmp/gpu.yaml"
grep -q 'tee.gpu is required' "$tmp/err" && ok || bad "tee.gpu required without GPU evidence: $(head -2 "$tmp/err")"
sed -e 's/gpu: required/gpu: optional/' "$tmp/gpu.yaml" >"$tmp/gpu-opt.yaml"
serve_start gpuopt "$tmp/gpu-opt.yaml" || exit 1
unset CLOISTER_GPU
grep -q 'backend gpuup computes on the GPU' "$tmp/gpuopt.err" && ok || bad "no warning about the GPU backend"
[ "$(conf_of "$gport" "$GK" up-gpu)" = '[2,false]' ] && ok || bad "receipt of a GPU backend without GPU evidence: $(conf_of "$gport" "$GK" up-gpu)"
[ "$(conf_of "$gport" "$GK" up-echo)" = '[2,"tdx"]' ] && ok || bad "receipt of a TD backend without GPU evidence"
stop
# gpu: true only says where a confidential backend computes.
sed -e '/name: demo/a\    gpu: true' "$tmp/gpu.yaml" >"$tmp/gpu-bad.yaml"
expect_exit 2 "$bin" serve --config "$tmp/gpu-bad.yaml"
grep -q 'it needs confidential: true' "$tmp/err" && ok || bad "gpu: true on a mock was accepted: $(head -2 "$tmp/err")"

# Limits: requests beyond max_inflight get 503 and cost nothing; a
# gateway out of descriptors pauses accepting instead of spinning, and
# serves again once connections close.
lport=$(freeport)
cat >"$tmp/lim.yaml" <<YAML
listen: 127.0.0.1:$lport
state_dir: $tmp/lim
tee: sim
limits: { max_inflight: 2, timeout: 10 }
backends:
  - name: slow
    type: mock
    chunk_delay_ms: 100
    models:
      - { name: mock-slow, input: 1, output: 1 }
YAML
# Not serve_start: the descriptor limit is the gateway's alone.
# shellcheck disable=SC2016	# $@ is the inner shell's
spawn lim sh -c 'ulimit -n 40; exec "$@"' sh "$bin" serve --config "$tmp/lim.yaml"
lpid=$spawned_pid
wait_url -p "$lpid" "http://127.0.0.1:$lport/healthz" -f
LK=$(api_key "$tmp/lim" lim --credits 100000)
LR=$(api_key "$tmp/lim" limread --scope read)
slow='{"model":"mock-slow","stream":true,"max_tokens":8,"messages":[{"role":"user","content":"x"}]}'
cpids=
for i in 1 2; do
	curl -s -o /dev/null "http://127.0.0.1:$lport/v1/chat/completions" -H "Authorization: Bearer $LK" -d "$slow" &
	cpids="$cpids $!"
done
sleep 0.3
code=$(curl -s -o "$tmp/busy.json" -D "$tmp/busy.h" -w '%{http_code}' "http://127.0.0.1:$lport/v1/chat/completions" -H "Authorization: Bearer $LK" -d "$slow")
[ "$code" = 503 ] && grep -q '"server_busy"' "$tmp/busy.json" && grep -qi '^Retry-After: 1' "$tmp/busy.h" && ok || bad "max_inflight: third request got $code $(cat "$tmp/busy.json")"
# shellcheck disable=SC2086
wait $cpids
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/v1/chat/completions" -H "Authorization: Bearer $LK" -d "$slow")
[ "$code" = 200 ] && ok || bad "max_inflight: after the others finished got $code"
busy=$(curl -s "http://127.0.0.1:$lport/metrics" -H "Authorization: Bearer $LR" | sed -n 's/^cloister_requests_busy_total //p')
[ "$busy" = 1 ] && ok || bad "max_inflight: busy counter $busy"
# 60 idle connections against 40 descriptors.
node -e '
const net = require("net"); const socks = [];
for (let i = 0; i < 60; i++) socks.push(net.connect(+process.argv[1], "127.0.0.1").on("error", () => {}));
setTimeout(() => { socks.forEach((s) => s.destroy()); }, 1500);
' "$lport" &
npid=$!
sleep 0.8
cpu0=$(awk '{ print $14 + $15 }' "/proc/$lpid/stat")
sleep 0.5
cpu1=$(awk '{ print $14 + $15 }' "/proc/$lpid/stat")
wait "$npid"
grep -q 'cannot accept a connection' "$tmp/lim.err" && ok || bad "out of descriptors: nothing said"
# Paused, not spinning: under 20 % of a CPU while the backlog waits.
[ $((cpu1 - cpu0)) -lt 10 ] && ok || bad "out of descriptors: $((cpu1 - cpu0)) ticks of CPU in 0.5 s"
ok_again=0
for _ in $(seq 1 30); do
	curl -sf -m 2 "http://127.0.0.1:$lport/healthz" >/dev/null 2>&1 && { ok_again=1; break; }
	sleep 0.1
done
[ "$ok_again" = 1 ] && ok || bad "out of descriptors: not serving again after the connections closed"
stop "$lpid"

# The canary: request content appears in no file the gateway wrote, in
# its logs, or in temporary files, WAL included.
hits=$(grep -rl --binary-files=text "$canary" "$state" "$tmp/serve.out" "$tmp/serve.err" 2>/dev/null)
[ -z "$hits" ] && ok || bad "canary found in: $hits"
tmphits=$(find /tmp /var/tmp -xdev -type f -newer "$start_marker" ! -path "$tmp/*" 2>/dev/null |
    xargs -r grep -l --binary-files=text "$canary" 2>/dev/null)
[ -z "$tmphits" ] && ok || bad "canary in temporary files: $tmphits"
grep -q "status=ok" "$tmp/serve.err" && ok || bad "no request log lines"

echo "gateway: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
