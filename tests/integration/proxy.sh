#!/bin/sh
# cloister proxy end to end: the openai npm client -> cloister proxy ->
# cloister serve (attested TLS, simulated TEE) -> mock backend, streamed
# and not; the certificate's evidence extension; then each attack fails
# closed with its reason: simulated evidence without the flag, a man in
# the middle with another TLS key, another instance's evidence, a stale
# nonce, a tampered receipt, an answer altered in transit (whole and
# streamed), evidence that fails the policy.
#   proxy.sh CLOISTER NODE_DIR
set -u
bin=$1
node_dir=$2
. "$(dirname "$0")/common.sh"
base=18800
A=$base B=$((base + 1))
relay="node $node_dir/evil-relay.mjs"
pids=
bg() { "$@" & pids="$pids $!"; }
stopall() { for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=; }
trap 'stopall; rm -rf "$tmp"' EXIT

gateway() {	# gateway NAME PORT
	cat >"$tmp/$1.yaml" <<YAML
listen: 127.0.0.1:$2
state_dir: $tmp/$1
tee: sim
tls: { attested: true }
backends:
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 2000000 }
      - { name: mock-embed, input: 100000 }
YAML
	bg "$bin" serve --config "$tmp/$1.yaml" 2>>"$tmp/$1.err"
	echo "$!" >"$tmp/$1.pid"
}
wait_url() {	# wait_url URL [curl args]
	u=$1
	shift
	for _ in $(seq 1 100); do
		curl -sk -o /dev/null "$@" "$u" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "not up: $u"
	return 1
}
gateway a $A
gateway b $B
wait_url "https://127.0.0.1:$A/healthz" && wait_url "https://127.0.0.1:$B/healthz" || exit 1
key() {	# key STATE: a user key with credits
	k=$("$bin" keys create --state "$tmp/$1" --name dev 2>"$tmp/key.err")
	"$bin" credits add "$(sed -n 's/^cloister: created \(key_[0-9a-f]*\).*/\1/p' "$tmp/key.err")" \
	    100000000 --state "$tmp/$1" >/dev/null
	echo "$k"
}
KA=$(key a)
KB=$(key b)

port=$((base + 10))
proxy() {	# proxy UPSTREAM [ARGS]: a proxy on the next port, its URL in $P
	port=$((port + 1))
	u=$1
	shift
	bg "$bin" proxy --upstream "$u" --listen "127.0.0.1:$port" "$@" 2>>"$tmp/proxy-$port.err"
	P=http://127.0.0.1:$port
	wait_url "$P/cloister/status"
}
chat() {	# chat KEY [stream]: POST a chat through $P; body in $tmp/out
	s=false
	[ "${2:-}" = stream ] && s=true
	curl -s -N -o "$tmp/out" -w '%{http_code}' "$P/v1/chat/completions" -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' \
	    -d "{\"model\":\"mock-small\",\"stream\":$s,\"messages\":[{\"role\":\"user\",\"content\":\"a question\"}]}"
}
refused() {	# refused WHAT PATTERN: the last answer failed closed for PATTERN
	echo "  $1: $(tr -d '\\' <"$tmp/out" | sed -n 's/.*"message":"\(.*\)","type".*/\1/p' | head -1 | cut -c1-190)"
	if grep -q "$2" "$tmp/out"; then ok; else
		bad "$1: not refused for '$2': $(head -c 300 "$tmp/out")"
	fi
}

# 1. The real thing: the openai client through a verifying proxy.
proxy "https://127.0.0.1:$A" --allow-simulated
node "$node_dir/proxy-client.mjs" "$P/v1" "$KA" >"$tmp/client.out" 2>&1 && ok ||
    bad "openai client through the proxy: $(grep -v '^ok' "$tmp/client.out")"
curl -s "$P/cloister/status" >"$tmp/status.json"
jq -e '.verified and .pinned and .simulated and .receipts_verified >= 3 and .failures == 0' \
    "$tmp/status.json" >/dev/null && ok || bad "status: $(cat "$tmp/status.json")"
grep -q "TLS key pinned" "$tmp/proxy-$port.err" && ok || bad "no pinning reported"
[ "$(chat "$KA" stream)" = 200 ] && grep -q '^: cloister-receipt ' "$tmp/out" &&
    ! grep -q cloister_verification_failed "$tmp/out" && ok || bad "stream: $(tail -c 300 "$tmp/out")"

# The certificate carries the start-up evidence, whose TLS key is its own.
echo | openssl s_client -connect "127.0.0.1:$A" 2>/dev/null | openssl x509 >"$tmp/cert.pem" 2>/dev/null
spki=$(openssl x509 -in "$tmp/cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
openssl x509 -in "$tmp/cert.pem" -noout -text | grep -q '2.25.294609445972049847500568966082534628684' &&
    ok || bad "no evidence extension in the certificate"
curl -sk "https://127.0.0.1:$A/v1/attestation" | jq -r .evidence.tls_spki_sha256 >"$tmp/spki"
[ "$(cat "$tmp/spki")" = "$spki" ] && ok || bad "evidence binds $(cat "$tmp/spki"), the certificate has $spki"

# The gateway restarts (a new instance, a new TLS key): the pinned
# connection fails closed, then the proxy verifies the new instance.
P1=$P
kill "$(cat "$tmp/a.pid")"
wait "$(cat "$tmp/a.pid")" 2>/dev/null
bg "$bin" serve --config "$tmp/a.yaml" 2>>"$tmp/a.err"
wait_url "https://127.0.0.1:$A/healthz"
code=$(chat "$KA")
[ "$code" = 502 ] && grep -q "another TLS key\|cannot be reached" "$tmp/out" && ok ||
    bad "a restarted gateway was not caught: $code $(head -c 300 "$tmp/out")"
[ "$(chat "$KA")" = 200 ] && ok || bad "the new instance was not verified: $(head -c 300 "$tmp/out")"
v1=$(curl -s "$P1/cloister/status" | jq -r .instance_key)
[ -n "$v1" ] && [ "$v1" != "$(jq -r .instance_key "$tmp/status.json")" ] && ok ||
    bad "the proxy still names the old instance"

# 2. Simulated evidence without --allow-simulated.
proxy "https://127.0.0.1:$A"
[ "$(chat "$KA")" = 502 ] && ok || bad "simulated accepted without the flag"
refused "simulated" "SIMULATED"

# 3. A man in the middle with its own TLS key, relaying everything.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=evil \
    -keyout "$tmp/evil.key" -out "$tmp/evil.crt" -days 2 2>/dev/null
bg $relay tls $((base + 30)) "https://127.0.0.1:$A" "" "$tmp/evil.crt" "$tmp/evil.key"
wait_url "https://127.0.0.1:$((base + 30))/healthz"
proxy "https://127.0.0.1:$((base + 30))" --allow-simulated
[ "$(chat "$KA")" = 502 ] && ok || bad "a man in the middle was accepted"
refused "man in the middle" "someone else is in the middle"

# The attacks below need a plain-HTTP relay, where the proxy cannot pin the
# channel: they show that evidence and receipts still catch them.
attack() {	# attack MODE PORT: a relay in MODE and a proxy through it
	bg $relay "$1" "$2" "https://127.0.0.1:$A" "https://127.0.0.1:$B"
	wait_url "http://127.0.0.1:$2/healthz"
	proxy "http://127.0.0.1:$2" --allow-simulated
}
attack pass $((base + 31))
[ "$(chat "$KA")" = 200 ] && ok || bad "the unchanged relay (control): $(head -c 300 "$tmp/out")"
grep -q "NOT pinned" "$tmp/proxy-$port.err" && ok || bad "http upstream not reported as unpinned"

# 4. Another instance's evidence in front of this one's answers.
attack split $((base + 32))
[ "$(chat "$KB")" = 502 ] && ok || bad "another instance's evidence was accepted"
refused "another instance" "evidence id"

# 5. A stale nonce: old evidence replayed.
attack replay $((base + 33))
curl -s -o /dev/null "http://127.0.0.1:$((base + 33))/v1/attestation?nonce=00"	# the relay keeps this one
kill "$(echo $pids | awk '{print $NF}')" 2>/dev/null	# that proxy verified before the replay began
proxy "http://127.0.0.1:$((base + 33))" --allow-simulated
[ "$(chat "$KA")" = 502 ] && ok || bad "a replayed nonce was accepted"
refused "stale nonce" "nonce"

# 6. A tampered receipt; 7. an altered answer, whole and streamed.
attack tamper-receipt $((base + 34))
[ "$(chat "$KA")" = 502 ] && ok || bad "a tampered receipt was accepted"
refused "tampered receipt" "receipt signature"
attack alter-body $((base + 35))
[ "$(chat "$KA")" = 502 ] && ok || bad "an altered answer was passed on"
refused "altered answer" "response body"
attack alter-stream $((base + 36))
chat "$KA" stream >/dev/null
refused "altered stream" "response body"

# 8. Evidence that fails the policy: an MRTD the policy does not expect.
printf 'td:\n  mrtd: [%s]\n' "$(printf '%096d' 0)" >"$tmp/policy.yaml"
proxy "https://127.0.0.1:$A" --allow-simulated --policy "$tmp/policy.yaml"
[ "$(chat "$KA")" = 502 ] && ok || bad "evidence failing the policy was accepted"
refused "policy" "policy.mrtd"
curl -s "$P/cloister/status" | jq -e '.verified == false and (.reason | length > 0)' >/dev/null &&
    ok || bad "status after a refusal: $(curl -s "$P/cloister/status")"

# Collateral from a PCCS instead of the bundle: one that has nothing for
# this platform's FMSPC fails closed, and says where it asked.
mkdir -p "$tmp/pccs" && cp "$tmp/evil.crt" "$tmp/pccs/tcb_signing_cert.pem"
bg node "$node_dir/fake-pccs.mjs" "$tmp/pccs" $((base + 40)) >"$tmp/pccs.log" 2>&1
wait_url "http://127.0.0.1:$((base + 40))/" || true
proxy "https://127.0.0.1:$A" --allow-simulated --pccs "http://127.0.0.1:$((base + 40))"
[ "$(chat "$KA")" = 502 ] && ok || bad "missing PCCS collateral was not refused"
refused "PCCS" "tcb?fmspc=[0-9A-F]\{12\} answered HTTP 404"

# Bad invocations.
expect_exit 2 "$bin" proxy
expect_exit 1 "$bin" proxy --upstream "http://example.com:80" --listen 127.0.0.1:$((base + 60))
# Plain HTTP only to a host that is exactly loopback.
for u in "http://127.0.0.1.attacker.example:$A" "http://localhost.x.net:$A" \
    "http://127.0.0.1@evil.example:$A" "http://127.0.0.1:@evil.example:$A"; do
	expect_exit 1 "$bin" proxy --upstream "$u" --listen 127.0.0.1:$((base + 60))
	grep -q 'on loopback for development\|user name or password' "$tmp/err" && ok || bad "--upstream $u: $(head -1 "$tmp/err")"
done
expect_exit 1 "$bin" proxy --upstream "https://127.0.0.1:$A" --listen 0.0.0.0:$((base + 61))
stopall
if cat "$tmp"/*.err | grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error'; then
	bad "sanitizer report: $(cat "$tmp"/*.err | grep -m3 'Sanitizer\|runtime error')"
else ok; fi

echo "proxy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
