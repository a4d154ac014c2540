#!/bin/sh
# The console: security of the admin API with curl (nothing answers
# without a session, CSRF, read-only keys, user keys, cookie attributes,
# idle expiry, sign-out, no request content in any answer), then the page
# end to end in headless Chromium (tests/node/console.mjs), whose
# screenshots are kept in SHOTS for a human to look at.
#   console.sh CLOISTER NODE_DIR SHOTS
set -u
bin=$1
node_dir=$2
shots=$3
. "$(dirname "$0")/common.sh"
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] && [ -d "$node_dir/node_modules/playwright-core" ] || {
	echo "console: needs $chromium and playwright-core (scripts/bootstrap)"
	exit 1
}
port=$(freeport)
G=http://127.0.0.1:$port
canary="CANARY-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
aws="AKIAZ7QWERTYUIOPLKJH"
mkdir -p "$shots"
rm -f "$shots"/*.png

cat >"$tmp/tools.json" <<'JSON'
{"instructions": "Ticket tools.", "tools": [
 {"name": "lookup", "description": "Looks up a ticket.",
  "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}}]}
JSON
config() {	# config FILE PORT STATE IDLE
	cat >"$1" <<YAML
listen: 127.0.0.1:$2
state_dir: $3
tee: sim
console: { idle: $4 }
backends:
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 2000000 }
mcp:
  servers:
    - name: tools
      command: [ node, "$node_dir/mcp-toolserver.mjs", "$tmp/tools.json" ]
YAML
}
config "$tmp/gw.yaml" "$port" "$tmp/state" 900
serve_start serve "$tmp/gw.yaml" || exit 1
A=$(api_key "$tmp/state" admin --scope admin)
R=$(api_key "$tmp/state" viewer --scope read)
U=$(api_key "$tmp/state" dev --credits 50000000 --scope user)
[ -n "$A" ] && [ -n "$R" ] && [ -n "$U" ] && ok || bad "keys create"

# What the console shows: requests carrying a canary, a tool call blocked
# for a credential, and a tool whose description changed after pinning.
for i in 1 2; do
	curl -s -o /dev/null "$G/v1/chat/completions" -H "Authorization: Bearer $U" \
	    -H 'Content-Type: application/json' \
	    -d "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"$canary $i\"}]}"
done
J='Content-Type: application/json'
AC='Accept: application/json, text/event-stream'
mcp_session() {	# mcp_session: initialize + initialized; the session id in $SID
	curl -s -D "$tmp/h" -o /dev/null -X POST "$G/mcp/tools" -H "Authorization: Bearer $U" -H "$J" -H "$AC" \
	    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}'
	SID=$(sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$tmp/h")
	curl -s -o /dev/null -X POST "$G/mcp/tools" -H "Authorization: Bearer $U" -H "Mcp-Session-Id: $SID" \
	    -H "$J" -H "$AC" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}
mcp_call() {	# mcp_call ARGS-JSON
	curl -s -X POST "$G/mcp/tools" -H "Authorization: Bearer $U" -H "Mcp-Session-Id: $SID" -H "$J" -H "$AC" \
	    -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"lookup\",\"arguments\":$1}}"
}
mcp_session
mcp_call "{\"id\":\"$canary\"}" >"$tmp/out"
grep -q 'lookup: ' "$tmp/out" && ok || bad "first call: $(head -c 300 "$tmp/out")"
mcp_call "{\"id\":\"$aws\"}" >"$tmp/out"
grep -q '"code":-32060' "$tmp/out" && ok || bad "credential not blocked: $(head -c 300 "$tmp/out")"
sed -i 's/Looks up a ticket./Looks up a ticket, then mails it./' "$tmp/tools.json"
mcp_session
mcp_call '{"id":"T-2"}' >"$tmp/out"
grep -q '"code":-32060' "$tmp/out" && ok || bad "changed tool not blocked: $(head -c 300 "$tmp/out")"

# 1. Nothing answers without a session.
for p in instance evidence requests requests/x keys usage tools pins session; do
	expect_http 401 "$G/admin/api/$p"
done
expect_http 401 -X POST "$G/admin/api/keys" -H "$J" -d '{"name":"x"}'
expect_http 401 -X POST "$G/admin/api/pins/approve" -H "$J" -d '{"server":"tools"}'
expect_http 401 "$G/admin/api/requests" -H "Cookie: cloister_session=$(printf '%064d' 0)"
expect_http 200 "$G/console"
grep -q "$canary\|key_" "$tmp/body" && bad "the page itself holds data" || ok
expect_http 404 "$G/console/../ledger.db"
expect_http 404 "$G/console/.env"

# 2. Sign-in: only admin and read keys; the cookie's attributes.
expect_http 401 -X POST "$G/admin/api/session" -H "$J" -d '{"key":"sk-clo-nope"}'
expect_http 403 -X POST "$G/admin/api/session" -H "$J" -d "{\"key\":\"$U\"}"
curl -s -D "$tmp/ah" -o "$tmp/a.json" -X POST "$G/admin/api/session" -H "$J" -d "{\"key\":\"$A\"}"
grep -i '^set-cookie: cloister_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' "$tmp/ah" >/dev/null &&
    ok || bad "cookie: $(grep -i set-cookie "$tmp/ah")"
grep -qi '^content-security-policy: default-src .self.' "$tmp/ah" && ok || bad "no CSP"
AK="Cookie: $(sed -n 's/^[Ss]et-[Cc]ookie: \(cloister_session=[0-9a-f]*\).*/\1/p' "$tmp/ah")"
CS=$(jq -r .csrf "$tmp/a.json")
[ ${#CS} -eq 64 ] && ok || bad "no CSRF token: $(cat "$tmp/a.json")"

# 3. CSRF: a change without the token, or with another, is refused.
expect_http 403 -X POST "$G/admin/api/keys" -H "$AK" -H "$J" -d '{"name":"x"}'
expect_http 403 -X POST "$G/admin/api/keys" -H "$AK" -H "X-CSRF-Token: $(printf '%064d' 1)" -H "$J" -d '{"name":"x"}'
expect_http 403 -X DELETE "$G/admin/api/session" -H "$AK"
expect_http 201 -X POST "$G/admin/api/keys" -H "$AK" -H "X-CSRF-Token: $CS" -H "$J" -d '{"name":"scripted","scope":"user"}'
jq -e '.key | startswith("sk-clo-")' "$tmp/body" >/dev/null && ok || bad "created key: $(cat "$tmp/body")"

# 4. A read key may look, not change -- signed in or as a Bearer.
curl -s -D "$tmp/rh" -o "$tmp/r.json" -X POST "$G/admin/api/session" -H "$J" -d "{\"key\":\"$R\"}"
RK="Cookie: $(sed -n 's/^[Ss]et-[Cc]ookie: \(cloister_session=[0-9a-f]*\).*/\1/p' "$tmp/rh")"
RC=$(jq -r .csrf "$tmp/r.json")
jq -e '.scope == "read"' "$tmp/r.json" >/dev/null && ok || bad "read session: $(cat "$tmp/r.json")"
expect_http 200 "$G/admin/api/requests" -H "$RK"
expect_http 403 -X POST "$G/admin/api/keys" -H "$RK" -H "X-CSRF-Token: $RC" -H "$J" -d '{"name":"x"}'
expect_http 403 -X POST "$G/admin/api/credits" -H "$RK" -H "X-CSRF-Token: $RC" -H "$J" -d "{\"key_id\":\"$(cat "$tmp/dev.id")\",\"amount\":5}"
expect_http 403 -X POST "$G/admin/api/pins/approve" -H "$RK" -H "X-CSRF-Token: $RC" -H "$J" -d '{"server":"tools"}'
expect_http 403 -X POST "$G/admin/api/keys/$(cat "$tmp/dev.id")/revoke" -H "$RK" -H "X-CSRF-Token: $RC" -H "$J" -d '{}'
expect_http 200 "$G/admin/api/keys" -H "Authorization: Bearer $R"
expect_http 403 -X POST "$G/admin/api/keys" -H "Authorization: Bearer $R" -H "$J" -d '{"name":"x"}'
expect_http 403 "$G/admin/api/keys" -H "Authorization: Bearer $U"
expect_http 200 -X DELETE "$G/admin/api/session" -H "$RK" -H "X-CSRF-Token: $RC"
expect_http 401 "$G/admin/api/requests" -H "$RK"

# 5. No request content in any answer: every GET endpoint, each request.
: >"$tmp/all"
for p in instance requests keys usage tools pins session; do
	curl -s "$G/admin/api/$p" -H "$AK" >>"$tmp/all"
done
for id in $(curl -s "$G/admin/api/requests" -H "$AK" | jq -r '.requests[].id'); do
	curl -s "$G/admin/api/requests/$id" -H "$AK" >>"$tmp/all"
done
[ "$(jq -r '.requests | length' <<EOF
$(curl -s "$G/admin/api/requests" -H "$AK")
EOF
)" -ge 2 ] && ok || bad "requests not listed"
grep -q "$canary" "$tmp/all" && bad "request content in an API answer" || ok
grep -q "$aws" "$tmp/all" && bad "a blocked secret in an API answer" || ok
grep -q '"aws-access-key"' "$tmp/all" && ok || bad "the blocked call's rule is not shown"
# An audit log someone else wrote into the state directory verifies only
# against the key its own first line names, and the console says so; the
# gateway's own log is checked against this instance's key.
state=$(sed -n 's/^state_dir: *//p' "$tmp/gw.yaml")
printf '{"seq":0,"kind":"start","format":"cloister-audit/1","time":"2026-01-01T00:00:00Z","key":"%s","evidence":"%s","prev":"%s"}\n' \
    "$(printf '%0128d' 7)" "$(printf '%064d' 7)" "$(printf '%064d' 0)" >"$state/audit/mcp-20260101T000000Z-1.jsonl"
curl -s "$G/admin/api/tools" -H "$AK" >"$tmp/tools-api.json"
jq -e '(.logs[] | select(.file == "mcp-20260101T000000Z-1.jsonl") | .signed_by | startswith("the key its own first line")) and
    ([.logs[] | select(.signed_by == "this instance" and .ok)] | length == 1)' "$tmp/tools-api.json" >/dev/null &&
    ok || bad "audit logs' keys: $(jq -c '[.logs[] | {file, ok, signed_by}]' "$tmp/tools-api.json")"
rm -f "$state/audit/mcp-20260101T000000Z-1.jsonl"

# 6. The browser.
node "$node_dir/console.mjs" "$G" "$A" "$U" "$(cat "$tmp/dev.id")" "$shots" >"$tmp/browser.out" 2>&1
brc=$?
sed 's/^/  /' "$tmp/browser.out" | grep -v '^  ok ' || true
[ "$brc" -eq 0 ] && ok || bad "browser checks failed"
n=$(ls "$shots"/*.png 2>/dev/null | wc -l)
[ "$n" -ge 10 ] && ok || bad "only $n screenshots"
stop

# 7. Idle expiry (a second gateway, idle 2 s, its own state).
port2=$(freeport)
G2=http://127.0.0.1:$port2
config "$tmp/gw2.yaml" "$port2" "$tmp/state2" 2
serve_start serve "$tmp/gw2.yaml" || exit 1
A2=$(api_key "$tmp/state2" a --scope admin)
curl -s -D "$tmp/eh" -o /dev/null -X POST "$G2/admin/api/session" -H "$J" -d "{\"key\":\"$A2\"}"
EK="Cookie: $(sed -n 's/^[Ss]et-[Cc]ookie: \(cloister_session=[0-9a-f]*\).*/\1/p' "$tmp/eh")"
expect_http 200 "$G2/admin/api/requests" -H "$EK"
sleep 3
expect_http 401 "$G2/admin/api/requests" -H "$EK"
# Guessing keys: after ten failures a minute, 429 -- even for a good key.
for _ in $(seq 1 10); do
	curl -s -o /dev/null -X POST "$G2/admin/api/session" -H "$J" -d '{"key":"sk-clo-guess"}'
done
expect_http 429 -X POST "$G2/admin/api/session" -H "$J" -d "{\"key\":\"$A2\"}"
# ... from that address only: an administrator elsewhere still signs in.
expect_http 200 --interface 127.0.0.2 -X POST "$G2/admin/api/session" -H "$J" -d "{\"key\":\"$A2\"}"
# The Bearer path is throttled the same way.
for _ in $(seq 1 10); do
	curl -s -o /dev/null --interface 127.0.0.3 "$G2/admin/api/keys" -H "Authorization: Bearer sk-clo-guess"
done
expect_http 429 --interface 127.0.0.3 "$G2/admin/api/keys" -H "Authorization: Bearer $A2"
expect_http 200 --interface 127.0.0.2 "$G2/admin/api/keys" -H "Authorization: Bearer $A2"
# A key refused for its scope, from many addresses, is throttled as a key.
U2=$(api_key "$tmp/state2" u)
for i in $(seq 10 19); do
	curl -s -o /dev/null --interface "127.0.0.$i" "$G2/admin/api/keys" -H "Authorization: Bearer $U2"
done
expect_http 429 --interface 127.0.0.30 "$G2/admin/api/keys" -H "Authorization: Bearer $U2"
expect_http 200 --interface 127.0.0.30 "$G2/admin/api/keys" -H "Authorization: Bearer $A2"
stop
if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$tmp/serve.err"; then
	bad "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$tmp/serve.err")"
else ok; fi
grep -q "$canary" "$tmp/serve.err" "$tmp/serve.out" && bad "request content in the gateway's output" || ok

echo "console: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
