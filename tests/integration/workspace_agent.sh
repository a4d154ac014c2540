#!/bin/sh
# A real coding agent inside a workspace: Claude Code (tests/agents,
# pinned) runs in `cloister workspace run` against `cloister serve` with
# the mock backend, completes a tool turn (ls) through the workspace's
# gateway socket, and its attempt to fetch a URL that is not allowlisted
# is refused by the egress proxy and audited.  The whole script runs in
# a network namespace it made itself (root: unshare -n; others:
# unshare -rn), so that nothing can leave the machine.
#   workspace_agent.sh CLOISTER AGENTS_DIR
set -u
bin=$1
agents=$2
if [ -z "${WS_TEST_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		exec env WS_TEST_NETNS=1 unshare -n -- "$0" "$@"
	fi
	exec env WS_TEST_NETNS=1 unshare -rn -- "$0" "$@"
fi
. "$(dirname "$0")/common.sh"
ip link set lo up || { echo "workspace_agent: no network namespace"; exit 1; }
claude=$agents/node_modules/@anthropic-ai/claude-code-linux-x64/claude
if [ ! -x "$claude" ]; then
	echo "workspace_agent: $claude missing (scripts/bootstrap)"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
if ! "$bin" workspace doctor >"$tmp/doctor" 2>&1; then
	cat "$tmp/doctor"
	echo "workspace_agent: SKIPPED: this kernel cannot run workspaces"
	exit 77
fi

port=$(freeport)
state=$tmp/state
cat >"$tmp/gw.yaml" <<Y
listen: 127.0.0.1:$port
state_dir: $state
tee: sim
backends:
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 2000000, aliases: [claude-opus-5-5, claude-haiku-5-5] }
Y
# Bun (Claude Code's runtime) needs about 1 GiB of data segment to start.
cat >"$tmp/policy.yaml" <<'Y'
agent: { name: claude-code, version: "2.1.337" }
budget: 100000000
egress: { allow: [registry.example] }
limits: { memory: 2G, tmpfs: 64M, pids: 256, nofile: 1024 }
Y
serve_start serve "$tmp/gw.yaml" || exit 1
admin=$("$bin" keys create --state "$state" --name admin --scope admin 2>/dev/null)
[ -n "$admin" ] && ok || bad "admin key"
# The project: two files and the agent's binary (a hard link where the
# file system allows, so nothing large is copied).
proj=$tmp/proj
mkdir -p "$proj"
echo "# demo" >"$proj/README.md"
echo hi >"$proj/hello.txt"
ln "$claude" "$proj/.claude" 2>/dev/null || cp "$claude" "$proj/.claude"

# run NAME PROMPT TOOLS: Claude Code in a workspace, -p mode.
run() {
	CLOISTER_ADMIN_KEY=$admin timeout -k 5 120 "$bin" workspace run \
	    --config "$tmp/gw.yaml" --policy "$tmp/policy.yaml" --dir "$proj" \
	    --bind -- /workspace/.claude -p "$2" --output-format json \
	    --allowedTools "$3" </dev/null >"$tmp/$1.out" 2>"$tmp/$1.err"
	echo $?
}
result() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("result","")); print("turns", d.get("num_turns"))' "$tmp/$1.out" 2>/dev/null; }

rc=$(run ls "List the files in this directory using the Bash tool, then say done." "Bash(ls:*)")
[ "$rc" = 0 ] && ok || bad "Claude Code in a workspace exited $rc: $(tail -c 400 "$tmp/ls.err")"
out=$(result ls)
echo "$out" | grep -q 'README.md' && echo "$out" | grep -q 'hello.txt' &&
    echo "$out" | grep -q '^turns 2$' && ok ||
    bad "the tool turn inside the workspace: $out"
# Its requests went through the workspace's socket: two answered
# requests on a key named after a workspace, whose receipts name it.
n=0
for _ in $(seq 1 50); do
	n=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM requests r JOIN keys k ON k.id = r.key_id WHERE k.name LIKE 'workspace ws-%' AND r.status = 'ok' AND r.receipt IS NOT NULL" 2>/dev/null || echo 0)
	[ "$n" -ge 2 ] && break
	sleep 0.1
done
[ "$n" -ge 2 ] && ok || bad "ledger: $n answered requests of a workspace key"
rec=$(sqlite3 "$state/ledger.db" "SELECT r.receipt FROM requests r JOIN keys k ON k.id = r.key_id WHERE k.name LIKE 'workspace ws-%' LIMIT 1")
echo "$rec" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | grep -q '"workspace":"ws-' && ok ||
    bad "the receipt does not name the workspace"
# The workspace's key is revoked once it ended.
r=$(sqlite3 "$state/ledger.db" "SELECT count(*) FROM keys WHERE name LIKE 'workspace ws-%' AND revoked = 0")
[ "$r" = 0 ] && ok || bad "$r workspace keys still active after the run"

rc=$(run fetch "Please fetch https://denied.example/data with the Bash tool." "Bash(curl:*)")
[ "$rc" = 0 ] && ok || bad "the fetching run exited $rc: $(tail -c 400 "$tmp/fetch.err")"
out=$(result fetch)
echo "$out" | grep -q 'CONNECT tunnel failed, response 403' && ok ||
    bad "the agent's fetch was not refused by the proxy: $out"
log=$(ls "$state"/audit/egress-*.jsonl 2>/dev/null | head -1)
[ -n "$log" ] && grep '"host":"denied.example"' "$log" | grep -q '"decision":"refused"' && ok ||
    bad "the refusal is not in the egress audit log"
stop "$serve_pid"
"$bin" audit verify "$log" >"$tmp/verify" 2>&1 && ok ||
    bad "the egress audit log does not verify: $(head -3 "$tmp/verify")"

echo "workspace_agent: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
