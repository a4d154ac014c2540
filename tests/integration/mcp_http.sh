#!/bin/sh
# The MCP gateway over HTTP, both sides.  Toward agents: Streamable HTTP at
# /mcp/{server} on `cloister serve` (the official SDK client gets the same
# results as direct; API keys, Origin, sessions, the GET stream,
# resumption with Last-Event-ID, JSON-only agents, DELETE, 2026-07-28
# requests with their headers, cancellation by closing, DLP).  Toward
# servers: server-everything over Streamable HTTP and over the 2024-11-05
# HTTP+SSE transport, from `cloister serve` and from `cloister mcp stdio`.
# server-everything listens on every interface, so the whole test runs in
# a network namespace of its own (unshare -rn) with only loopback up.
#   mcp_http.sh CLOISTER NODE_DIR
set -u
if [ -z "${CLOISTER_IN_NETNS:-}" ]; then
	if ! unshare -rn true 2>/dev/null; then
		echo "FAIL: cannot make a network namespace (unshare -rn):" \
		    "unprivileged user namespaces are off here, or this is a" \
		    "chroot; server-everything is not started outside one"
		echo "mcp_http: 0 passed, 1 failed"
		exit 1
	fi
	exec unshare -rn env CLOISTER_IN_NETNS=1 sh "$0" "$@"
fi
ip link set lo up
bin=$1
node_dir=$2
. "$(dirname "$0")/common.sh"
ev=$node_dir/node_modules/@modelcontextprotocol/server-everything/dist/index.js
[ -f "$ev" ] || { echo "mcp_http: $node_dir lacks server-everything"; exit 1; }
client="node $node_dir/mcp-client.mjs"
aws="AKIAZ7QWERTYUIOPLKJH"
ghp="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"
evhttp=$(freeport)
evsse=$(freeport)
modern=$(freeport)
spawn ev-http env -i PATH="$PATH" FAKE_SECRET=$ghp PORT="$evhttp" node "$ev" streamableHttp
spawn ev-sse env -i PATH="$PATH" FAKE_SECRET=$ghp PORT="$evsse" node "$ev" sse
# mcp-proxy serves 2026-07-28 on its HTTP side, for server-everything.
spawn proxy "$node_dir/node_modules/.bin/mcp-proxy" --host 127.0.0.1 --port "$modern" -- \
    node "$ev" stdio

cat >"$tmp/tools.json" <<'JSON'
{"instructions": "Ticket tools.", "tools": [
 {"name": "lookup", "description": "Looks up a ticket.",
  "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
 {"name": "slow", "description": "Takes its time.", "inputSchema": {"type": "object"}}]}
JSON
port=$(freeport)
G=http://127.0.0.1:$port
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $tmp/state
tee: sim
mcp:
  max_message: 65536
  sessions_per_key: 16
  servers:
    - name: everything
      command: [ node, "$ev", stdio ]
      env: { FAKE_SECRET: "$ghp" }
    - name: evhttp
      url: http://127.0.0.1:$evhttp/mcp
    - name: evsse
      url: http://127.0.0.1:$evsse/sse
      transport: sse
    - name: modern
      url: http://127.0.0.1:$modern/mcp
    - name: tools
      command: [ node, "$node_dir/mcp-toolserver.mjs", "$tmp/tools.json" ]
      env: { TOOLSERVER_LOG: "$tmp/toolserver.log" }
YAML
# The servers answer any HTTP request once up (/sse would stream: its
# server's other paths answer 404).
wait_url "http://127.0.0.1:$evhttp/mcp"
wait_url "http://127.0.0.1:$modern/mcp"
wait_url "http://127.0.0.1:$evsse/"
serve_start serve "$tmp/gw.yaml" || exit 1
K=$(api_key "$tmp/state" agent)
K2=$(api_key "$tmp/state" other)
KR=$(api_key "$tmp/state" viewer --scope read)
[ -n "$K" ] && [ -n "$K2" ] && [ -n "$KR" ] && ok || bad "keys create"

# 1. Parity: the SDK client directly against server-everything (Streamable
# HTTP) and through the gateway to it as a stdio child, over Streamable
# HTTP and over HTTP+SSE; and the stdio bridge to the two HTTP servers.
# The last progress notification and the result leave the server at the
# same moment; their order at the client varies, direct or not.
cmp_run() {	# cmp_run NAME CLIENT-ARGS...
	name=$1
	shift
	MCP_BEARER=$K timeout 60 $client "$@" >"$tmp/$name.txt" 2>"$tmp/$name.err"
	grep -v '^progress-events' "$tmp/$name.txt" >"$tmp/$name.cmp"
	if diff "$tmp/direct.cmp" "$tmp/$name.cmp" >"$tmp/diff.txt"; then ok; else
		bad "$name: results differ from direct"
		sed 's/^/  | /' "$tmp/diff.txt" | head -10
	fi
	grep -qF "server-requests sampling=1 elicitation=1 roots=yes" \
	    "$tmp/$name.txt" && ok || bad "$name: server requests lost"
}
timeout 60 $client http "http://127.0.0.1:$evhttp/mcp" >"$tmp/direct.txt" 2>"$tmp/direct.err"
grep -v '^progress-events' "$tmp/direct.txt" >"$tmp/direct.cmp"
[ "$(wc -l <"$tmp/direct.cmp")" -ge 19 ] && ok || bad "direct run: $(cat "$tmp/direct.err" | head -3)"
cmp_run http-stdio http "$G/mcp/everything"
cmp_run http-http http "$G/mcp/evhttp"
cmp_run http-sse http "$G/mcp/evsse"
cmp_run stdio-http stdio "$bin" mcp stdio evhttp --config "$tmp/gw.yaml"
cmp_run stdio-sse stdio "$bin" mcp stdio evsse --config "$tmp/gw.yaml"
grep -q "progress-events 1/2" "$tmp/http-http.txt" && ok || bad "no progress over HTTP"

# 2. DLP over HTTP, both ways.
call() { MCP_BEARER=$K $client call http "$G/mcp/$1" -- "$2" "$3" 2>>"$tmp/call.err"; }
call evhttp echo "{\"message\":\"deploy with $aws now\"}" >"$tmp/out"
grep -q "ERROR -32060.*aws-access-key" "$tmp/out" && ok || bad "AWS key not blocked: $(cat "$tmp/out")"
call everything get-env '{}' >"$tmp/out"
grep -q 'REDACTED:github-token#1' "$tmp/out" && ok || bad "secret in a result not redacted: $(head -c 300 "$tmp/out")"
call evhttp get-env '{}' >"$tmp/out"
grep -q 'REDACTED:github-token#1' "$tmp/out" && ok || bad "HTTP server's secret not redacted: $(head -c 300 "$tmp/out")"
grep -qF "$ghp" "$tmp/out" && bad "the server's secret reached the agent" || ok

# 3. The endpoint's refusals.
J='Content-Type: application/json'
A='Accept: application/json, text/event-stream'
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}'
expect_http 401 -X POST "$G/mcp/everything" -H "$J" -H "$A" -d "$INIT"
expect_http 401 -X POST "$G/mcp/everything" -H "Authorization: Bearer sk-clo-nope" -H "$J" -H "$A" -d "$INIT"
expect_http 403 -X POST "$G/mcp/everything" -H "Authorization: Bearer $KR" -H "$J" -H "$A" -d "$INIT"
expect_http 403 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K" -H "Origin: http://evil.example" -H "$J" -H "$A" -d "$INIT"
expect_http 404 -X POST "$G/mcp/nosuch" -H "Authorization: Bearer $K" -H "$J" -H "$A" -d "$INIT"
expect_http 400 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K" -H "$J" -H "$A" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_http 400 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K" -H "$J" -H "$A" -d '{"jsonrpc":'
expect_http 404 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K" -H "Mcp-Session-Id: 00112233445566778899aabbccddeeff" -H "$J" -H "$A" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_http 406 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K" -H "$J" -H "Accept: text/html" -d "$INIT"
expect_http 405 "$G/mcp/everything" -H "Authorization: Bearer $K" -H "Accept: text/event-stream"
head -c 70000 /dev/zero | tr '\0' 'a' >"$tmp/big"
expect_http 413 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K" -H "$J" -H "$A" --data-binary @"$tmp/big"

# Sessions per key: one key cannot take every session (each may be a
# child process and its buffers); another key still gets one.
K3=$(api_key "$tmp/state" greedy)
got=0
for _ in $(seq 1 16); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$G/mcp/evhttp" -H "Authorization: Bearer $K3" -H "$J" -H "$A" -d "$INIT")" = 200 ] && got=$((got + 1))
done
[ "$got" = 16 ] && ok || bad "sessions per key: only $got of 16 opened"
expect_http 503 -X POST "$G/mcp/evhttp" -H "Authorization: Bearer $K3" -H "$J" -H "$A" -d "$INIT"
grep -q 'too many MCP sessions for this key' "$tmp/body" && ok || bad "the 17th session: $(head -c 200 "$tmp/body")"
expect_http 200 -X POST "$G/mcp/evhttp" -H "Authorization: Bearer $K2" -H "$J" -H "$A" -d "$INIT"

# 4. A session by hand: initialize, a JSON-only agent, another key, the GET
# stream, resumption after a broken answer, DELETE.
auth="Authorization: Bearer $K"
curl -s -D "$tmp/h1" -o "$tmp/init.sse" -X POST "$G/mcp/everything" -H "$auth" -H "$J" -H "$A" -d "$INIT"
SID=$(sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$tmp/h1")
[ ${#SID} -eq 32 ] && ok || bad "no session id: $(cat "$tmp/h1")"
grep -q '^id: [0-9]*-1$' "$tmp/init.sse" && grep -q '"protocolVersion":"2025-06-18"' "$tmp/init.sse" &&
    ok || bad "initialize answer: $(head -c 300 "$tmp/init.sse")"
S="Mcp-Session-Id: $SID"
V="MCP-Protocol-Version: 2025-06-18"
expect_http 202 -X POST "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "$J" -H "$A" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
expect_http 404 -X POST "$G/mcp/everything" -H "Authorization: Bearer $K2" -H "$S" -H "$J" -H "$A" -d '{"jsonrpc":"2.0","id":3,"method":"tools/list"}'
curl -s -D "$tmp/h2" -o "$tmp/out" -X POST "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "$J" \
    -H "Accept: application/json" -d '{"jsonrpc":"2.0","id":"j1","method":"tools/call","params":{"name":"get-sum","arguments":{"a":2,"b":3}}}'
grep -qi '^content-type: application/json' "$tmp/h2" && jq -e '.id == "j1" and (.result.content[0].text | test("5"))' \
    "$tmp/out" >/dev/null && ok || bad "JSON-only answer: $(head -c 300 "$tmp/out")"
# A broken answer stream, taken up again: the first progress event, then
# the connection drops; GET with its id brings the rest and the result.
curl -s -N -m 1.6 -o "$tmp/part.sse" -X POST "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "$J" -H "$A" \
    -d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":3,"steps":3},"_meta":{"progressToken":"pt"}}}'
last=$(sed -n 's/^id: //p' "$tmp/part.sse" | tail -1)
grep -q '"progress":1' "$tmp/part.sse" && [ -n "$last" ] && ok || bad "no first progress event: $(cat "$tmp/part.sse")"
grep -q '"id":7' "$tmp/part.sse" && bad "the result came before the break" || ok
curl -s -N -m 8 -o "$tmp/rest.sse" "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "Accept: text/event-stream" \
    -H "Last-Event-ID: $last"
grep -q '"progress":3' "$tmp/rest.sse" && grep -q '"id":7,"result"\|"result".*"id":7' "$tmp/rest.sse" &&
    ok || bad "resumed stream: $(head -c 400 "$tmp/rest.sse")"
grep -q '"progress":1' "$tmp/rest.sse" && bad "an event was replayed twice" || ok
# The GET stream receives what the server sends unprompted.
curl -s -N -m 3 -o "$tmp/get.sse" "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "Accept: text/event-stream" &
gp=$!
sleep 0.5
expect_http 409 -m 1 "$G/mcp/everything" -H "$auth" -H "$S" -H "Accept: text/event-stream"
curl -s -o /dev/null -m 3 -X POST "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "$J" -H "$A" \
    -d '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"toggle-subscriber-updates","arguments":{}}}'
curl -s -o /dev/null -m 3 -X POST "$G/mcp/everything" -H "$auth" -H "$S" -H "$V" -H "$J" -H "$A" \
    -d '{"jsonrpc":"2.0","id":9,"method":"resources/subscribe","params":{"uri":"demo://resource/static/document/architecture.md"}}'
wait $gp
grep -q 'notifications/' "$tmp/get.sse" && ok || bad "nothing on the GET stream: $(head -c 300 "$tmp/get.sse")"
expect_http 204 -X DELETE "$G/mcp/everything" -H "$auth" -H "$S"
expect_http 404 -X POST "$G/mcp/everything" -H "$auth" -H "$S" -H "$J" -H "$A" -d '{"jsonrpc":"2.0","id":10,"method":"ping"}'

# 5. 2026-07-28 over HTTP: no session, headers that must match the body,
# ids unique per request even when two agents use the same, and closing
# the answer cancels the call at the server.
M='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"0"},"io.modelcontextprotocol/clientCapabilities":{}}'
N="MCP-Protocol-Version: 2026-07-28"
curl -s -o "$tmp/out" -X POST "$G/mcp/tools" -H "$auth" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: server/discover" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":\"d\",\"method\":\"server/discover\",\"params\":{$M}}"
grep -q '"supportedVersions":\["2026-07-28"\]' "$tmp/out" && ok || bad "discover: $(cat "$tmp/out")"
curl -s -N -o "$tmp/slow.sse" -X POST "$G/mcp/tools" -H "$auth" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: tools/call" \
    -H "Mcp-Name: slow" -d "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{},$M}}" &
sp=$!
sleep 0.3
curl -s -o "$tmp/out" -X POST "$G/mcp/tools" -H "$auth" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: tools/call" \
    -H "Mcp-Name: lookup" -d "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"lookup\",\"arguments\":{\"id\":\"T-9\"},$M}}"
grep -q '"id":5' "$tmp/out" && grep -q 'lookup: {\\"id\\":\\"T-9\\"}' "$tmp/out" && grep -q '"resultType":"complete"' "$tmp/out" &&
    ok || bad "2026-07-28 call: $(cat "$tmp/out")"
wait $sp
grep -q '"id":5' "$tmp/slow.sse" && grep -q 'slow done' "$tmp/slow.sse" && ok ||
    bad "the same id in two requests: $(cat "$tmp/slow.sse")"
expect_http 400 -X POST "$G/mcp/tools" -H "$auth" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: tools/call" -H "Mcp-Name: other" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"lookup\",\"arguments\":{},$M}}"
grep -q '"code":-32020' "$tmp/body" && ok || bad "no -32020: $(cat "$tmp/body")"
expect_http 400 -X POST "$G/mcp/tools" -H "$auth" -H "$J" -H "$A" -H "MCP-Protocol-Version: 2099-01-01" -H "Mcp-Method: ping" \
    -d '{"jsonrpc":"2.0","id":6,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01"}}}'
grep -q '"code":-32022' "$tmp/body" && ok || bad "no -32022: $(cat "$tmp/body")"
curl -s -o /dev/null -m 0.5 -X POST "$G/mcp/tools" -H "$auth" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: tools/call" \
    -H "Mcp-Name: slow" -d "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{},$M}}"
sleep 0.5
grep -q 'toolserver: cancelled' "$tmp/toolserver.log" 2>/dev/null && ok ||
    bad "closing the answer did not cancel the call"
expect_http 405 "$G/mcp/tools" -H "$auth" -H "Accept: text/event-stream"
# A 2026-07-28 server over HTTP (mcp-proxy): the same answer direct and
# through the gateway, which sends the era's headers on its own requests.
E="{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"},$M}}"
curl -s -o "$tmp/m-direct" -X POST "http://127.0.0.1:$modern/mcp" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: tools/call" \
    -H "Mcp-Name: echo" -d "$E"
curl -s -o "$tmp/m-through" -X POST "$G/mcp/modern" -H "$auth" -H "$J" -H "$A" -H "$N" -H "Mcp-Method: tools/call" \
    -H "Mcp-Name: echo" -d "$E"
jq -c '.result.content' "$tmp/m-direct" >"$tmp/m1" 2>/dev/null
sed -n 's/^data: //p' "$tmp/m-through" | jq -c 'select(.id == 2) | .result.content' >"$tmp/m2" 2>/dev/null
[ -s "$tmp/m1" ] && cmp -s "$tmp/m1" "$tmp/m2" && ok ||
    bad "2026-07-28 server: direct $(cat "$tmp/m-direct") through $(head -c 300 "$tmp/m-through")"
sed -n 's/^data: //p' "$tmp/m-through" | grep -q '"resultType":"complete"' && ok || bad "no resultType through"

# 6. The gateway ended cleanly (the test build runs with ASan and UBSan);
# the serve log verifies against its evidence; no secret anywhere.
stop_all
if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$tmp/serve.err"; then
	bad "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$tmp/serve.err")"
else ok; fi
n=0
for log in "$tmp"/state/audit/*.jsonl; do
	n=$((n + 1))
	expect_exit 0 "$bin" audit verify "$log" --evidence "${log%.jsonl}.evidence.json" --allow-simulated
done
[ "$n" -ge 3 ] && ok || bad "only $n audit logs"
grep -q '"era":"2026-07-28"' "$tmp"/state/audit/*.jsonl && ok || bad "no 2026-07-28 era in the serve log"
if grep -rlaF -e "$aws" -e "$ghp" "$tmp/state" "$tmp/serve.out" "$tmp/serve.err" >/dev/null; then
	bad "a secret is on disk or in the gateway's output"
else ok; fi

echo "mcp_http: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
