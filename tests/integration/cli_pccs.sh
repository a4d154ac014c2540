#!/bin/sh
# Collateral fetched from a PCCS (`cloister verify quote --pccs URL`): a
# test PCCS (tests/node/fake-pccs.mjs) serves saved Intel answers with
# their issuer chains in headers; the verdict must equal the one from the
# same files given with --collateral.  A tampered TCB info, a missing
# FMSPC and an unreachable PCCS fail with a readable reason.
#   cli_pccs.sh CLOISTER NODE_DIR VECTORS
set -u
bin=$1
node_dir=$2
V=$3/tdx/datachainlab-zkdcap
. "$(dirname "$0")/common.sh"
Q=$V/quote_tdx_00806f050000.dat
AT=1737467060
pccs() {	# pccs DIR [tamper]: a test PCCS on a port of its own, its URL in $U
	port=$(freeport)
	U=http://127.0.0.1:$port
	spawn "pccs-$port" node "$node_dir/fake-pccs.mjs" "$1" "$port" ${2:-}
	wait_url "$U/"
}
pccs "$V"
good=$U

expect_exit 1 "$bin" verify quote "$Q" --collateral "$V/tcbinfov3_00806f050000.json" \
    --collateral "$V/qeidentityv2_tdx.json" --collateral "$V/pck_platform_crl.der" \
    --collateral "$V/intel_root_ca_crl.der" --collateral "$V/tcb_signing_cert.pem" --at $AT --json
cp "$tmp/out" "$tmp/files.json"
expect_exit 1 "$bin" verify quote "$Q" --pccs "$good" --at $AT --json
jcheck '.verified == true and .status == "OutOfDate"'
jq -S 'del(.steps)' "$tmp/out" >"$tmp/a" && jq -S 'del(.steps)' "$tmp/files.json" >"$tmp/b" &&
    cmp -s "$tmp/a" "$tmp/b" && ok || bad "--pccs and --collateral disagree: $(diff "$tmp/a" "$tmp/b" | head -5)"
grep -q 'tcb?fmspc=00806F050000 -> tcbinfov3_00806f050000.json' "$tmp/pccs-$port.out" &&
    grep -q 'pckcrl?ca=platform' "$tmp/pccs-$port.out" && ok || bad "PCCS requests: $(cat "$tmp/pccs-$port.out")"

# A PCCS that changes the TCB info: its signature fails.
pccs "$V" tamper
expect_exit 1 "$bin" verify quote "$Q" --pccs "$U" --at $AT --json
jcheck '.verified == false'
# No TCB info for this FMSPC; no PCCS at all.
mkdir -p "$tmp/empty" && cp "$V/tcb_signing_cert.pem" "$tmp/empty/"
pccs "$tmp/empty"
expect_exit 1 "$bin" verify quote "$Q" --pccs "$U" --at $AT
grep -q 'tcb?fmspc=00806F050000 answered HTTP 404' "$tmp/err" && ok || bad "404 not named: $(cat "$tmp/err")"
expect_exit 1 "$bin" verify quote "$Q" --pccs "http://127.0.0.1:$(freeport)" --at $AT
grep -q 'collateral from http://127.0.0.1' "$tmp/err" && ok || bad "unreachable PCCS: $(cat "$tmp/err")"
expect_exit 2 "$bin" verify quote "$Q" --pccs "$good" --collateral "$V"

echo "cli_pccs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
