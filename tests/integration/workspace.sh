#!/bin/sh
# `cloister workspace`: the escape matrix (research §4.1).  Each attack
# runs as tests/tools/ws_probe *inside* a real workspace, and its result
# is also checked from outside.  The whole script runs in a network
# namespace it made itself (root: unshare -n; others: unshare -rn), so
# that even a broken sandbox sends nothing off the machine; the "hosts"
# it attacks are listeners on 203.0.113.7 in that namespace.
#   workspace.sh CLOISTER WS_PROBE
set -u
bin=$1
probe=$2
if [ -z "${WS_TEST_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		exec env WS_TEST_NETNS=1 unshare -n -- "$0" "$@"
	fi
	exec env WS_TEST_NETNS=1 unshare -rn -- "$0" "$@"
fi
. "$(dirname "$0")/common.sh"
skips=0
skipped=
skip() { skips=$((skips + 1)); skipped="$skipped
  SKIP: $*"; }

ip link set lo up && ip addr add 203.0.113.7/32 dev lo || {
	echo "workspace.sh: cannot set up the test's network namespace"
	exit 1
}
[ "$(ip -o link | grep -vc ': lo:')" = 0 ] && ok || bad "test netns has more than lo"
if ! "$bin" workspace doctor >"$tmp/doctor" 2>&1; then
	cat "$tmp/doctor"
	echo "workspace.sh: SKIPPED entirely: this kernel cannot run workspaces"
	exit 77
fi
ranged=0
grep -q 'mapped to a host range' "$tmp/doctor" && ranged=1

# Listeners outside: TCP and UDP on 203.0.113.7 and 127.0.0.1, an
# abstract and a pathname Unix socket; each logs what reaches it.
cat >"$tmp/listen.py" <<'PY'
import os, socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
def tcp(fam, addr):
    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(addr); s.listen(8)
    while True:
        c, a = s.accept(); log.write("tcp %r\n" % (addr,)); c.close()
def udp(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(addr)
    while True:
        d, a = s.recvfrom(100); log.write("udp %r\n" % (addr,))
def unix(addr):
    s = socket.socket(socket.AF_UNIX); s.bind(addr); s.listen(8)
    if not addr.startswith("\0"): os.chmod(addr, 0o777)
    while True:
        c, a = s.accept(); log.write("unix %r\n" % (addr,)); c.close()
ts = [(tcp, (socket.AF_INET, ("203.0.113.7", 8081))),
      (tcp, (socket.AF_INET, ("127.0.0.1", 8082))),
      (tcp, (socket.AF_INET6, ("::1", 8082))),
      (udp, (("203.0.113.7", 5353),)), (udp, (("127.0.0.1", 53),)),
      (unix, ("\0" + sys.argv[2],)), (unix, (sys.argv[3],))]
for f, a in ts: threading.Thread(target=f, args=a, daemon=True).start()
open(sys.argv[4], "w").close()
threading.Event().wait()
PY
abstract=cloister-test-$$
: >"$tmp/hits"
python3 "$tmp/listen.py" "$tmp/hits" "$abstract" "$tmp/host.sock" \
	"$tmp/ready" &
listener=$!
spawned="$spawned $listener"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$tmp/ready" ] && break; sleep 0.2; done

# The project, a secret outside it, a sleeper outside, a canary.
mkdir -p "$tmp/src" "$tmp/outside" "$tmp/bind"
cp "$probe" "$tmp/src/ws_probe"
echo 'host secret' >"$tmp/secret.txt"
echo 'keep me' >"$tmp/outside/target"
sleep 300 &
sleeper=$!
spawned="$spawned $sleeper"
cat >"$tmp/policy.yaml" <<'Y'
agent: { name: ws-probe, version: "1" }
limits: { memory: 64M, tmpfs: 32M, pids: 64, nofile: 256 }
Y

# ws TEST ARGS...: the probe in a workspace with the project copied in;
# stdout in $tmp/out, exit status in $rc.
ws() {
	"$bin" workspace run --no-gateway --policy "$tmp/policy.yaml" \
	    --dir "$tmp/src" -- /workspace/ws_probe "$@" >"$tmp/out" \
	    2>"$tmp/err"
	rc=$?
}
# blocked TEST [WANT_RC]: the probe said BLOCKED and the workspace
# returned its status.
blocked() {
	if grep -q "^BLOCKED $1:" "$tmp/out" && [ "$rc" = "${2:-0}" ]; then
		ok
		echo "  ok   $1: $(cut -c1-160 "$tmp/out" | sed 's/^BLOCKED [a-z_0-9]*: //')"
	else
		bad "$1 (exit $rc): $(head -c 400 "$tmp/out") $(head -c 300 "$tmp/err")"
	fi
}

ws read_host "$(cd "$(dirname "$0")/../.." && pwd)/README.md" \
    "$tmp/secret.txt" "$tmp/outside/target"
blocked read_host

ws write_outside "$tmp/outside/pwned" "$tmp/src/pwned"
blocked write_outside
[ ! -e "$tmp/outside/pwned" ] && [ ! -e "$tmp/src/pwned" ] && \
    [ ! -e "$tmp/src/ok" ] && ok || bad "a write reached the host"

ws links "$tmp/outside/target" "$tmp/secret.txt"
blocked links
[ "$(cat "$tmp/outside/target")" = 'keep me' ] && ok || bad "target changed"

ws ns
blocked ns
ws devices
blocked devices
ws confined
blocked confined
ws x32
blocked x32
ws sockets
blocked sockets
ws io_uring
blocked io_uring
ws tiocsti
blocked tiocsti

# ptrace, kill: the probe ends with kill(-1); the sleeper outside lives.
ws ptrace "$sleeper"
blocked ptrace
kill -0 "$sleeper" 2>/dev/null && ok || bad "the sleeper outside was killed"

# A descriptor open in the launcher's caller is not in the workspace.
exec 7<"$tmp/secret.txt"
ws fds 7
exec 7<&-
blocked fds

CANARY=canary-$$-env CLOISTER_ADMIN_KEY=sk-clo-admin-canary-$$ \
    AWS_SECRET_ACCESS_KEY=aws-canary-$$ \
    "$bin" workspace run --no-gateway --dir "$tmp/src" -- \
    /workspace/ws_probe env canary-$$-env sk-clo-admin-canary-$$ \
    aws-canary-$$ CANARY >"$tmp/out" 2>"$tmp/err"
rc=$?
blocked env

ws tcp 203.0.113.7 8081 127.0.0.1 8082 ::1 8082
blocked tcp
ws udp 203.0.113.7 5353
blocked udp
ws unix "$abstract" "$tmp/host.sock"
blocked unix
sleep 0.3
if [ -s "$tmp/hits" ]; then bad "a listener outside was reached: $(cat "$tmp/hits")"; else ok; fi

# Limits: rlimits here (no cgroup v2 controllers), the tmpfs size always.
cg=$(grep 'cgroup v2' "$tmp/doctor")
if [ "$ranged" = 1 ]; then
	ws forkbomb 64
	blocked forkbomb 137
else
	skip "forkbomb: ids not mapped to a dedicated host uid (not root), RLIMIT_NPROC is not per workspace"
fi
ws membomb 64
blocked membomb
ws tmpfill 32
blocked tmpfill
case $cg in
*ok*) ;;
*)	skip "memory.max OOM of the whole group, cpu.max throttling, pids.max: $(echo "$cg" | sed 's/^[A-Z]* *cgroup v2 *//')" ;;
esac

# setuid: a setuid-root copy of the probe in a --bind project.
cp "$probe" "$tmp/bind/ws_probe"
cp "$probe" "$tmp/bind/suid"
chmod 4755 "$tmp/bind/suid"
chmod 777 "$tmp/bind"
"$bin" workspace run --no-gateway --bind --dir "$tmp/bind" -- \
    /workspace/ws_probe setuid /workspace/suid >"$tmp/out" 2>"$tmp/err"
rc=$?
blocked setuid
"$bin" workspace run --no-gateway --bind --dir "$tmp/bind" -- \
    sh -c 'echo made >/workspace/made' >"$tmp/out" 2>&1
[ "$(cat "$tmp/bind/made" 2>/dev/null)" = made ] && ok || bad "--bind: the agent's write did not land: $(cat "$tmp/out")"

# An image: measured, checked, unchanged by the agent.
img=$tmp/img
mkdir -p "$img/usr/bin" "$img/etc" "$img/bin"
cp "$probe" "$img/usr/bin/ws_probe"
cp "$probe" "$img/usr/bin/suid"
chmod 4755 "$img/usr/bin/suid"
echo hello >"$img/etc/hello"
before=$(cd "$img" && find . -printf '%p %m %s\n' | sort | sha256sum)
printf 'image: { path: %s, digest: "sha256:%064d" }\n' "$img" 0 \
    >"$tmp/img-bad.yaml"
expect_exit 125 "$bin" workspace run --no-gateway --policy "$tmp/img-bad.yaml" -- /usr/bin/ws_probe confined
grep -q 'digest sha256:[0-9a-f]\{64\}, the policy wants' "$tmp/err" && ok || bad "digest mismatch not named: $(cat "$tmp/err")"
digest=$(sed -n 's/.*digest \(sha256:[0-9a-f]\{64\}\),.*/\1/p' "$tmp/err")
printf 'image: { path: %s, digest: "%s" }\n' "$img" "$digest" \
    >"$tmp/img.yaml"
"$bin" workspace run --no-gateway --policy "$tmp/img.yaml" -- \
    /usr/bin/ws_probe write_image /usr/bin/ws_probe /etc/hello \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
blocked write_image
"$bin" workspace run --no-gateway --policy "$tmp/img.yaml" -- \
    /usr/bin/ws_probe setuid /usr/bin/suid >"$tmp/out" 2>"$tmp/err"
rc=$?
blocked setuid
after=$(cd "$img" && find . -printf '%p %m %s\n' | sort | sha256sum)
[ "$before" = "$after" ] && [ "$(cat "$img/etc/hello")" = hello ] && ok || bad "the image changed"

# The relay: 127.0.0.1:8080 and :3128 inside reach the two sockets.
mkdir -p "$tmp/sock"
cat >"$tmp/echo.py" <<'PY'
import os, socket, sys, threading
def serve(n):
    p = "%s/%s.sock" % (sys.argv[1], n)
    s = socket.socket(socket.AF_UNIX); s.bind(p); os.chmod(p, 0o666); s.listen(8)
    while True:
        c, _ = s.accept(); d = c.recv(100); c.sendall(b"%s got %s" % (n.encode(), d)); c.close()
for n in ("gateway", "egress"):
    threading.Thread(target=serve, args=(n,), daemon=True).start()
open(sys.argv[2], "w").close()
threading.Event().wait()
PY
python3 "$tmp/echo.py" "$tmp/sock" "$tmp/sock-ready" &
spawned="$spawned $!"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$tmp/sock-ready" ] && break; sleep 0.2; done
chmod 700 "$tmp/sock"
if "$bin" workspace run --test-socket-dir "$tmp/sock" --dir "$tmp/src" -- \
    sh -c '/workspace/ws_probe relay 8080; echo; /workspace/ws_probe relay 3128' \
    >"$tmp/out" 2>"$tmp/err"; then
	grep -q 'gateway got ping' "$tmp/out" && grep -q 'egress got ping' \
	    "$tmp/out" && ok || bad "relay: $(cat "$tmp/out" "$tmp/err")"
else
	skip "relay: this build has no test hooks (--test-socket-dir)"
fi

# Long-lived: start, exec (confined as the agent is), stop.
if id=$(XDG_RUNTIME_DIR= "$bin" workspace start --no-gateway --policy \
    "$tmp/policy.yaml" --dir "$tmp/src" 2>"$tmp/err"); then
	ok
	state=/tmp/cloister-workspaces-$(id -u)/$id
	[ "$(stat -c %a "$state" 2>/dev/null)" = 600 ] &&
	    [ "$(stat -c %a "$(dirname "$state")")" = 700 ] && ok ||
	    bad "state file or directory not private: $(ls -la "$state" 2>&1)"
	wx() {
		XDG_RUNTIME_DIR= "$bin" workspace exec "$id" -- "$@" \
		    >"$tmp/out" 2>"$tmp/err"
		rc=$?
	}
	wx /workspace/ws_probe confined
	blocked confined
	wx /workspace/ws_probe ns
	blocked ns
	wx /workspace/ws_probe devices
	blocked devices
	wx /workspace/ws_probe sockets
	blocked sockets
	wx /workspace/ws_probe read_host \
	    "$(cd "$(dirname "$0")/../.." && pwd)/README.md" \
	    "$tmp/secret.txt" "$tmp/outside/target"
	blocked read_host
	wx /workspace/ws_probe ptrace "$sleeper"
	blocked ptrace
	kill -0 "$sleeper" 2>/dev/null && ok || bad "the sleeper outside was killed"
	# state kept between execs, in the workspace only; the status comes back
	wx sh -c 'echo kept >/workspace/exec-file; exit 7'
	[ "$rc" = 7 ] && ok || bad "exec status $rc: $(cat "$tmp/err")"
	wx cat /workspace/exec-file
	[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = kept ] &&
	    [ ! -e "$tmp/src/exec-file" ] && ok || bad "exec state: $(cat "$tmp/out" "$tmp/err")"
	wx sh -c 'id -u; echo "$CLOISTER_WORKSPACE"'
	[ "$(sed -n 1p "$tmp/out")" = 1000 ] && [ "$(sed -n 2p "$tmp/out")" = "$id" ] &&
	    ok || bad "exec identity: $(cat "$tmp/out" "$tmp/err")"
	# a state file naming another process is refused, nothing run
	cp "$state" "$tmp/state.bak"
	sed -i "s/^init .*/init $sleeper/" "$state"
	wx sh -c 'echo RAN'
	[ "$rc" = 125 ] && ! grep -q RAN "$tmp/out" &&
	    grep -q 'not running' "$tmp/err" && ok ||
	    bad "exec joined another process: $rc $(cat "$tmp/out" "$tmp/err")"
	cp "$tmp/state.bak" "$state"
	expect_exit 125 env XDG_RUNTIME_DIR= "$bin" workspace exec ../etc -- true
	expect_exit 2 env XDG_RUNTIME_DIR= "$bin" workspace exec "$id" true
	sup=$(sed -n 's/^supervisor //p' "$state")
	expect_exit 0 env XDG_RUNTIME_DIR= "$bin" workspace stop "$id"
	[ ! -e "$state" ] && ! kill -0 "$sup" 2>/dev/null && ok ||
	    bad "stop left the supervisor or its state"
	expect_exit 125 env XDG_RUNTIME_DIR= "$bin" workspace exec "$id" -- true
	grep -q "no workspace $id" "$tmp/err" && ok || bad "exec after stop: $(cat "$tmp/err")"
else
	bad "workspace start: $(cat "$tmp/err")"
fi

# cloister-workspace: the same commands, in a binary of their own.
wsbin=$(dirname "$bin")/cloister-workspace
expect_exit 3 "$wsbin" run --no-gateway -- sh -c 'exit 3'
"$wsbin" run --no-gateway --dir "$tmp/src" -- /workspace/ws_probe confined \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
blocked confined
[ "$(readelf -d "$wsbin" | grep -c NEEDED)" -lt 10 ] && ok ||
    bad "cloister-workspace maps $(readelf -d "$wsbin" | grep -c NEEDED) libraries"

# Exit statuses, fail-closed set-up, policy errors.
expect_exit 7 "$bin" workspace run --no-gateway -- sh -c 'exit 7'
expect_exit 143 "$bin" workspace run --no-gateway -- sh -c 'kill -TERM $$'
expect_exit 125 "$bin" workspace run --no-gateway -- /no/such/command
grep -q 'exec /no/such/command: No such file or directory' "$tmp/err" && ok || bad "exec failure not named: $(cat "$tmp/err")"
echo 'limits: { swap: 1G }' >"$tmp/badpol.yaml"
expect_exit 125 "$bin" workspace run --no-gateway --policy "$tmp/badpol.yaml" -- true
grep -q 'unknown limits key "swap"' "$tmp/err" && ok || bad "policy error: $(cat "$tmp/err")"
expect_exit 125 "$bin" workspace run --no-gateway --dir "$tmp/nonexistent" -- true
expect_exit 2 "$bin" workspace run --no-gateway
# Without --no-gateway and without serve: refused, nothing run.
CLOISTER_ADMIN_KEY=sk-x expect_exit 125 "$bin" workspace run --config \
    "$(dirname "$0")/../../config/demo.yaml" -- sh -c 'echo RAN'
grep -q RAN "$tmp/out" && bad "ran without its workspace" || ok

echo "$pass passed, $fail failed, $skips skipped$skipped"
[ "$fail" = 0 ]
