# Shared by the command-line tests (sourced): counters, exit-code and JSON
# checks against the last command's output in $tmp/out.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

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
