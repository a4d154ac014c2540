#!/bin/sh
# The serve side of workspaces: the admin API, a workspace's two sockets
# and the egress proxy's refusals (research workspace-sandbox.md §4.1 N4-N6,
# M2), driven from outside a sandbox straight at the sockets.  The whole
# script runs in a network and mount namespace it made itself: names
# resolve through a hosts file bind-mounted over /etc/hosts (allowed.test
# to 203.0.113.10, private.test to 10.1.2.3), and the "internet" is a
# node server on those addresses.
#   workspace_egress.sh CLOISTER NODE_DIR
set -u
bin=$1
node_dir=$2
if [ -z "${WS_EGRESS_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		exec env WS_EGRESS_NETNS=1 unshare -nm -- "$0" "$@"
	fi
	exec env WS_EGRESS_NETNS=1 unshare -rnm -- "$0" "$@"
fi
. "$(dirname "$0")/common.sh"

ip link set lo up && ip addr add 203.0.113.10/32 dev lo &&
    ip addr add 10.1.2.3/32 dev lo || {
	echo "workspace_egress.sh: cannot set up the test's network namespace"
	exit 1
}
cat >"$tmp/hosts" <<'HOSTS'
127.0.0.1 localhost
203.0.113.10 allowed.test evil.test denied.test AKIAZ7QWERTYUIOPLKJH.allowed.test
10.1.2.3 private.test
HOSTS
mount --bind "$tmp/hosts" /etc/hosts || {
	echo "workspace_egress.sh: cannot bind-mount a hosts file"
	exit 1
}
[ "$(getent hosts allowed.test | cut -d' ' -f1)" = 203.0.113.10 ] && ok ||
    bad "the hosts file does not resolve allowed.test"

# The destinations: HTTPS on :443 and HTTP on :80 of both addresses.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/up.key" -out "$tmp/up.pem" -days 1 -subj /CN=allowed.test \
    -addext "subjectAltName=DNS:allowed.test,DNS:evil.test,DNS:*.allowed.test" \
    2>/dev/null || { echo "workspace_egress.sh: openssl failed"; exit 1; }
cat >"$tmp/up.mjs" <<'JS'
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
const [key, cert, log] = process.argv.slice(2);
const answer = (req, res) => {
	let n = 0;
	req.on("data", (d) => { n += d.length; });
	req.on("end", () => {
		fs.appendFileSync(log, `${req.method} ${req.headers.host} ${req.url} ${n}\n`);
		res.setHeader("Content-Type", "text/plain");
		res.end(`hello from upstream ${req.method} ${n}\n`);
	});
};
for (const a of ["203.0.113.10", "10.1.2.3"]) {
	https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, answer).listen(443, a);
	http.createServer(answer).listen(80, a);
}
JS
spawn up node "$tmp/up.mjs" "$tmp/up.key" "$tmp/up.pem" "$tmp/up.log"
wait_url https://allowed.test/ --cacert "$tmp/up.pem" || exit 1

port=$(freeport)
G=http://127.0.0.1:$port
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $tmp/state
tee: sim
workspaces: { dir: $tmp/ws, max: 4 }
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
cat >"$tmp/tools.json" <<'JSON'
{"instructions": "Ticket tools.", "tools": [
 {"name": "lookup", "description": "Looks up a ticket.",
  "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}}]}
JSON
serve_start serve "$tmp/gw.yaml" || exit 1
A=$(api_key "$tmp/state" admin --scope admin)
U=$(api_key "$tmp/state" other --credits 50000000)
[ -n "$A" ] && [ -n "$U" ] && ok || bad "keys create"

# ---- the admin API --------------------------------------------------------
hex64=$(printf '%064d' 0 | tr 0 a)
manifest() {	# manifest ALLOW-JSON
	printf '{"v":1,"type":"cloister-workspace","image":{"digest":"sha256:%s"},' "$hex64"
	printf '"command":["sh"],"agent":{"name":"test","version":"1"},'
	printf '"policy":{"sha256":"%s"},"egress":{"allow":%s},' "$hex64" "$1"
	printf '"sandbox":{"landlock_abi":7,"seccomp":"sha256:%s",' "$hex64"
	printf '"limits":{"pids":64},"cgroup":"rlimits"}}'
}
allow='["allowed.test","*.allowed.test","private.test","allowed.test:8443","allowed.test:80"]'
post() {	# post BODY: POST /admin/api/workspaces; the answer in $tmp/body
	curl -s -o "$tmp/body" -w '%{http_code}' -X POST "$G/admin/api/workspaces" \
	    -H "Authorization: Bearer $A" -H 'Content-Type: application/json' -d "$1"
}
[ "$(post "{\"manifest\":$(manifest "$allow"),\"budget\":5000000,\"bogus\":1}")" = 400 ] &&
    ok || bad "an unknown member is not refused: $(cat "$tmp/body")"
[ "$(post "{\"manifest\":$(manifest "$allow"),\"egress\":{\"allow\":[\"other.test\"]}}")" = 400 ] &&
    ok || bad "an allowlist other than the manifest's is not refused"
[ "$(post "{\"manifest\":$(manifest '["203.0.113.10"]')}")" = 400 ] &&
    ok || bad "an IP literal in the allowlist is not refused"
[ "$(post "{\"manifest\":{\"v\":1,\"id\":\"ws-000000000000000000000000\"}}")" = 400 ] &&
    ok || bad "a manifest with an id is not refused"
expect_http 403 -X POST "$G/admin/api/workspaces" -H "Authorization: Bearer $U" \
    -d "{\"manifest\":$(manifest "$allow")}"
code=$(post "{\"manifest\":$(manifest "$allow"),\"budget\":5000000,\"egress\":{\"allow\":$allow,\"dlp\":true}}")
cp "$tmp/body" "$tmp/created.json"
[ "$code" = 201 ] && ok || bad "create: HTTP $code: $(cat "$tmp/body")"
WS=$(jq -r .id "$tmp/created.json")
WK=$(jq -r .key "$tmp/created.json")
WKID=$(jq -r .key_id "$tmp/created.json")
D=$(jq -r .dir "$tmp/created.json")
MSHA=$(jq -r .manifest_sha384 "$tmp/created.json")
jq -e '(.id | test("^ws-[0-9a-f]{24}$")) and (.key | startswith("sk-clo-")) and
    (.manifest_sha384 | test("^[0-9a-f]{96}$")) and .rtmr == 3' "$tmp/created.json" \
    >/dev/null && ok || bad "the 201 answer: $(cat "$tmp/created.json")"
[ "$D" = "$tmp/ws/$WS" ] && ok || bad "dir is $D"
[ "$(stat -c %a "$D")" = 700 ] && [ "$(stat -c %a "$D/gateway.sock")" = 666 ] &&
    [ "$(stat -c %a "$D/egress.sock")" = 666 ] && ok ||
    bad "modes: $(stat -c '%n %a' "$D" "$D"/*)"
grep -q "workspace $WS start: RTMR3 extended" "$tmp/serve.err" && ok ||
    bad "no RTMR3 start event logged"

# ---- egress ------------------------------------------------------------------
# curl talks to a proxy over TCP only: a relay from 127.0.0.1 to
# egress.sock stands in for the sandbox's shim (127.0.0.1:3128 inside).
cat >"$tmp/relay.py" <<'PY'
import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[2]))); l.listen(64)
while True:
    c, _ = l.accept()
    u = socket.socket(socket.AF_UNIX); u.connect(sys.argv[1])
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
rport=$(freeport)
spawn relay python3 "$tmp/relay.py" "$D/egress.sock" "$rport"
wait_url "http://127.0.0.1:$rport/" || exit 1
E="-x http://127.0.0.1:$rport"
AUDIT=$(ls "$tmp/state/audit"/egress-*.jsonl 2>/dev/null | head -1)
audited() {	# audited JQ-FILTER: some entry of the egress log matches
	jq -e -s "[.[] | select(.kind == \"entry\" and .workspace == \"$WS\") | select($1)] | length > 0" \
	    "$AUDIT" >/dev/null 2>&1
}
connect_code() {	# connect_code URL [CURL-ARG...]: the proxy's answer to CONNECT
	_u=$1
	shift
	# shellcheck disable=SC2086
	curl -s -o /dev/null -w '%{http_connect}' $E --cacert "$tmp/up.pem" "$@" "$_u"
}

# shellcheck disable=SC2086
out=$(curl -s $E --cacert "$tmp/up.pem" https://allowed.test/)
[ "$out" = "hello from upstream GET 0" ] && ok || bad "allowed CONNECT: '$out'"
audited '.request == "connect" and .host == "allowed.test" and .port == 443 and
    .decision == "allowed" and .rule == "allowed.test" and .bytes_up > 0 and .bytes_down > 0' &&
    ok || bad "no audit record with bytes for the allowed CONNECT"
[ "$(connect_code https://denied.test/)" = 403 ] && ok || bad "a host not allowed is not refused"
audited '.host == "denied.test" and .decision == "refused" and .reason == "not-allowed"' &&
    ok || bad "the refusal of denied.test is not audited"
[ "$(connect_code https://203.0.113.10/)" = 403 ] && ok || bad "an IP literal is not refused"
audited '.reason == "ip-literal"' && ok || bad "the IP literal refusal is not audited"
[ "$(connect_code https://private.test/)" = 403 ] && ok ||
    bad "an allowed name resolving to a private address is not refused"
audited '.host == "private.test" and .reason == "address-private"' && ok ||
    bad "the private-address refusal is not audited"
[ "$(connect_code https://allowed.test:8443/)" = 502 ] && ok ||
    bad "an allowed port with nothing there is not a 502"
[ "$(connect_code https://allowed.test:444/)" = 403 ] && ok || bad "another port is not refused"

# SNI: a CONNECT to allowed.test that then speaks TLS to evil.test.
cat >"$tmp/sni.mjs" <<'JS'
import net from "node:net";
import tls from "node:tls";
const [sock, host, sni] = process.argv.slice(2);
const s = net.connect(sock, () => s.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`));
let head = "";
const onData = (d) => {
	head += d.toString("latin1");
	if (!head.includes("\r\n\r\n")) return;
	s.removeListener("data", onData);
	if (!head.startsWith("HTTP/1.1 200")) { console.log("proxy " + head.split("\r\n")[0]); process.exit(0); }
	const t = tls.connect({ socket: s, servername: sni, rejectUnauthorized: false });
	t.on("secureConnect", () => { console.log("tls up"); t.end(); });
	t.on("error", (e) => { console.log("tls failed"); process.exit(0); });
	t.on("close", () => process.exit(0));
};
s.on("data", onData);
s.on("error", () => { console.log("socket error"); process.exit(0); });
JS
out=$(timeout 20 node "$tmp/sni.mjs" "$D/egress.sock" allowed.test evil.test)
[ "$out" = "tls failed" ] && ok || bad "SNI mismatch: $out"
audited '.host == "allowed.test" and .reason == "sni-mismatch" and .decision == "refused"' &&
    ok || bad "the SNI mismatch is not audited"
out=$(timeout 20 node "$tmp/sni.mjs" "$D/egress.sock" allowed.test allowed.test)
[ "$out" = "tls up" ] && ok || bad "SNI equal to the host: $out"

# Plain HTTP, and the DLP on a body, a URL and a host name.
aws=AKIAZ7QWERTYUIOPLKJH
# shellcheck disable=SC2086
[ "$(curl -s -o /dev/null -w '%{http_code}' $E http://evil.test/)" = 403 ] && ok ||
    bad "plain HTTP to a host not allowed is not refused"
# shellcheck disable=SC2086
out=$(curl -s $E http://allowed.test/path?q=1)
[ "$out" = "hello from upstream GET 0" ] && ok || bad "plain HTTP: '$out'"
grep -q '^GET allowed.test /path?q=1 0$' "$tmp/up.log" && ok || bad "plain HTTP did not arrive as sent"
# shellcheck disable=SC2086
out=$(curl -s $E -d "payload=ok" http://allowed.test/post)
[ "$out" = "hello from upstream POST 10" ] && ok || bad "plain HTTP POST: '$out'"
# shellcheck disable=SC2086
code=$(curl -s -o "$tmp/body" -w '%{http_code}' $E -d "key=$aws" http://allowed.test/post2)
[ "$code" = 403 ] && ok || bad "a secret in a body is not refused: $code"
grep -q 'POST allowed.test /post2' "$tmp/up.log" && bad "the secret reached the destination" || ok
audited '.reason == "dlp-body" and (.findings | map(.rule) | index("aws-access-key")) != null' &&
    ok || bad "the DLP refusal is not audited with its rule"
# shellcheck disable=SC2086
code=$(curl -s -o /dev/null -w '%{http_code}' $E "http://allowed.test/x?k=$aws")
[ "$code" = 403 ] && ok || bad "a secret in a URL is not refused: $code"
[ "$(connect_code "https://$aws.allowed.test/")" = 403 ] && ok ||
    bad "a secret-looking host name is not refused"
audited '.reason == "dlp-url" and (.host | startswith("sha256:"))' && ok ||
    bad "the host-name refusal is not audited by hash"
grep -qi "$aws" "$AUDIT" && bad "the secret is in the audit log" || ok
printf 'GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nX-A: 1\r\n folded\r\n\r\n' >"$tmp/fold"
out=$(timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], "rb").read()); print(s.recv(100).split(b"\r\n")[0].decode())' \
    "$D/egress.sock" "$tmp/fold")
[ "$out" = "HTTP/1.1 400 Bad Request" ] && ok || bad "obs-fold: '$out'"
printf 'POST http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc' >"$tmp/clte"
out=$(timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], "rb").read()); print(s.recv(100).split(b"\r\n")[0].decode())' \
    "$D/egress.sock" "$tmp/clte")
[ "$out" = "HTTP/1.1 400 Bad Request" ] && ok || bad "CL and TE together: '$out'"

# ---- gateway.sock ------------------------------------------------------------
chat='{"model":"mock-small","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
expect_http 403 --unix-socket "$D/gateway.sock" http://gw/v1/chat/completions \
    -H "Authorization: Bearer $U" -d "$chat"
expect_http 403 --unix-socket "$D/gateway.sock" http://gw/admin/api/workspaces \
    -H "Authorization: Bearer $A"
code=$(curl -s -D "$tmp/h" -o "$tmp/body" -w '%{http_code}' --unix-socket "$D/gateway.sock" \
    http://gw/v1/chat/completions -H "Authorization: Bearer $WK" -d "$chat")
[ "$code" = 200 ] && ok || bad "the workspace key on its socket: $code $(cat "$tmp/body")"
p=$(sed -n 's/^Cloister-Receipt: [^.]*\.\([^.]*\)\..*/\1/p' "$tmp/h" | tr -d '\r' | tr '_-' '/+')
while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
printf '%s' "$p" | base64 -d >"$tmp/claims.json" 2>/dev/null
jq -e --arg ws "$WS" --arg m "$MSHA" '.workspace == $ws and .workspace_manifest == $m' \
    "$tmp/claims.json" >/dev/null && ok || bad "the receipt does not name the workspace: $(cat "$tmp/claims.json")"
# A receipt of another key names none.
curl -s -D "$tmp/h2" -o /dev/null "$G/v1/chat/completions" -H "Authorization: Bearer $U" -d "$chat"
p=$(sed -n 's/^Cloister-Receipt: [^.]*\.\([^.]*\)\..*/\1/p' "$tmp/h2" | tr -d '\r' | tr '_-' '/+')
while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
printf '%s' "$p" | base64 -d 2>/dev/null | jq -e 'has("workspace") | not' >/dev/null && ok ||
    bad "a receipt of another key names a workspace"
sed -n 's/^Cloister-Receipt: \([^ ]*\).*/\1/p' "$tmp/h" | tr -d '\r' >"$tmp/receipt.jws"
curl -s -o "$tmp/evidence.json" "$G/v1/attestation"
expect_exit 0 "$bin" verify receipt "$tmp/receipt.jws" --evidence "$tmp/evidence.json" --allow-simulated --json
jcheck ".verified == true and .claims.workspace == \"$WS\""

# An MCP session of the workspace's key: its audit entries name it.
mcp() {	# mcp [SESSION] BODY: one message over gateway.sock
	_sid=
	[ $# -eq 2 ] && { _sid="Mcp-Session-Id: $1"; shift; }
	curl -s -D "$tmp/mh" -X POST --unix-socket "$D/gateway.sock" http://gw/mcp/tools \
	    -H "Authorization: Bearer $WK" -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' ${_sid:+-H "$_sid"} -d "$1"
}
mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}' >/dev/null
SID=$(sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$tmp/mh")
mcp "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null
mcp "$SID" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"lookup","arguments":{"id":"7"}}}' >"$tmp/out"
grep -q 'lookup: ' "$tmp/out" && ok || bad "an MCP call over gateway.sock: $(head -c 300 "$tmp/out")"
MCPLOG=$(ls "$tmp/state/audit"/mcp-*.jsonl 2>/dev/null | head -1)
jq -e -s "[.[] | select(.kind == \"entry\" and .key_id == \"$WKID\")] |
    length > 0 and all(.workspace == \"$WS\")" "$MCPLOG" >/dev/null 2>&1 && ok ||
    bad "the MCP audit entries of the workspace's key do not name it"

# ---- list and stop -----------------------------------------------------------
curl -s "$G/admin/api/workspaces" -H "Authorization: Bearer $A" >"$tmp/out"
jcheck ".workspaces[0].id == \"$WS\" and .workspaces[0].state == \"running\" and
    .workspaces[0].egress.allowed >= 3 and .workspaces[0].egress.refused >= 6 and
    .workspaces[0].spent > 0 and .workspaces[0].manifest.id == \"$WS\""
expect_http 200 -X DELETE "$G/admin/api/workspaces/$WS" -H "Authorization: Bearer $A"
expect_http 401 "$G/v1/chat/completions" -H "Authorization: Bearer $WK" -d "$chat"
[ ! -e "$D/gateway.sock" ] && [ ! -e "$D/egress.sock" ] && [ ! -e "$D" ] && ok ||
    bad "the sockets or the folder remain: $(ls -la "$D" 2>&1)"
grep -q "workspace $WS stop: RTMR3 extended" "$tmp/serve.err" && ok ||
    bad "no RTMR3 stop event logged"
curl -s "$G/admin/api/workspaces" -H "Authorization: Bearer $A" >"$tmp/out"
jcheck ".workspaces[0].state == \"ended\" and .workspaces[0].ended != null and
    .workspaces[0].egress.allowed >= 3 and .workspaces[0].egress.refused >= 6"
expect_http 200 -X DELETE "$G/admin/api/workspaces/$WS" -H "Authorization: Bearer $A"
expect_http 404 -X DELETE "$G/admin/api/workspaces/ws-000000000000000000000000" \
    -H "Authorization: Bearer $A"

# A second workspace, left running: serve's shutdown ends it.
code=$(post "{\"manifest\":$(manifest '[]')}")
[ "$code" = 201 ] && ok || bad "second create: $code $(cat "$tmp/body")"
WS2=$(jq -r .id "$tmp/body")
D2=$(jq -r .dir "$tmp/body")
# shellcheck disable=SC2086
rport2=$(freeport)
spawn relay2 python3 "$tmp/relay.py" "$D2/egress.sock" "$rport2"
wait_url "http://127.0.0.1:$rport2/" || exit 1
[ "$(curl -s -o /dev/null -w '%{http_connect}' -x "http://127.0.0.1:$rport2" \
    https://allowed.test/)" = 403 ] && ok || bad "an empty allowlist allows something"
stop
if grep -q 'Sanitizer\|runtime error' "$tmp/serve.err"; then
	bad "the sanitizers reported:"
	grep -A12 'Sanitizer\|runtime error' "$tmp/serve.err" | head -40
else ok; fi
[ ! -e "$D2" ] && ok || bad "serve's shutdown left $D2"
grep -q "workspace $WS2 ended" "$tmp/serve.err" && ok || bad "serve's shutdown did not end $WS2"
expect_exit 0 "$bin" audit verify "$AUDIT" --evidence "${AUDIT%.jsonl}.evidence.json" --allow-simulated
grep -q '"kind":"close"' "$AUDIT" && ok || bad "the egress audit log was not closed"

# A serve that dies with a workspace running: the next one revokes its key.
serve_start serve2 "$tmp/gw.yaml" || exit 1
[ "$(post "{\"manifest\":$(manifest '[]')}")" = 201 ] && ok || bad "create after restart"
WK3=$(jq -r .key "$tmp/body")
expect_http 200 "$G/v1/models" -H "Authorization: Bearer $WK3"
kill -9 "$serve_pid"
stop "$serve_pid"
serve_start serve3 "$tmp/gw.yaml" || exit 1
expect_http 401 "$G/v1/models" -H "Authorization: Bearer $WK3"
grep -q 'revoked key_.*left by an earlier run' "$tmp/serve3.err" && ok ||
    bad "the leftover key's revocation is not said"
stop

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
