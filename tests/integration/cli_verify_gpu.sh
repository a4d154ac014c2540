#!/bin/sh
# The `cloister verify gpu` interface that scripts depend on: exit codes,
# the JSON fields and claim names, the human output, the named failing
# step for each negative vector of ../shared/vectors/nvgpu.
#   cli_verify_gpu.sh CLOISTER VECTORS_DIR
set -u
bin=$1
vec=$2/nvgpu
. "$(dirname "$0")/common.sh"

G1=$vec/G1-nvtrust-h100-550.90.07
N=931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb
mkdir "$tmp/rims"
cp "$G1"/*.xml "$tmp/rims/"
ARGS="--certs $G1/cert-chain.pem --rims $tmp/rims --ocsp $G1/ocsp --at 1755777600 --rim-at 1761307200"

# shellcheck disable=SC2086
expect_exit 0 "$bin" verify gpu "$G1/report.bin" $ARGS --nonce $N --json
jcheck '.verified == true and .simulated == false and .revocation_checked == true'
jcheck '.hwmodel == "GH100 A01 GSP BROM" and .ueid == "478176379286082186618948445787393647364802107249" and .oemid == "5703"'
jcheck '.measres == "success" and .measurements_compared == 32 and .mismatches == []'
jcheck '.driver_version == "550.90.07" and .vbios_version == "96.00.9F.00.01" and .nvdec0_status == 85'
jcheck '[.steps[] | select(.ok | not)] == [] and (.error | not)'
# The hex form of the same report, and the human output.
# shellcheck disable=SC2086
expect_exit 0 "$bin" verify gpu "$G1/report.hex" $ARGS --nonce $N
grep -q '^VERIFIED: genuine NVIDIA hopper GPU' "$tmp/out" && ok || bad "human VERIFIED line"
grep -q 'index 35 not compared' "$tmp/out" && ok || bad "index-35 rule not shown"

# Wrong nonce, one time for both, no OCSP responses.
# shellcheck disable=SC2086
expect_exit 1 "$bin" verify gpu "$G1/report.bin" $ARGS --nonce "$(printf '%064d' 0)" --json
jcheck '.error.step == "nonce" and .error.code == "NONCE_MISMATCH"'
expect_exit 1 "$bin" verify gpu "$G1/report.bin" --certs "$G1/cert-chain.pem" \
    --rims "$tmp/rims" --ocsp "$G1/ocsp" --at 1761307200 --json
jcheck '.error.step == "device revocation" and .error.code == "COLLATERAL_EXPIRED"'
expect_exit 1 "$bin" verify gpu "$G1/report.bin" --certs "$G1/cert-chain.pem" \
    --rims "$tmp/rims" --at 1755777600 --rim-at 1761307200 --json
jcheck '.error.code == "COLLATERAL_MISSING"'
expect_exit 0 "$bin" verify gpu "$G1/report.bin" --certs "$G1/cert-chain.pem" \
    --rims "$tmp/rims" --at 1755777600 --rim-at 1761307200 --no-ocsp --json
jcheck '.verified == true and .revocation_checked == false'

# Each negative vector fails at its step.
G5=$vec/G5-h100-535.86.09-measurement-mismatch
expect_exit 1 "$bin" verify gpu "$G5/report.hex" --certs "$G5/cert-chain.pem" \
    --rim "$G5/NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml" \
    --rim "$G5/NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml" \
    --no-ocsp --at 1755777600 --json
jcheck '.error.step == "driver RIM signature" and .measres == "fail" and (.mismatches | length) == 16'
G6=$vec/G6-h100-570.124.03-expired-rim
expect_exit 1 "$bin" verify gpu "$G6/report.hex" --certs "$G6/cert-chain.pem" \
    --rim "$G6/NV_GPU_DRIVER_GH100_570.124.03_expired.xml" --no-ocsp --at 1755777600 --json
jcheck '.error.step == "driver RIM chain" and .error.code == "CERT_EXPIRED"'
G7=$vec/G7-invalid-signature-wrong-chain
expect_exit 1 "$bin" verify gpu "$G7/report.hex" --certs "$G7/cert-chain.pem" --no-ocsp --json
jcheck '.error.step == "report signature" and .error.code == "SIGNATURE"'
G4=$vec/G4-coco-h100-580.95.05-trailing-byte
expect_exit 1 "$bin" verify gpu "$G4/report.hex" --certs "$G4/cert-chain.pem" --no-ocsp --json
jcheck '.error.step == "parse" and .error.code == "TRAILING_DATA"'
expect_exit 1 "$bin" verify gpu "$G1/report.bin" --certs "$vec/negative/chain-root-only.pem" --no-ocsp --json
jcheck '.error.step == "device chain"'
expect_exit 2 "$bin" verify gpu "$G1/report.bin" --certs "$G1/cert-chain.pem" \
    --rim "$vec/negative/incorrect-rim-root.crt"

# Usage errors.
expect_exit 2 "$bin" verify gpu "$G1/report.bin"
expect_exit 2 "$bin" verify gpu "$G1/report.bin" --certs "$G1/cert-chain.pem" --nonce abc
expect_exit 2 "$bin" verify gpu "$tmp/absent" --certs "$G1/cert-chain.pem"
expect_exit 0 "$bin" verify gpu --help

echo "cli_verify_gpu: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
