#!/bin/sh
# The three client APIs (Chat Completions, Anthropic Messages, OpenAI
# Responses) against backends of each kind, passed through and translated,
# with the official @anthropic-ai/sdk and openai clients (tests/node/
# apis.test.mjs): answers, streams, usage billed from the upstream's count,
# receipts over the exact bytes, error shapes and statuses per API, an
# empty balance, count_tokens under 26 concurrent calls, aliases and the
# output clamp.  Loopback only; stopped by this script.
#   apis.sh CLOISTER NODE_DIR
set -u
bin=$1
node_dir=$2
. "$(dirname "$0")/common.sh"
command -v sqlite3 >/dev/null || { echo "apis: sqlite3 missing"; exit 1; }
[ -d "$node_dir/node_modules/@anthropic-ai/sdk" ] || {
	echo "apis: $node_dir/node_modules/@anthropic-ai/sdk missing (scripts/bootstrap)"
	exit 1
}

port=$(freeport)
export UP_KEY="upkey-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
spawn_port up up node "$node_dir/upstream.mjs" || exit 1
state=$tmp/state
work=$tmp/client
mkdir -p "$work"
# Prices: 1 credit a token in, 2 out, cache reads 0.5, cache writes 1.25
# (per million: credits are micro-units).
P='input: 1000000, output: 2000000, cached: 500000, cache_write: 1250000'
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $state
tee: sim
limits: { timeout: 10 }
backends:
  - name: chatup
    type: openai-compatible
    base_url: http://127.0.0.1:$up/v1
    api_key_env: UP_KEY
    models:
      - { name: c-small, upstream: up-echo, aliases: [claude-opus-5-5, gpt-5.5], max_output: 64, $P }
      - { name: c-cut, upstream: up-cut, $P }
      - { name: c-400, upstream: up-400, $P }
  - name: anth
    type: anthropic
    base_url: http://127.0.0.1:$up/v1
    api_key_env: UP_KEY
    models:
      - { name: a-small, upstream: up-echo, max_output: 64, $P }
      - { name: a-cut, upstream: up-cut, $P }
      - { name: a-400, upstream: up-400, $P }
      - { name: a-529, upstream: up-529, $P }
  - name: resp
    type: openai-responses
    base_url: http://127.0.0.1:$up/v1
    api_key_env: UP_KEY
    hosted_tools: refuse
    models:
      - { name: r-small, upstream: up-echo, max_output: 64, $P }
      - { name: r-cut, upstream: up-cut, $P }
      - { name: r-400, upstream: up-400, $P }
  - name: wrongkey
    type: anthropic
    base_url: http://127.0.0.1:$up/v1
    api_key_env: NOT_UP_KEY
    models:
      - { name: w-small, upstream: up-echo, $P }
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 2000000 }
YAML
export NOT_UP_KEY=not-the-upstreams-key
serve_start serve "$tmp/gw.yaml" || exit 1
K=$(api_key "$state" main --credits 100000000)
KE=$(api_key "$state" empty)
[ -n "$K" ] && [ -n "$KE" ] && ok || bad "keys create"

BASE_URL=http://127.0.0.1:$port KEY=$K KEY_EMPTY=$KE CLOISTER=$bin \
    WORK=$work STATE_DB=$state/ledger.db UP_URL=http://127.0.0.1:$up \
    node "$node_dir/apis.test.mjs" && ok || bad "API client suite"

# Nothing of an answer reached the gateway's log.
grep -q 'upstream says hello' "$tmp/serve.err" && bad "content in the log" || ok
echo "apis: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
