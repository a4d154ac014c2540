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
A=$(freeport) B=$(freeport)
relay="node $node_dir/evil-relay.mjs"

gateway() {	# gateway NAME PORT: an attested-TLS gateway, started; its pid in $serve_pid
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
	serve_start "$1" "$tmp/$1.yaml" -k
}
gateway a "$A" || exit 1
apid=$serve_pid
gateway b "$B" || exit 1
KA=$(api_key "$tmp/a" dev --credits 100000000)
KB=$(api_key "$tmp/b" dev --credits 100000000)
# The measurements a developer pins: from gateway a's start-up bundle.
curl -sk "https://127.0.0.1:$A/v1/attestation" >"$tmp/a.bundle"
curl -sk "https://127.0.0.1:$B/v1/attestation" >"$tmp/b.bundle"
"$bin" evidence expect "$tmp/a.bundle" --allow-simulated >"$tmp/pin-a.yaml" 2>"$tmp/expect.err" &&
    grep -q '^  mrtd: \[[0-9a-f]\{96\}\]' "$tmp/pin-a.yaml" &&
    grep -q '^  config_sha256: \[[0-9a-f]\{64\}\]' "$tmp/pin-a.yaml" && ok ||
    bad "evidence expect: $(cat "$tmp/expect.err" "$tmp/pin-a.yaml")"
"$bin" evidence expect "$tmp/b.bundle" --allow-simulated >"$tmp/pin-b.yaml" 2>/dev/null || bad "evidence expect b"
# Without --allow-simulated no policy is written from simulated evidence.
expect_exit 1 "$bin" evidence expect "$tmp/a.bundle"
[ ! -s "$tmp/out" ] && grep -q 'no policy written' "$tmp/err" && ok || bad "expect wrote a policy from refused evidence"

# The proxy's own requests for fresh evidence carry this key (--key-env).
export CLOISTER_API_KEY=$KA

proxy() {	# proxy UPSTREAM [ARGS]: a proxy on a port of its own, its URL in $P;
		# gateway a's measurements pinned unless ARGS say otherwise
	port=$(freeport)
	u=$1
	shift
	case " $* " in
	*" --policy "*|*" --any-td "*) ;;
	*) set -- "$@" --policy "$tmp/pin-a.yaml" ;;
	esac
	spawn "proxy-$port" "$bin" proxy --upstream "$u" --listen "127.0.0.1:$port" "$@"
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
jq -e '.verified and .pinned and .simulated and .receipts_verified >= 7 and .failures == 0 and .measurements == "pinned"' \
    "$tmp/status.json" >/dev/null && ok || bad "status: $(cat "$tmp/status.json")"
grep -q "TLS key pinned, measurements: pinned" "$tmp/proxy-$port.err" && ok || bad "no pinning reported"
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
stop "$apid"
serve_start a "$tmp/a.yaml" -k
code=$(chat "$KA")
[ "$code" = 502 ] && grep -q '"tls_key_changed"' "$tmp/out" && grep -q "another TLS key" "$tmp/out" && ok ||
    bad "a restarted gateway was not caught by the pin: $code $(head -c 300 "$tmp/out")"
[ "$(chat "$KA")" = 200 ] && ok || bad "the new instance was not verified: $(head -c 300 "$tmp/out")"
v1=$(curl -s "$P1/cloister/status" | jq -r .instance_key)
[ -n "$v1" ] && [ "$v1" != "$(jq -r .instance_key "$tmp/status.json")" ] && ok ||
    bad "the proxy still names the old instance"

# Without a key of its own the proxy verifies with the first request's,
# and a request without one is told why.
unset CLOISTER_API_KEY
proxy "https://127.0.0.1:$A" --allow-simulated
grep -q "verified with the first request's key" "$tmp/proxy-$port.err" && ok || bad "keyless start not said"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' "$P/v1/models")
[ "$code" = 401 ] && grep -q '"missing_api_key"' "$tmp/out" && ok || bad "keyless request before verification: $code $(head -c 200 "$tmp/out")"
[ "$(chat "$KA")" = 200 ] && ok || bad "verification with the first request's key: $(head -c 300 "$tmp/out")"
export CLOISTER_API_KEY=$KA

# 2. Simulated evidence without --allow-simulated.
proxy "https://127.0.0.1:$A"
[ "$(chat "$KA")" = 502 ] && ok || bad "simulated accepted without the flag"
refused "simulated" "SIMULATED"

# 3. A man in the middle with its own TLS key, relaying everything.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=evil \
    -keyout "$tmp/evil.key" -out "$tmp/evil.crt" -days 2 2>/dev/null
M=$(freeport)
spawn "relay-$M" $relay tls "$M" "https://127.0.0.1:$A" "" "$tmp/evil.crt" "$tmp/evil.key"
wait_url "https://127.0.0.1:$M/healthz" -k
proxy "https://127.0.0.1:$M" --allow-simulated
[ "$(chat "$KA")" = 502 ] && ok || bad "a man in the middle was accepted"
refused "man in the middle" "someone else is in the middle"

# The attacks below need a plain-HTTP relay, where the proxy cannot pin the
# channel: they show that evidence and receipts still catch them.
attack() {	# attack MODE: a relay in MODE on port $R and a proxy through it
	R=$(freeport)
	spawn "relay-$R" $relay "$1" "$R" "https://127.0.0.1:$A" "https://127.0.0.1:$B"
	wait_url "http://127.0.0.1:$R/healthz"
	proxy "http://127.0.0.1:$R" --allow-simulated
}
attack pass
[ "$(chat "$KA")" = 200 ] && ok || bad "the unchanged relay (control): $(head -c 300 "$tmp/out")"
grep -q "NOT pinned" "$tmp/proxy-$port.err" && ok || bad "http upstream not reported as unpinned"

# 4. Another instance's evidence in front of this one's answers.
attack split
[ "$(chat "$KB")" = 502 ] && ok || bad "another instance's evidence was accepted"
refused "another instance" "evidence id"

# 5. A stale nonce: old evidence replayed.
attack replay
curl -s -o /dev/null "http://127.0.0.1:$R/v1/attestation?nonce=00" -H "Authorization: Bearer $KA"	# the relay keeps this one
stop "$spawned_pid"	# that proxy verified before the replay began
proxy "http://127.0.0.1:$R" --allow-simulated
[ "$(chat "$KA")" = 502 ] && ok || bad "a replayed nonce was accepted"
refused "stale nonce" "nonce"

# 6. A tampered receipt; 7. an altered answer, whole and streamed.
attack tamper-receipt
[ "$(chat "$KA")" = 502 ] && ok || bad "a tampered receipt was accepted"
refused "tampered receipt" "receipt signature"
attack alter-body
[ "$(chat "$KA")" = 502 ] && ok || bad "an altered answer was passed on"
refused "altered answer" "response body"
attack alter-201
[ "$(chat "$KA")" = 502 ] && ok || bad "an altered answer sent as 201 was passed on"
refused "altered answer as 201" "response body"
attack alter-stream
chat "$KA" stream >/dev/null
refused "altered stream" "response body"
# Held streams: an altered one never reaches the tool, not even in part;
# an honest one arrives whole with its receipt.
proxy "http://127.0.0.1:$R" --allow-simulated --hold-streams
[ "$(chat "$KA" stream)" = 502 ] && ! grep -q '^data: {' "$tmp/out" && ok || bad "a held, altered stream reached the tool: $(head -c 300 "$tmp/out")"
refused "altered stream, held" "response body"
proxy "https://127.0.0.1:$A" --allow-simulated --hold-streams
[ "$(chat "$KA" stream)" = 200 ] && grep -q '^: cloister-receipt ' "$tmp/out" && grep -q '^data: \[DONE\]' "$tmp/out" &&
    ok || bad "a held honest stream: $(tail -c 300 "$tmp/out")"

# 8. Evidence that fails the policy: an MRTD the policy does not expect;
# another instance's configuration.
sed -e "s/^  mrtd: .*/  mrtd: [$(printf '%096d' 0)]/" "$tmp/pin-a.yaml" >"$tmp/policy.yaml"
proxy "https://127.0.0.1:$A" --allow-simulated --policy "$tmp/policy.yaml"
[ "$(chat "$KA")" = 502 ] && ok || bad "evidence failing the policy was accepted"
refused "policy" "policy.mrtd"
bconf=$(sed -n 's/^  config_sha256: //p' "$tmp/pin-b.yaml")
sed -e "s/^  config_sha256: .*/  config_sha256: $bconf/" "$tmp/pin-a.yaml" >"$tmp/other-config.yaml"
proxy "https://127.0.0.1:$A" --allow-simulated --policy "$tmp/other-config.yaml"
[ "$(chat "$KA")" = 502 ] && ok || bad "another configuration was accepted"
refused "config" "policy.config"
curl -s "$P/cloister/status" | jq -e '.verified == false and (.reason | length > 0)' >/dev/null &&
    ok || bad "status after a refusal: $(curl -s "$P/cloister/status")"

# Collateral from a PCCS instead of the bundle: one that has nothing for
# this platform's FMSPC fails closed, and says where it asked.
mkdir -p "$tmp/pccs" && cp "$tmp/evil.crt" "$tmp/pccs/tcb_signing_cert.pem"
Q=$(freeport)
spawn pccs node "$node_dir/fake-pccs.mjs" "$tmp/pccs" "$Q"
wait_url "http://127.0.0.1:$Q/" || true
proxy "https://127.0.0.1:$A" --allow-simulated --pccs "http://127.0.0.1:$Q"
[ "$(chat "$KA")" = 502 ] && ok || bad "missing PCCS collateral was not refused"
refused "PCCS" "tcb?fmspc=[0-9A-F]\{12\} answered HTTP 404"

# No expected measurements: no start, unless --any-td says so (and then
# every status says the measurements are not pinned).
L=$(freeport)
expect_exit 2 "$bin" proxy --upstream "https://127.0.0.1:$A" --listen "127.0.0.1:$L" --allow-simulated
grep -q "no --policy: the gateway's TD would be trusted whatever it runs" "$tmp/err" &&
    grep -q "cloister evidence expect" "$tmp/err" && ok || bad "started without a pinning policy: $(cat "$tmp/err")"
printf 'tcb:\n  accept: [UpToDate]\n' >"$tmp/nopin.yaml"
expect_exit 2 "$bin" proxy --upstream "https://127.0.0.1:$A" --listen "127.0.0.1:$L" --policy "$tmp/nopin.yaml"
grep -q "the policy pins no MRTD" "$tmp/err" && ok || bad "a policy pinning nothing was taken: $(cat "$tmp/err")"
sed -e '/rtmr1\|rtmr2\|mrconfigid\|config_sha256\|instance:/d' "$tmp/pin-a.yaml" >"$tmp/mrtd-only.yaml"
expect_exit 2 "$bin" proxy --upstream "https://127.0.0.1:$A" --listen "127.0.0.1:$L" --policy "$tmp/mrtd-only.yaml"
grep -q "the policy pins no MRTD with RTMR1" "$tmp/err" && ok || bad "an MRTD alone was taken as pinning the workload"
proxy "https://127.0.0.1:$A" --allow-simulated --any-td
[ "$(chat "$KA")" = 200 ] && ok || bad "--any-td: $(head -c 300 "$tmp/out")"
curl -s "$P/cloister/status" | jq -e '.verified and .measurements == "NOT PINNED"' >/dev/null &&
    ok || bad "--any-td status: $(curl -s "$P/cloister/status")"
grep -q "measurements: NOT PINNED" "$tmp/proxy-$port.err" && ok || bad "--any-td not said at start"

# Bad invocations (each refused before it listens).
expect_exit 2 "$bin" proxy
expect_exit 2 "$bin" proxy --upstream "http://example.com:80" --listen "127.0.0.1:$L" --any-td
# Plain HTTP only to a host that is exactly loopback.
for u in "http://127.0.0.1.attacker.example:$A" "http://localhost.x.net:$A" \
    "http://127.0.0.1@evil.example:$A" "http://127.0.0.1:@evil.example:$A"; do
	expect_exit 2 "$bin" proxy --upstream "$u" --listen "127.0.0.1:$L" --any-td
	grep -q 'on loopback for development\|user name or password' "$tmp/err" && ok || bad "--upstream $u: $(head -1 "$tmp/err")"
done
expect_exit 2 "$bin" proxy --upstream "https://127.0.0.1:$A" --listen "0.0.0.0:$L" --any-td
stop_all
if cat "$tmp"/*.err | grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error'; then
	bad "sanitizer report: $(cat "$tmp"/*.err | grep -m3 'Sanitizer\|runtime error')"
else ok; fi

echo "proxy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
