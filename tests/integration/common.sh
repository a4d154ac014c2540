# Shared by the integration tests (sourced once a script has read its
# arguments; the helpers that run cloister use $bin, its path):
#   a scratch folder $tmp, removed at exit with everything spawned here;
#   counters and checks: ok, bad, expect_exit, jcheck, expect_http;
#   servers: freeport, wait_url, spawn, serve_start, stop, stop_all;
#   keys: api_key.
# Helpers keep their own variables under names that start with "_".
# shellcheck disable=SC2154	# $bin is the sourcing script's
tmp=$(mktemp -d)
pass=0
fail=0
spawned=	# what spawn started and stop has not stopped yet
serve_pid=
serve_url=
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_exit WANT -- command...
expect_exit() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		bad "exit $got, want $want: $*"
		sed 's/^/  | /' "$tmp/err" | head -5
	fi
}

# jcheck FILTER -- the last JSON output satisfies the jq filter
jcheck() {
	if jq -e "$1" "$tmp/out" >/dev/null 2>&1; then ok; else
		bad "jq '$1' on: $(head -c 300 "$tmp/out")"
	fi
}

# expect_http WANT [CURL-ARG...]: one request with curl; its HTTP status
# must be WANT.  The answer's body is left in $tmp/body.
expect_http() {
	_want=$1
	shift
	_got=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@")
	if [ "$_got" = "$_want" ]; then ok; else
		bad "HTTP $_got, want $_want: $* -> $(head -c 200 "$tmp/body")"
	fi
}

# freeport: prints a TCP port of 127.0.0.1 that nothing uses, chosen by
# the kernel (a bind to port 0) and kept from everyone else for a minute:
# a connection to it is closed from its side first, which leaves that
# side in TIME_WAIT, so no other bind to port 0 and no outgoing
# connection is given the port -- not in a test running beside this one
# either -- while a server that sets SO_REUSEADDR (cloister, through
# libevent; node) can still listen on it.  Until one does, nothing
# answers there: it is also the address of a server that is down.
freeport() {
	python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1)
c = socket.create_connection(s.getsockname())
a, _ = s.accept()
a.close()
c.close()
print(s.getsockname()[1])'
}

# wait_url [-p PID] URL [CURL-OPTION...]: waits, up to 30 s, until
# `curl -s -o /dev/null CURL-OPTION... URL` succeeds: any HTTP answer,
# unless -f is among the options (then a 2xx one); -k or --cacert FILE
# for https.  With -p, gives up as soon as process PID is gone.  Returns
# 1, saying so, if URL did not answer.
wait_url() {
	_wpid=
	if [ "$1" = -p ]; then
		_wpid=$2
		shift 2
	fi
	_url=$1
	shift
	for _ in $(seq 1 300); do
		curl -s -o /dev/null -m 2 "$@" "$_url" 2>/dev/null && return 0
		if [ -n "$_wpid" ] && ! kill -0 "$_wpid" 2>/dev/null; then
			echo "not up: $_url (its process exited)"
			return 1
		fi
		sleep 0.1
	done
	echo "not up: $_url"
	return 1
}

# spawn NAME COMMAND [ARG...]: runs COMMAND in the background with its
# output appended to $tmp/NAME.out and $tmp/NAME.err; its pid is left in
# $spawned_pid.  It is stopped at exit unless stop stopped it before.
spawn() {
	_name=$1
	shift
	"$@" >>"$tmp/$_name.out" 2>>"$tmp/$_name.err" &
	spawned_pid=$!
	spawned="$spawned $spawned_pid"
}

# spawn_port VAR NAME COMMAND [ARG...]: spawn NAME, a server that prints
# the port the kernel gave it as its first line (the node test servers),
# and set VAR to that port; says so and returns 1 when none came in 5 s.
# Not in a subshell: spawn's bookkeeping and $spawned_pid must stay.
spawn_port() {
	_var=$1
	shift
	spawn "$@"
	for _ in $(seq 1 50); do
		[ -s "$tmp/$1.out" ] && break
		sleep 0.1
	done
	if [ ! -s "$tmp/$1.out" ]; then
		echo "$1 printed no port: $(head -c 300 "$tmp/$1.err")"
		return 1
	fi
	eval "$_var=\$(head -1 \"\$tmp/\$1.out\")"
}

# serve_start NAME CONFIG [CURL-OPTION...]: spawns `cloister serve
# --config CONFIG` as NAME (its output in $tmp/NAME.out and .err) and
# waits for its /healthz to answer 2xx at CONFIG's `listen:` address --
# over https when CONFIG has a `tls:` line, with CURL-OPTION... such as
# --cacert FILE or -k.  Sets $serve_pid and $serve_url (scheme, host and
# port).  If the gateway does not come up, stops it, says so with its
# stderr and returns 1.
serve_start() {
	_name=$1
	_cfg=$2
	shift 2
	serve_url=$(sed -n 's/^listen: *\([^ #]*\).*/\1/p' "$_cfg")
	if grep -q '^tls:' "$_cfg"; then
		serve_url=https://$serve_url
	else
		serve_url=http://$serve_url
	fi
	spawn "$_name" "$bin" serve --config "$_cfg"
	serve_pid=$spawned_pid
	wait_url -p "$serve_pid" "$serve_url/healthz" -f "$@" && return 0
	stop "$serve_pid"
	echo "$(basename "$0" .sh): cloister serve --config $_cfg did not start:"
	sed 's/^/  | /' "$tmp/$_name.err"
	return 1
}

# stop [PID...]: stops (TERM) each PID -- by default the last serve_start's
# gateway -- and waits for it; stop_all: everything spawn started and stop
# has not stopped (run at exit).
stop() {
	[ $# -gt 0 ] || set -- $serve_pid
	for _p in "$@"; do
		kill "$_p" 2>/dev/null
	done
	for _p in "$@"; do
		wait "$_p" 2>/dev/null
		_keep=
		for _q in $spawned; do
			[ "$_q" = "$_p" ] || _keep="$_keep $_q"
		done
		spawned=$_keep
		[ "$_p" != "$serve_pid" ] || serve_pid=
	done
}
stop_all() {
	# shellcheck disable=SC2086	# one pid a word
	[ -z "$spawned" ] || stop $spawned
}

# api_key STATE NAME [--credits N] [OPTION...]: creates a key named NAME
# in the state directory STATE (`cloister keys create`, with OPTION...
# such as --scope read), adds N credits to it when N is above 0, prints
# the key and leaves its id in $tmp/NAME.id.  Prints nothing and returns
# 1, with cloister's message on stderr, when no key was made.
api_key() {
	_state=$1
	_kname=$2
	shift 2
	_credits=0
	if [ "${1:-}" = --credits ]; then
		_credits=$2
		shift 2
	fi
	_key=$("$bin" keys create --state "$_state" --name "$_kname" "$@" \
	    2>"$tmp/key-$_kname.err")
	sed -n 's/^cloister: created \(key_[0-9a-f]*\).*/\1/p' \
	    "$tmp/key-$_kname.err" >"$tmp/$_kname.id"
	if [ -z "$_key" ] || [ ! -s "$tmp/$_kname.id" ]; then
		cat "$tmp/key-$_kname.err" >&2
		return 1
	fi
	if [ "$_credits" -gt 0 ]; then
		"$bin" credits add "$(cat "$tmp/$_kname.id")" "$_credits" \
		    --state "$_state" >/dev/null || return 1
	fi
	echo "$_key"
}
