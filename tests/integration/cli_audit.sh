#!/bin/sh
# `cloister audit verify`: an intact log, one tied to its evidence, and
# the edits, deletions and cuts it must name.
#   cli_audit.sh CLOISTER MKAUDIT
set -u
bin=$1
mk=$2
. "$(dirname "$0")/common.sh"

"$mk" "$tmp" && ok || bad "mkaudit"
L=$tmp/audit.log
expect_exit 0 "$bin" audit verify "$L" --json
jcheck '.intact == true and .lines == 9 and .checkpoints == 2 and .closed == true and .key_checked == false'
expect_exit 0 "$bin" audit verify "$L" --evidence "$tmp/evidence.json" --allow-simulated
grep -q '^INTACT: 9 lines, 2 checkpoints, closed; signed by the key the evidence binds' "$tmp/out" && ok || bad "human INTACT line"
# The evidence is simulated: refused without the flag.
expect_exit 1 "$bin" audit verify "$L" --evidence "$tmp/evidence.json"
# Line 4 edited (its latency), line 5 removed, the last line cut.
sed '4s/"latency_us":0/"latency_us":1/' "$L" >"$tmp/edit.log"
expect_exit 1 "$bin" audit verify "$tmp/edit.log" --json
jcheck '.intact == false and .error.line == 4 and .error.code == "BINDING"'
sed '5d' "$L" >"$tmp/del.log"
expect_exit 1 "$bin" audit verify "$tmp/del.log" --json
jcheck '.error.line == 5'
head -n 8 "$L" >"$tmp/cut.log"
expect_exit 1 "$bin" audit verify "$tmp/cut.log"
grep -q 'without its closing checkpoint' "$tmp/out" && ok || bad "truncation not said"
head -n 5 "$L" >"$tmp/live.log"
expect_exit 0 "$bin" audit verify "$tmp/live.log" --open
expect_exit 2 "$bin" audit verify
# Sealed payloads: only the auditor's key opens them, the log stays intact.
pub=$("$bin" audit keygen "$tmp/auditor.key")
[ "$(stat -c %a "$tmp/auditor.key")" = 600 ] && ok || bad "secret key mode"
expect_exit 2 "$bin" audit keygen "$tmp/auditor.key"
mkdir "$tmp/s"
"$mk" "$tmp/s" "$pub" && ok || bad "mkaudit with an auditor"
grep -q '"sealed":"' "$tmp/s/audit.log" && ok || bad "no sealed payloads"
grep -q 'payload 3' "$tmp/s/audit.log" && bad "payload in clear" || ok
expect_exit 0 "$bin" audit verify "$tmp/s/audit.log"
expect_exit 0 "$bin" audit open "$tmp/s/audit.log" --key "$tmp/auditor.key"
grep -q '^6: payload 3$' "$tmp/out" && ok || bad "opened payload"
"$bin" audit keygen "$tmp/other.key" >/dev/null
expect_exit 1 "$bin" audit open "$tmp/s/audit.log" --key "$tmp/other.key"
echo "cli_audit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
