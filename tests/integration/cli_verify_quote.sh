#!/bin/sh
# The `cloister verify quote` interface that scripts depend on: exit codes,
# the JSON fields, the human output, policy files, SIMULATED handling.
#   cli_verify_quote.sh CLOISTER VECTORS_DIR SIM_FIXTURES_DIR
set -u
bin=$1
vec=$2/tdx
sim=$3
. "$(dirname "$0")/common.sh"

P=$vec/phala-dcap-qvl
V1="$P/tdx_quote.bin --collateral $P/tdx_quote_collateral.json --at 1752919234"

# shellcheck disable=SC2086
expect_exit 0 "$bin" verify quote $V1 --json
jcheck '.verified == true and .accepted == true and .simulated == false'
jcheck '.status == "UpToDate" and .advisory_ids == [] and .tee == "tdx"'
jcheck '.quote_version == 4 and .trailing_bytes == 70'
jcheck '.measurements.mrtd == "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"'
jcheck '.measurements.report_data | length == 128'
jcheck '[.steps[] | .ok] | all and length >= 15'
jcheck '.error == null'

# shellcheck disable=SC2086
expect_exit 0 "$bin" verify quote $V1
grep -q "✓ quote.signature" "$tmp/out" && ok || bad "human output lacks ✓ quote.signature"
grep -q "^ACCEPTED" "$tmp/out" && ok || bad "human output lacks ACCEPTED"

# The same quote as hex text, with a 0x prefix and line breaks.
{ printf '0x'; od -An -v -tx1 "$P/tdx_quote.bin" | tr -d ' '; } >"$tmp/q.hex"
expect_exit 0 "$bin" verify quote "$tmp/q.hex" --collateral \
    "$P/tdx_quote_collateral.json" --at 1752919234 --json
jcheck '.accepted == true and .quote_bytes == 5006'
"$bin" verify quote - --collateral "$P/tdx_quote_collateral.json" \
    --at 1752919234 --json <"$P/tdx_quote.bin" >"$tmp/out" 2>&1 && ok ||
    bad "quote from standard input"
jcheck '.accepted == true'

expect_exit 1 "$bin" verify quote "$P/tdx_quote_outdated.bin" --collateral \
    "$P/tdx_quote_outdated_collateral.json" --at 1774003274 --json
jcheck '.verified == false and .accepted == false'
jcheck '.error.code == "TCB_NOT_SUPPORTED" and .error.step == "tcb.status"'
jcheck '.quote_version == 5 and .measurements.mrservicetd != null'

# SGX: genuine, but the default policy does not accept its status.
expect_exit 1 "$bin" verify quote "$P/sgx_quote.bin" --collateral \
    "$P/sgx_quote_collateral.json" --at 1752919277 --json
jcheck '.verified == true and .accepted == false and .tee == "sgx"'
jcheck '.status == "ConfigurationAndSWHardeningNeeded"'
jcheck '.advisory_ids == ["INTEL-SA-00289", "INTEL-SA-00615"]'
jcheck '.error.code == "POLICY" and .error.step == "policy.tcb_status"'
jcheck '.measurements.mrenclave == "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"'

cat >"$tmp/sgx.yaml" <<'YAML'
tcb:
  accept: [UpToDate, SWHardeningNeeded, ConfigurationAndSWHardeningNeeded]
sgx:
  mrenclave: [33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb]
YAML
expect_exit 0 "$bin" verify quote "$P/sgx_quote.bin" --collateral \
    "$P/sgx_quote_collateral.json" --at 1752919277 --policy "$tmp/sgx.yaml"

cat >"$tmp/mrtd.yaml" <<'YAML'
td:
  mrtd: [000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000]
YAML
# shellcheck disable=SC2086
expect_exit 1 "$bin" verify quote $V1 --policy "$tmp/mrtd.yaml" --json
jcheck '.verified == true and .accepted == false and .error.step == "policy.mrtd"'

printf 'tdd:\n  allow_debug: true\n' >"$tmp/typo.yaml"
# shellcheck disable=SC2086
expect_exit 2 "$bin" verify quote $V1 --policy "$tmp/typo.yaml"

# Bad usage and unreadable input: exit 2.
expect_exit 2 "$bin" verify quote
expect_exit 2 "$bin" verify quote "$tmp/nonexistent.bin"
# shellcheck disable=SC2086
expect_exit 2 "$bin" verify quote $V1 --at yesterday
expect_exit 2 "$bin" verify quote "$P/tdx_quote.bin" --collateral "$tmp/nonexistent.json"
expect_exit 2 "$bin" verify quote "$P/tdx_quote.bin" --collateral "$P/tdx_quote.bin"
expect_exit 2 "$bin" verify nothing
expect_exit 0 "$bin" verify quote --help

# A quote that is not a quote: verification fails at parsing, exit 1.
head -c 100 "$P/tdx_quote.bin" >"$tmp/short.bin"
expect_exit 1 "$bin" verify quote "$tmp/short.bin" --json
jcheck '.error.code == "TRUNCATED" and .error.step == "quote.parse"'

# Simulated evidence: rejected unless allowed, and always labelled.
S=$sim/uptodate
at=$(sed -n 's/^at=//p' "$S/case.txt")
expect_exit 1 "$bin" verify quote "$S/quote.bin" --collateral "$S/collateral" --at "$at" --json
jcheck '.simulated == true and .verified == false and .error.code == "SIMULATED" and .error.step == "root"'
expect_exit 0 "$bin" verify quote "$S/quote.bin" --collateral "$S/collateral" --at "$at" --allow-simulated
grep -q "SIMULATED" "$tmp/out" && ok || bad "simulated result not labelled SIMULATED"

S=$sim/debug_td
at=$(sed -n 's/^at=//p' "$S/case.txt")
expect_exit 1 "$bin" verify quote "$S/quote.bin" --collateral "$S/collateral" --at "$at" --allow-simulated --json
jcheck '.verified == true and .accepted == false and .error.step == "policy.debug"'
printf 'td:\n  allow_debug: true\n' >"$tmp/debug.yaml"
expect_exit 0 "$bin" verify quote "$S/quote.bin" --collateral "$S/collateral" --at "$at" --allow-simulated --policy "$tmp/debug.yaml"

S=$sim/pck_revoked
at=$(sed -n 's/^at=//p' "$S/case.txt")
expect_exit 1 "$bin" verify quote "$S/quote.bin" --collateral "$S/collateral" --at "$at" --allow-simulated --json
jcheck '.error.code == "CERT_REVOKED" and .error.step == "pck.chain"'

echo "cli_verify_quote: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
