#!/bin/sh
# Real coding agents against `cloister serve`: Claude Code (Anthropic
# Messages), Codex CLI (OpenAI Responses), Qwen Code (Chat Completions and
# Responses) and opencode (chat), each at the exact version tests/agents
# pins, for one tool turn each: the gateway's mock asks for `ls` with the
# agent's own shell tool, the agent runs it and sends the result back.
# Per agent: exit 0; the listing in its final output; two requests, ok and
# charged, in the ledger under its key; every receipt it was handed
# verifies against the bytes that crossed the wire (a recording
# pass-through sits between agent and gateway); nothing tried to leave
# the machine.  Then: one recorded request of each API sent again whole
# with the vendor's SDK (Cloister-Receipt header) and streamed with curl
# (the stream's last comment); an empty balance stops Claude Code (402)
# and Codex (429 insufficient_quota) at once; 26 count_tokens calls at
# once; and Claude Code and Codex through the translator, on a chat
# upstream (tests/node/upstream-agents.mjs) that logs whether the
# follow-up carried the tool result, with parallel calls, a stream cut
# halfway and an upstream error halfway.
# Everything runs in a network namespace of its own with only loopback
# up (unshare -n as root, unshare -rn otherwise), agents in `env -i`
# environments with a fresh HOME and a proxy that logs and refuses every
# CONNECT, and each agent under `timeout`.
#   agents.sh CLOISTER NODE_DIR AGENTS_DIR   (env AGENTS_KEEP=DIR: keep
#                                            the run's files there)
set -u
name=agents
# skip WHY: a missing kernel feature is a skip (exit 77) everywhere;
# anything else is one only off CI, and a failure on it.
skip() {
	if [ "${2:-}" = kernel ] || [ "${CI:-}" != true ]; then
		echo "SKIP: $1"
		echo "$name: 0 passed, 0 failed"
		exit 77
	fi
	echo "FAIL: $1"
	echo "$name: 0 passed, 1 failed"
	exit 1
}
if [ -z "${CLOISTER_IN_NETNS:-}" ]; then
	for ns in "unshare -n" "unshare -rn"; do
		[ "$ns" = "unshare -n" ] && [ "$(id -u)" -ne 0 ] && continue
		if $ns true 2>/dev/null; then
			# shellcheck disable=SC2086	# the command and its flag
			exec $ns env CLOISTER_IN_NETNS=1 sh "$0" "$@"
		fi
	done
	skip "cannot make a network namespace (unshare -n as root, unshare -rn
otherwise: unprivileged user namespaces are off, or this is a chroot);
no agent is started outside one" kernel
fi
ip link set lo up || skip "cannot bring up loopback in the namespace" kernel
# Absolute: the agents run in their projects' folders.
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
node_dir=$(cd "$2" && pwd)
agents_dir=$(cd "$3" 2>/dev/null && pwd) || skip "$3 missing (scripts/bootstrap installs tests/agents)"
A=$agents_dir/node_modules/.bin
for b in claude codex qwen opencode; do
	[ -x "$A/$b" ] || skip "$A/$b missing (scripts/bootstrap installs tests/agents)"
done
for m in @anthropic-ai/sdk openai; do
	[ -d "$agents_dir/node_modules/$m" ] || skip "$agents_dir/node_modules/$m missing (scripts/bootstrap)"
done
command -v sqlite3 >/dev/null || skip "sqlite3 missing"
. "$(dirname "$0")/common.sh"

# The machine's name servers are out of reach here anyway; the proxy
# (a second upstream-agents.mjs, which logs and refuses CONNECT) is where
# an agent that honours HTTPS_PROXY would show an attempt.
UP_KEY="upkey-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export UP_KEY
mkdir -p "$tmp/upstream"
spawn_port trapport trap env UP_LOG="$tmp/trap.log" node "$node_dir/upstream-agents.mjs" &&
    spawn_port upport up env UP_LOG="$tmp/up.log" UP_DUMP="$tmp/upstream" node "$node_dir/upstream-agents.mjs" ||
    exit 1
touch "$tmp/trap.log" "$tmp/up.log"
# Not vacuous: no route leaves this namespace, and the trap sees a client
# that goes through the proxy.
[ -z "$(ip route show; ip -6 route show | grep -v '^::1 \|^fe80:')" ] && ok ||
    bad "the namespace has routes: $(ip route show)"
HTTPS_PROXY=http://127.0.0.1:$trapport curl -s -m 5 -o /dev/null https://registry.npmjs.org/ 2>/dev/null
grep -q '"CONNECT","target":"registry.npmjs.org:443"' "$tmp/trap.log" && ok ||
    bad "the proxy trap did not see a CONNECT: $(cat "$tmp/trap.log")"
: >"$tmp/trap.log"

port=$(freeport)
state=$tmp/state
G=http://127.0.0.1:$port
# max_body as Claude Code's own limit: its first request is ~50 KB and
# grows every turn.
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $state
tee: sim
limits: { max_body: 33554432, timeout: 60 }
backends:
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 2000000,
          aliases: [claude-opus-5-5, claude-haiku-5-5, gpt-mock] }
  - name: up
    type: openai-compatible
    base_url: http://127.0.0.1:$upport/v1
    api_key_env: UP_KEY
    confidential: true
    models:
      - { name: up-agent, input: 1000000, output: 2000000 }
      - { name: up-agent-cut, input: 1000000, output: 2000000 }
      - { name: up-agent-err, input: 1000000, output: 2000000 }
YAML
serve_start serve "$tmp/gw.yaml" || { echo "$name: $pass passed, $((fail + 1)) failed"; exit 1; }
curl -s -o "$tmp/evidence.json" "$G/v1/attestation"
spawn_port recport rec node "$agents_dir/recorder.mjs" "$G" "$tmp/wire" || exit 1
recpid=$spawned_pid
R=http://127.0.0.1:$recport

nodedir=$(dirname "$(command -v node)")
apath="$nodedir:/usr/local/bin:/usr/bin:/bin"
P="http://127.0.0.1:$trapport"
LIST_BASH="List the files in this directory using the Bash tool, then say done."
LIST_SHELL="List the files in this directory with a shell command, then say done."

# project TAG: a fresh project (README.md, hello.txt) and HOME for one run.
project() {
	rm -rf "${tmp:?}/$1"
	mkdir -p "$tmp/$1/proj" "$tmp/$1/home/tmp"
	printf '# demo project\n' >"$tmp/$1/proj/README.md"
	printf 'hello\n' >"$tmp/$1/proj/hello.txt"
	# opencode installs a plugin package into its config folder from the
	# npm registry in the background; offline, npm does not try.
	printf 'offline=true\n' >"$tmp/$1/home/.npmrc"
}

# agent TAG SECONDS VAR=VALUE... COMMAND...: runs an agent in TAG's
# project, in a clean environment with only the variables given, for at
# most SECONDS (timeout); its output in $tmp/TAG.out and .err, its exit
# status in $rc, its run time in whole seconds in $secs.
agent() {
	_tag=$1
	_secs=$2
	shift 2
	_t0=$(date +%s)
	_tl=$(wc -l <"$tmp/trap.log")
	(cd "$tmp/$_tag/proj" && timeout -k 5 "$_secs" env -i PATH="$apath" HOME="$tmp/$_tag/home" \
	    TMPDIR="$tmp/$_tag/home/tmp" LANG=C.UTF-8 TERM=dumb \
	    HTTPS_PROXY="$P" HTTP_PROXY="$P" https_proxy="$P" http_proxy="$P" \
	    NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
	    "$@" </dev/null >"$tmp/$_tag.out" 2>"$tmp/$_tag.err")
	rc=$?
	secs=$(($(date +%s) - _t0))
	echo "$_tag: exit $rc after ${secs}s"
	_out=$(tail -n +"$((_tl + 1))" "$tmp/trap.log")
	[ -z "$_out" ] && ok || bad "$_tag tried to reach the internet: $_out"
}
run_claude() {	# TAG KEY PROMPT [ARG...]
	_tag=$1 _key=$2 _prompt=$3
	shift 3
	agent "$_tag" 120 ANTHROPIC_BASE_URL="$R/a/$_tag" ANTHROPIC_API_KEY="$_key" \
	    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
	    "$A/claude" -p "$_prompt" --output-format json \
	    --allowedTools "Bash(ls:*)" "$@"
}
codex_config() {	# TAG MODEL
	mkdir -p "$tmp/$1/home/.codex"
	cat >"$tmp/$1/home/.codex/config.toml" <<TOML
model = "$2"
model_provider = "cloister"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false
web_search = "disabled"
[analytics]
enabled = false
[features]
plugins = false
[model_providers.cloister]
name = "Cloister"
base_url = "$R/a/$1/v1"
env_key = "CLOISTER_API_KEY"
wire_api = "responses"
TOML
}
run_codex() {	# TAG KEY PROMPT
	agent "$1" 120 CODEX_HOME="$tmp/$1/home/.codex" CLOISTER_API_KEY="$2" \
	    "$A/codex" exec --skip-git-repo-check --json "$3"
}

# Checks on one agent run.
# got_listing TAG TEXT-FILE: the final text names both files.
got_listing() {
	if grep -q README.md "$2" && grep -q hello.txt "$2"; then ok; else
		bad "$1: the final answer lacks the listing: $(head -c 300 "$2")"
		sed 's/^/  | /' "$tmp/$1.err" | tail -5
	fi
}
# ledger_ok TAG KEYNAME N: N requests under the key, all ok and charged.
ledger_ok() {
	_id=$(cat "$tmp/$2.id")
	_all=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM requests WHERE key_id = '$_id'")
	_good=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM requests WHERE key_id = '$_id' AND status = 'ok' AND cost > 0")
	[ "$_all" = "$3" ] && [ "$_good" = "$3" ] && ok ||
	    bad "$1: ledger has $_all requests, $_good ok and charged, want $3: $(sqlite3 "$state/ledger.db" "SELECT model, status, cost FROM requests WHERE key_id = '$_id'" | tr '\n' ' ')"
}
# verify JWS REQ RES WHAT: `cloister verify receipt` on exact bytes.
verify() {
	if [ -z "$1" ]; then
		bad "$4: no receipt"
		return
	fi
	printf '%s' "$1" >"$tmp/v.jws"
	if "$bin" verify receipt "$tmp/v.jws" --evidence "$tmp/evidence.json" \
	    --request "$2" --response "$3" --allow-simulated --json >"$tmp/v.json" 2>&1 &&
	    jq -e '.verified == true and all(.steps[]; .ok)' "$tmp/v.json" >/dev/null; then
		ok
	else
		bad "$4: receipt does not verify: $(head -c 400 "$tmp/v.json")"
	fi
}
# receipt_of PREFIX: the receipt of a recorded exchange (the header of a
# whole answer, the last comment of a stream), its body without that
# comment left in PREFIX.body.
receipt_of() {
	_jws=$(jq -r '.headers["cloister-receipt"] // empty' "$1.json")
	if [ -n "$_jws" ]; then
		cp "$1.res" "$1.body"
	else
		python3 - "$1.res" "$1.body" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
i = b.find(b': cloister-receipt ')
open(sys.argv[2], 'wb').write(b if i < 0 else b[:i])
PY
		_jws=$(sed -n 's/^: cloister-receipt \(.*\)/\1/p' "$1.res" | tr -d '\r')
	fi
	printf '%s' "$_jws"
}
# receipts TAG N: the agent made N exchanges and each one's receipt
# verifies against its bytes.
receipts() {
	_n=$(find "$tmp/wire/$1" -name '*.json' 2>/dev/null | wc -l)
	[ "$_n" = "$2" ] && ok || bad "$1: $_n exchanges recorded, want $2"
	for _j in "$tmp/wire/$1"/*.json; do
		[ -f "$_j" ] || continue
		_p=${_j%.json}
		verify "$(receipt_of "$_p")" "$_p.req" "$_p.body" "$1 $(basename "$_p")"
	done
}
# followup TAG: the agent's second request carried the listing back.
followup() {
	grep -q hello.txt "$tmp/wire/$1/002.req" 2>/dev/null && ok ||
	    bad "$1: the follow-up request does not carry the tool's result"
}

# ---- the agents, on the mock --------------------------------------------------

# Claude Code: Anthropic Messages, streamed, x-api-key.
KC=$(api_key "$state" claude --credits 100000000)
project claude
run_claude claude "$KC" "$LIST_BASH"
[ "$rc" = 0 ] && ok || { bad "claude: exit $rc"; sed 's/^/  | /' "$tmp/claude.err" | tail -5; }
jq -r '.result // empty' "$tmp/claude.out" >"$tmp/claude.txt" 2>/dev/null
got_listing claude "$tmp/claude.txt"
ledger_ok claude claude 2
receipts claude 2
followup claude

# Codex: OpenAI Responses, streamed, Bearer.
KX=$(api_key "$state" codex --credits 100000000)
project codex
codex_config codex gpt-mock
run_codex codex "$KX" "$LIST_SHELL"
[ "$rc" = 0 ] && ok || { bad "codex: exit $rc"; sed 's/^/  | /' "$tmp/codex.err" | tail -5; }
jq -r 'select(.type == "item.completed" and .item.type == "agent_message") | .item.text' \
    "$tmp/codex.out" >"$tmp/codex.txt" 2>/dev/null
got_listing codex "$tmp/codex.txt"
ledger_ok codex codex 2
receipts codex 2
followup codex

# Qwen Code: Chat Completions, then Responses.
for at in openai openai-responses; do
	t=qwen-$at
	KQ=$(api_key "$state" "$t" --credits 100000000)
	printf '%s' "$KQ" >"$tmp/$t.key"
	project "$t"
	mkdir -p "$tmp/$t/home/.qwen"
	cat >"$tmp/$t/home/.qwen/settings.json" <<JSON
{ "privacy": {"usageStatisticsEnabled": false}, "telemetry": {"enabled": false},
  "general": {"disableAutoUpdate": true, "disableUpdateNag": true},
  "security": {"auth": {"selectedType": "$at"}} }
JSON
	agent "$t" 120 OPENAI_BASE_URL="$R/a/$t/v1" OPENAI_API_KEY="$KQ" \
	    OPENAI_MODEL=gpt-mock QWEN_CODE_SUPPRESS_YOLO_WARNING=1 \
	    "$A/qwen" --auth-type "$at" --approval-mode yolo -o json \
	    "List the files in this directory using a shell command, then say done."
	[ "$rc" = 0 ] && ok || { bad "$t: exit $rc"; sed 's/^/  | /' "$tmp/$t.err" | tail -5; }
	jq -r '.[] | select(.type == "result") | .result' "$tmp/$t.out" >"$tmp/$t.txt" 2>/dev/null
	got_listing "$t" "$tmp/$t.txt"
	ledger_ok "$t" "$t" 2
	receipts "$t" 2
	followup "$t"
done

# opencode: chat through @ai-sdk/openai-compatible; it names the session
# first (a call with no tools), so three requests.
KO=$(api_key "$state" opencode --credits 100000000)
project opencode
cat >"$tmp/opencode/opencode.json" <<JSON
{ "\$schema": "https://opencode.ai/config.json", "autoupdate": false, "share": "disabled",
  "provider": { "cloister": { "npm": "@ai-sdk/openai-compatible", "name": "Cloister",
    "options": { "baseURL": "$R/a/opencode/v1", "apiKey": "$KO" },
    "models": { "mock-small": {} } } } }
JSON
agent opencode 120 OPENCODE_CONFIG="$tmp/opencode/opencode.json" \
    OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_MODELS_FETCH=1 \
    OPENCODE_DISABLE_DEFAULT_PLUGINS=1 OPENCODE_DISABLE_LSP_DOWNLOAD=1 \
    OPENCODE_DISABLE_SHARE=1 \
    "$A/opencode" run --format json -m cloister/mock-small \
    "List the files in this directory using a shell command, then say done."
[ "$rc" = 0 ] && ok || { bad "opencode: exit $rc"; sed 's/^/  | /' "$tmp/opencode.err" | tail -5; }
jq -rs '[.[] | select(.type == "text") | .part.text] | last // empty' "$tmp/opencode.out" >"$tmp/opencode.txt" 2>/dev/null
got_listing opencode "$tmp/opencode.txt"
ledger_ok opencode opencode 3
receipts opencode 3
grep -l hello.txt "$tmp/wire/opencode"/*.req >/dev/null 2>&1 && ok ||
    bad "opencode: no request carried the tool's result"

# ---- one recorded request of each API, again ---------------------------------

# reissue API TAG: the agent's first request, whole with the vendor's SDK
# (the receipt in the Cloister-Receipt header) and streamed with curl
# (the receipt in the stream's last comment).
reissue() {
	_api=$1 _tag=$2
	if node "$agents_dir/reissue.mjs" "$_api" "$G" "$3" \
	    "$tmp/wire/$_tag/001.req" "$tmp/re-$_tag" >"$tmp/re-$_tag.out" 2>&1; then
		ok
		verify "$(cat "$tmp/re-$_tag.jws")" "$tmp/re-$_tag.req" "$tmp/re-$_tag.res" "$_tag: whole answer from the SDK"
	else
		bad "$_tag: the SDK's whole request failed: $(tail -3 "$tmp/re-$_tag.out")"
	fi
	case $_api in
	messages) _path=/v1/messages _auth="x-api-key: $3" ;;
	responses) _path=/v1/responses _auth="Authorization: Bearer $3" ;;
	*) _path=/v1/chat/completions _auth="Authorization: Bearer $3" ;;
	esac
	curl -s -N -o "$tmp/cs-$_tag.res" -D "$tmp/cs-$_tag.h" "$G$_path" \
	    -H "$_auth" -H 'content-type: application/json' \
	    --data-binary @"$tmp/wire/$_tag/001.req"
	printf '{"headers":{}}' >"$tmp/cs-$_tag.json"
	cp "$tmp/wire/$_tag/001.req" "$tmp/cs-$_tag.req"
	verify "$(receipt_of "$tmp/cs-$_tag")" "$tmp/cs-$_tag.req" "$tmp/cs-$_tag.body" "$_tag: stream from curl"
}
reissue messages claude "$KC"
reissue responses codex "$KX"
reissue chat qwen-openai "$(cat "$tmp/qwen-openai.key")"

# ---- an empty balance ----------------------------------------------------------

KE=$(api_key "$state" empty)
project claude-empty
run_claude claude-empty "$KE" "$LIST_BASH"
st=$(jq -r '.status' "$tmp/wire/claude-empty/001.json" 2>/dev/null)
n=$(find "$tmp/wire/claude-empty" -name '*.json' 2>/dev/null | wc -l)
[ "$rc" != 0 ] && [ "$st" = 402 ] && [ "$n" = 1 ] && [ "$secs" -le 10 ] && ok ||
    bad "claude, empty balance: exit $rc after ${secs}s, $n requests, first answered $st (want 402, one request, a few seconds)"
jq -e '.type == "error" and (.error.type | type == "string")' "$tmp/wire/claude-empty/001.res" >/dev/null 2>&1 && ok ||
    bad "claude, empty balance: not the Anthropic error shape: $(head -c 200 "$tmp/wire/claude-empty/001.res" 2>/dev/null)"
project codex-empty
codex_config codex-empty gpt-mock
run_codex codex-empty "$KE" "$LIST_SHELL"
st=$(jq -r '.status' "$tmp/wire/codex-empty/001.json" 2>/dev/null)
n=$(find "$tmp/wire/codex-empty" -name '*.json' 2>/dev/null | wc -l)
[ "$rc" != 0 ] && [ "$st" = 429 ] && [ "$n" = 1 ] && [ "$secs" -le 10 ] && ok ||
    bad "codex, empty balance: exit $rc after ${secs}s, $n requests, first answered $st (want 429, one request, a few seconds)"
jq -e '.error.code == "insufficient_quota"' "$tmp/wire/codex-empty/001.res" >/dev/null 2>&1 && ok ||
    bad "codex, empty balance: no insufficient_quota: $(head -c 200 "$tmp/wire/codex-empty/001.res" 2>/dev/null)"

# ---- count_tokens, 26 at once (Claude Code's /context) ------------------------

KT=$(api_key "$state" counter --credits 1000000)
before=$(sqlite3 "$state/ledger.db" "SELECT credits FROM keys WHERE id = '$(cat "$tmp/counter.id")'")
jq -c '{model, messages, tools}' "$tmp/wire/claude/001.req" >"$tmp/count.json" 2>/dev/null ||
    printf '{"model":"claude-opus-5-5","messages":[{"role":"user","content":"hi"}]}' >"$tmp/count.json"
cpids=
for i in $(seq 1 26); do
	curl -s -o "$tmp/ct$i.json" -w '%{http_code}' -m 30 \
	    "$G/v1/messages/count_tokens?beta=true" -H "x-api-key: $KT" \
	    -H 'anthropic-version: 2023-06-01' \
	    -H 'anthropic-beta: token-counting-2024-11-01' \
	    -H 'content-type: application/json' \
	    --data-binary @"$tmp/count.json" >"$tmp/ct$i.code" &
	cpids="$cpids $!"
done
# shellcheck disable=SC2086
wait $cpids
good=0
for i in $(seq 1 26); do
	[ "$(cat "$tmp/ct$i.code")" = 200 ] &&
	    jq -e '(.input_tokens | type == "number") and .input_tokens > 0' "$tmp/ct$i.json" >/dev/null 2>&1 &&
	    good=$((good + 1))
done
[ "$good" = 26 ] && ok || bad "count_tokens: $good of 26 answered 200 {input_tokens}: $(cat "$tmp/ct1.code") $(head -c 200 "$tmp/ct1.json")"
after=$(sqlite3 "$state/ledger.db" "SELECT credits FROM keys WHERE id = '$(cat "$tmp/counter.id")'")
[ "$before" = "$after" ] && ok || bad "count_tokens charged: $before credits before, $after after"

# ---- through the translator: a chat upstream ----------------------------------

# upl FROM: the upstream's log from line FROM on.
upl() { tail -n +"$1" "$tmp/up.log"; }

# Claude Code on up-agent: Messages in, chat to the upstream.
KU=$(api_key "$state" claude-up --credits 100000000)
project claude-up
l0=$(($(wc -l <"$tmp/up.log") + 1))
run_claude claude-up "$KU" "$LIST_BASH" --model up-agent
[ "$rc" = 0 ] && ok || { bad "claude-up: exit $rc"; sed 's/^/  | /' "$tmp/claude-up.err" | tail -5; }
jq -r '.result // empty' "$tmp/claude-up.out" >"$tmp/claude-up.txt" 2>/dev/null
got_listing claude-up "$tmp/claude-up.txt"
ledger_ok claude-up claude-up 2
receipts claude-up 2
upl "$l0" >"$tmp/claude-up.up"
jq -se 'length == 2 and .[0].flavour == "chat" and .[0].kind == "calls" and .[0].shell == "Bash"
    and .[1].kind == "result" and (.[1].results | length == 1 and (.[0] | test("hello.txt")))' \
    "$tmp/claude-up.up" >/dev/null && ok ||
    bad "claude-up: the upstream saw: $(cut -c1-300 "$tmp/claude-up.up")"

# Codex on up-agent: Responses in, chat to the upstream.
KV=$(api_key "$state" codex-up --credits 100000000)
project codex-up
codex_config codex-up up-agent
l0=$(($(wc -l <"$tmp/up.log") + 1))
run_codex codex-up "$KV" "$LIST_SHELL"
[ "$rc" = 0 ] && ok || { bad "codex-up: exit $rc"; sed 's/^/  | /' "$tmp/codex-up.err" | tail -5; }
jq -r 'select(.type == "item.completed" and .item.type == "agent_message") | .item.text' \
    "$tmp/codex-up.out" >"$tmp/codex-up.txt" 2>/dev/null
got_listing codex-up "$tmp/codex-up.txt"
ledger_ok codex-up codex-up 2
receipts codex-up 2
upl "$l0" >"$tmp/codex-up.up"
jq -se 'length == 2 and .[0].flavour == "chat" and .[0].kind == "calls" and .[0].shell == "exec_command"
    and .[1].kind == "result" and (.[1].results | length == 1 and (.[0] | test("hello.txt")))' \
    "$tmp/codex-up.up" >/dev/null && ok ||
    bad "codex-up: the upstream saw: $(cut -c1-300 "$tmp/codex-up.up")"

# Parallel calls: the upstream sends two calls whose argument pieces
# interleave; each agent runs both and sends both results back.
for a in claude codex; do
	t=$a-par
	project "$t"
	l0=$(($(wc -l <"$tmp/up.log") + 1))
	K=$(api_key "$state" "$t" --credits 100000000)
	if [ "$a" = claude ]; then
		run_claude "$t" "$K" "List the files in this directory twice, in parallel, using the Bash tool, then say done." --model up-agent
	else
		codex_config "$t" up-agent
		run_codex "$t" "$K" "List the files in this directory twice, in parallel, with a shell command, then say done."
	fi
	[ "$rc" = 0 ] && ok || { bad "$t: exit $rc"; sed 's/^/  | /' "$tmp/$t.err" | tail -5; }
	upl "$l0" >"$tmp/$t.up"
	jq -se 'length == 2 and .[0].ncalls == 2 and .[1].kind == "result" and (.[1].results | length == 2)' \
	    "$tmp/$t.up" >/dev/null && ok ||
	    bad "$t: the upstream saw: $(cut -c1-300 "$tmp/$t.up")"
	receipts "$t" 2
done

# A stream cut halfway and an upstream error halfway, in each API the
# gateway speaks: the client is told (no normal end), nothing is
# charged as a success.
# last_events FILE: a stream's last two lines before its receipt.
last_events() {
	grep -v '^: cloister-receipt\|^$' "$1" | tail -2 | cut -c1-160 | tr '\n' ' '
	grep -q '^: cloister-receipt' "$1" && printf '%s' '[receipt]'
}
KF=$(api_key "$state" faults --credits 100000000)
for f in cut err; do
	m=up-agent-$f
	curl -s -N -m 30 -o "$tmp/f-msg-$f" "$G/v1/messages" -H "x-api-key: $KF" \
	    -d "{\"model\":\"$m\",\"stream\":true,\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"say something\"}]}"
	# some of the answer came through first, then the error, no end
	grep -q '"text_delta"' "$tmp/f-msg-$f" && grep -q '^event: error' "$tmp/f-msg-$f" &&
	    ! grep -q '^event: message_stop' "$tmp/f-msg-$f" && ok ||
	    bad "messages, upstream $f: the stream ends: $(last_events "$tmp/f-msg-$f")"
	curl -s -N -m 30 -o "$tmp/f-resp-$f" "$G/v1/responses" -H "Authorization: Bearer $KF" \
	    -d "{\"model\":\"$m\",\"stream\":true,\"input\":\"say something\"}"
	grep -q 'response.output_text.delta' "$tmp/f-resp-$f" && grep -q 'response.failed' "$tmp/f-resp-$f" &&
	    ! grep -q 'response.completed' "$tmp/f-resp-$f" && ok ||
	    bad "responses, upstream $f: the stream ends: $(last_events "$tmp/f-resp-$f")"
	curl -s -N -m 30 -o "$tmp/f-chat-$f" "$G/v1/chat/completions" -H "Authorization: Bearer $KF" \
	    -d "{\"model\":\"$m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"say something\"}]}"
	grep -q '"content":"upstream"' "$tmp/f-chat-$f" && grep -q '^data: {"error"' "$tmp/f-chat-$f" &&
	    ! grep -q '"finish_reason":"stop"' "$tmp/f-chat-$f" && ok ||
	    bad "chat, upstream $f: the stream ends: $(last_events "$tmp/f-chat-$f")"
done
n=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM requests WHERE key_id = '$(cat "$tmp/faults.id")' AND status = 'ok'")
[ "$n" = 0 ] && ok || bad "faults: $n broken streams settled as ok"
# Codex on a stream that fails halfway: it retries response.failed and
# gives up, within its timeout.
project codex-err
codex_config codex-err up-agent-err
run_codex codex-err "$KX" "$LIST_SHELL"
[ "$rc" != 0 ] && [ "$rc" -lt 124 ] && ok || bad "codex-err: exit $rc after ${secs}s"

grep -q "AddressSanitizer\|runtime error" "$tmp/serve.err" && bad "sanitizer report in the gateway's log" || ok
stop "$recpid"
# AGENTS_KEEP=DIR keeps the run's files (agents' output, the wire, logs).
[ -z "${AGENTS_KEEP:-}" ] || cp -r "$tmp/." "$AGENTS_KEEP/"
echo "$name: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
