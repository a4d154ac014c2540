#!/bin/sh
# `cloister evidence collect` and `cloister verify evidence` as scripts use
# them: the simulated round trip, SIMULATED refused without the flag, the
# nonce, tampering, provider choice and its warning, exit codes.
#   cli_evidence.sh CLOISTER FAKE_NVML_LIBRARY
set -u
bin=$1
fake=$2
. "$(dirname "$0")/common.sh"

N=00112233445566778899aabbccddeeff
# A gateway configuration naming files: config_sha256 binds them too --
# the contents of the policy and the console's files, the path alone of
# an API key file.
mkdir -p "$tmp/web"
printf '<html></html>\n' >"$tmp/web/index.html"
printf 'servers: {}\n' >"$tmp/policy.yaml"
printf 'sk-upstream-1\n' >"$tmp/up.key"
cat >"$tmp/config.yaml" <<YAML
state_dir: $tmp/state
console: { dir: $tmp/web }
backends:
  - name: up
    type: openai-compatible
    base_url: https://api.example/v1
    api_key_file: $tmp/up.key
    models: [ { name: m, input: 1, output: 1 } ]
mcp:
  policy: $tmp/policy.yaml
YAML
expect_exit 0 "$bin" evidence config-digest "$tmp/config.yaml"
CFG=$(cat "$tmp/out")
[ ${#CFG} -eq 64 ] && [ "$CFG" != "$(sha256sum "$tmp/config.yaml" | cut -d' ' -f1)" ] && ok || bad "config digest: $CFG"
printf 'sk-upstream-2\n' >"$tmp/up.key"
[ "$("$bin" evidence config-digest "$tmp/config.yaml")" = "$CFG" ] && ok || bad "a secret file's contents changed the digest"
printf 'servers: { x: { trust: internal } }\n' >"$tmp/policy2.yaml"
cp "$tmp/policy.yaml" "$tmp/policy.orig"; cp "$tmp/policy2.yaml" "$tmp/policy.yaml"
[ "$("$bin" evidence config-digest "$tmp/config.yaml")" != "$CFG" ] && ok || bad "another egress policy, the same digest"
cp "$tmp/policy.orig" "$tmp/policy.yaml"
printf '<html>changed</html>\n' >"$tmp/web/index.html"
[ "$("$bin" evidence config-digest "$tmp/config.yaml")" != "$CFG" ] && ok || bad "another console page, the same digest"
printf '<html></html>\n' >"$tmp/web/index.html"
[ "$("$bin" evidence config-digest "$tmp/config.yaml")" = "$CFG" ] && ok || bad "the digest does not come back"
rm "$tmp/policy.yaml"
expect_exit 2 "$bin" evidence config-digest "$tmp/config.yaml"
grep -q 'mcp.policy' "$tmp/err" && ok || bad "a missing policy file: $(cat "$tmp/err")"
cp "$tmp/policy.orig" "$tmp/policy.yaml"

# Collect with the simulated TEE and GPU.
expect_exit 0 "$bin" evidence collect --provider sim --nonce $N \
    --config "$tmp/config.yaml" -o "$tmp/ev.json"
[ -s "$tmp/ev.json" ] && ok || bad "-o wrote nothing"
jq -e '.format == "cloister-evidence/1" and .evidence.simulated == true and .evidence.provider == "sim" and (.evidence.gpu | type) == "object"' "$tmp/ev.json" >/dev/null && ok || bad "bundle shape"
jq -e --arg c "$CFG" '.evidence.config_sha256 == $c' "$tmp/ev.json" >/dev/null && ok || bad "config hash not bound"

# Round trip.
expect_exit 0 "$bin" verify evidence "$tmp/ev.json" --nonce $N --allow-simulated --json
jcheck '.accepted == true and .verified == true and .simulated == true'
jcheck '.quote.accepted == true and .quote.simulated == true and .gpu.verified == true'
jcheck '[.steps[] | select(.ok | not)] == [] and (.error | not)'
jcheck '[.steps[].name] == ["bundle","bundle signature","nonce","tdx quote","binding","rtmr3 replay","gpu binding","gpu report"]'
expect_exit 0 "$bin" verify evidence "$tmp/ev.json" --nonce $N --allow-simulated
grep -q '^ACCEPTED (SIMULATED)' "$tmp/out" && ok || bad "human ACCEPTED line"
grep -q '^\*\*\* SIMULATED' "$tmp/out" && ok || bad "SIMULATED banner"

# Without the flag it fails, saying SIMULATED.
expect_exit 1 "$bin" verify evidence "$tmp/ev.json" --nonce $N --json
jcheck '.accepted == false and .error.code == "SIMULATED"'
expect_exit 1 "$bin" verify evidence "$tmp/ev.json" --nonce $N
grep -q 'SIMULATED' "$tmp/out" && ok || bad "human output does not say SIMULATED"

# Another nonce.
expect_exit 1 "$bin" verify evidence "$tmp/ev.json" --nonce "${N}00" --allow-simulated --json
jcheck '.error.step == "nonce" and .error.code == "NONCE_MISMATCH"'
# No nonce expected: verified, and the step says it was not checked.
expect_exit 0 "$bin" verify evidence "$tmp/ev.json" --allow-simulated --json
jcheck '.steps[2].detail | startswith("NOT checked")'

# Tampering: one character of the quote, the GPU report, the nonce.
for field in quote report nonce; do
	python3 - "$tmp/ev.json" "$tmp/t.json" "$field" <<'PY'
import sys
src = open(sys.argv[1]).read()
key = '"%s": "' % sys.argv[3]
i = src.index(key) + len(key) + 5
c = src[i]
src = src[:i] + ('A' if c != 'A' else 'B') + src[i + 1:]
open(sys.argv[2], 'w').write(src)
PY
	expect_exit 1 "$bin" verify evidence "$tmp/t.json" --nonce $N --allow-simulated --json
	jcheck '.error.step == "bundle signature" and .error.code == "SIGNATURE"'
done
printf 'not json' >"$tmp/t.json"
expect_exit 1 "$bin" verify evidence "$tmp/t.json" --json
jcheck '.error.step == "bundle" and .error.code == "BAD_JSON"'

# Provider choice: automatic falls back to the simulated TEE, loudly.
CLOISTER_TSM_ROOT=$tmp/no-tsm CLOISTER_TDX_DEV=$tmp/no-dev \
    expect_exit 0 "$bin" evidence collect --gpu none
grep -q 'WARNING: no TDX.*SIMULATED TEE' "$tmp/err" && ok || bad "no fallback warning"
jq -e '.evidence.simulated == true and .evidence.gpu == null' "$tmp/out" >/dev/null && ok || bad "auto bundle"
CLOISTER_TSM_ROOT=$tmp/no-tsm CLOISTER_TDX_DEV=$tmp/no-dev \
    expect_exit 1 "$bin" evidence collect --provider tdx
grep -q 'no TDX here' "$tmp/err" && ok || bad "tdx unavailable not said"
CLOISTER_NVML_LIB=$tmp/no-libnvidia-ml.so.1 \
    expect_exit 1 "$bin" evidence collect --provider sim --gpu nvgpu
grep -q 'NVIDIA' "$tmp/err" && ok || bad "no NVIDIA driver not said"
# A GPU with Confidential Computing off (the fake NVML answers 999 as a
# real H100 does): said plainly, never as an NVML number.
FAKE_NVML_MODE=cc-off CLOISTER_NVML_LIB=$fake \
    expect_exit 1 "$bin" evidence collect --provider sim --gpu nvgpu
grep -q 'GPU present, Confidential Computing mode OFF' "$tmp/err" && ok || bad "CC off not said"
FAKE_NVML_MODE=cc-off CLOISTER_NVML_LIB=$fake \
    expect_exit 0 "$bin" evidence probe --json
jcheck '.gpu == "GPU present, Confidential Computing mode OFF" and .cc_feature == 0 and .gpus == 1'
CLOISTER_TSM_ROOT=$tmp/no-tsm CLOISTER_TDX_DEV=$tmp/no-dev \
    CLOISTER_NVML_LIB=$tmp/no-libnvidia-ml.so.1 expect_exit 0 "$bin" evidence probe
grep -q '^tdx:  configfs-tsm absent' "$tmp/out" && ok || bad "probe tdx line"
grep -q '^gpu:  no NVIDIA driver' "$tmp/out" && ok || bad "probe gpu line"
expect_exit 2 "$bin" evidence collect --gpu bogus
expect_exit 2 "$bin" evidence collect --nonce zz
expect_exit 2 "$bin" verify evidence
expect_exit 2 "$bin" verify evidence "$tmp/missing.json"

echo "cli_evidence: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
