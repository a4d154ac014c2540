#!/bin/sh
# Workspaces measured into RTMR3, as a verifier sees them: serve's own
# measurement path (test_ws_measure drives gw_workspace_measure on the
# simulated TEE and writes the bundles it then collects), checked with
# `cloister verify evidence`; and a live serve, whose start-up and fresh
# bundles carry an empty event log that replays to a zero RTMR3.  When
# serve has the workspace admin API, two workspaces are made through it
# and fresh evidence lists them; ending one adds its stop event.
#   cli_rtmr3.sh CLOISTER TEST_WS_MEASURE
set -u
bin=$1
measure=$2
. "$(dirname "$0")/common.sh"

"$measure" "$tmp" >"$tmp/measure.out" 2>&1 && ok || {
	bad "test_ws_measure failed"; sed 's/^/  | /' "$tmp/measure.out" | tail -20; }

expect_exit 0 "$bin" verify evidence "$tmp/good.json" --allow-simulated
grep -q 'rtmr3 replay *3 events (2 workspaces) replay' "$tmp/out" && ok || bad "no replay step: $(cat "$tmp/out")"
grep -q 'ws-aaaaaaaaaaaaaaaaaaaaaaa1  [0-9a-f]\{96\}  (ended)' "$tmp/out" && ok || bad "the workspaces are not listed"
expect_exit 0 "$bin" verify evidence "$tmp/good.json" --allow-simulated --json
jcheck '.accepted == true and .rtmr3_events == 3 and .workspaces_total == 2'
jcheck '[.workspaces[].id] == ["ws-aaaaaaaaaaaaaaaaaaaaaaa1", "ws-aaaaaaaaaaaaaaaaaaaaaaa2"] and .workspaces[0].ended == true and .workspaces[1].ended == false'
jcheck '(.workspaces[0].digest | length) == 96'
jcheck '[.steps[].name] | index("rtmr3 replay") == (index("binding") + 1)'
# The bundle's own log: the digest a reader sees is the one listed.
[ "$(jq -r '.evidence.rtmr3_events[0].digest' "$tmp/good.json")" = "$(jq -r '.workspaces[0].digest' "$tmp/out")" ] && ok || bad "listed digest differs from the log's"
# Simulated evidence stays refused without the flag.
expect_exit 1 "$bin" verify evidence "$tmp/good.json"

# A manifest changed and the bundle re-signed by the instance key: only
# the replay can tell.
expect_exit 1 "$bin" verify evidence "$tmp/tampered-resigned.json" --allow-simulated --json
jcheck '.verified == false and .error.step == "rtmr3 replay" and .error.code == "MEASUREMENT_MISMATCH"'
jcheck '.error.message | test("rtmr3_events\\[0\\] \\(workspace-start ws-a+1\\)")'
# ... and not re-signed: the signature says so first.
expect_exit 1 "$bin" verify evidence "$tmp/tampered.json" --allow-simulated --json
jcheck '.error.step == "bundle signature"'

# A live serve on the simulated TEE.
port=$(freeport)
state=$tmp/state
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $state
tee: { provider: sim, gpu: none, rtmr: sysfs }
backends:
  - name: mock
    type: mock
    models: [ { name: m, input: 1, output: 1 } ]
YAML
if serve_start gw "$tmp/gw.yaml"; then
	ok
	A=$serve_url/v1/attestation
	curl -s -o "$tmp/start.json" "$A"
	jq -e '.evidence.rtmr3_events == []' "$tmp/start.json" >/dev/null && ok || bad "start-up bundle: no empty rtmr3_events"
	expect_exit 0 "$bin" verify evidence "$tmp/start.json" --allow-simulated --json
	jcheck '.accepted == true and .rtmr3_events == 0 and .workspaces == []'
	K=$(api_key "$state" rtmr3 --credits 10)
	admin=$(api_key "$state" admin --scope admin 2>/dev/null || true)
	made=0
	if [ -n "$admin" ]; then
		for w in 1 2; do
			code=$(curl -s -o "$tmp/ws$w.json" -w '%{http_code}' \
			    -H "Authorization: Bearer $admin" \
			    -H 'Content-Type: application/json' \
			    --data "{\"manifest\":{\"v\":1,\"type\":\"cloister-workspace\",\"image\":{\"digest\":\"host\"},\"command\":[\"sh\",\"-c\",\"echo $w\"],\"agent\":{\"name\":\"t\",\"version\":\"1\"},\"policy\":{\"sha256\":\"$(printf '%064d' 0)\"},\"egress\":{\"allow\":[]},\"sandbox\":{\"landlock_abi\":0,\"seccomp\":\"sha256:$(printf '%064d' 0)\",\"limits\":{},\"cgroup\":\"rlimits\"}},\"budget\":10,\"egress\":{\"allow\":[],\"dlp\":true}}" \
			    "$serve_url/admin/api/workspaces")
			[ "$code" = 201 ] && made=$((made + 1))
		done
	fi
	N=0011223344
	curl -s -o "$tmp/fresh.json" "$A?nonce=$N" -H "Authorization: Bearer $K"
	expect_exit 0 "$bin" verify evidence "$tmp/fresh.json" --allow-simulated --nonce $N --json
	jcheck ".accepted == true and .workspaces_total == $made"
	echo "cli_rtmr3: $made workspaces made through the admin API"
	if [ "$made" -eq 2 ]; then
		jcheck "[.workspaces[].id] == [$(jq -c .id "$tmp/ws1.json"), $(jq -c .id "$tmp/ws2.json")]"
		[ "$(jq -r .manifest_sha384 "$tmp/ws1.json")" = "$(jq -r '.workspaces[0].digest' "$tmp/out")" ] && ok || bad "the admin API's digest is not the log's"
		# A changed manifest in the served bundle breaks its signature.
		jq '.evidence.rtmr3_events[0].manifest.command[0] = "x"' "$tmp/fresh.json" >"$tmp/fresh-bad.json"
		expect_exit 1 "$bin" verify evidence "$tmp/fresh-bad.json" --allow-simulated --json
		jcheck '.accepted == false'
		# Ending one logs its stop event.
		expect_http 200 -X DELETE -H "Authorization: Bearer $admin" \
		    "$serve_url/admin/api/workspaces/$(jq -r .id "$tmp/ws1.json")"
		curl -s -o "$tmp/fresh2.json" "$A?nonce=${N}ff" -H "Authorization: Bearer $K"
		expect_exit 0 "$bin" verify evidence "$tmp/fresh2.json" --allow-simulated --nonce ${N}ff --json
		jcheck '.accepted == true and .rtmr3_events == 3 and .workspaces[0].ended == true and .workspaces[1].ended == false'
	else
		echo "cli_rtmr3: no workspace admin API in this serve ($made made): checked through test_ws_measure only"
	fi
	stop
else
	bad "serve did not start"
fi

echo "cli_rtmr3: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
