# A throw-away PostgreSQL cluster for a test (sourced after common.sh):
#   pg_start       initdb in $tmp/pg, a server on a Unix socket there only
#                  (no TCP), trust for local connections; sets $pg_dsn
#                  (database "cloister") and $pg_sock
#   pg_stop [MODE] pg_ctl stop (-m MODE: fast by default, immediate for
#                  a crash)
#   pg_restart     start again on the same data
#   psqlq SQL      one statement through psql, unaligned, no headers
# initdb and postgres refuse to run as root: as root they run as the
# "postgres" user (the Debian package creates it), which must be able to
# reach $tmp.  The server binaries are PostgreSQL's own (pg_config
# --bindir), nothing from PATH.
# shellcheck disable=SC2154	# $tmp is common.sh's
pg_bin=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$pg_bin/initdb" ]; then
	for _d in /usr/lib/postgresql/*/bin; do pg_bin=$_d; done
fi
pg_dir=$tmp/pg
pg_sock=$tmp/pgsock
pg_dsn="host=$pg_sock dbname=cloister user=postgres"

_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	mkdir -p "$pg_dir" "$pg_sock"
	if [ "$(id -u)" -eq 0 ]; then
		chmod 755 "$tmp"
		chown postgres "$pg_dir" "$pg_sock"
	fi
	_pg_as "$pg_bin/initdb" -D "$pg_dir" -A trust -U postgres \
	    >"$tmp/initdb.log" 2>&1 || {
		echo "pg: initdb failed"; cat "$tmp/initdb.log"; return 1; }
	pg_restart || return 1
	_pg_as "$pg_bin/createdb" -h "$pg_sock" -U postgres cloister || return 1
}

pg_restart() {
	_pg_as "$pg_bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/server.log" -w \
	    -o "-k $pg_sock -c listen_addresses='' -c fsync=on" start \
	    >/dev/null || {
		echo "pg: the server did not start"
		tail -20 "$pg_dir/server.log"; return 1; }
}

pg_stop() {
	[ -f "$pg_dir/postmaster.pid" ] || return 0
	_pg_as "$pg_bin/pg_ctl" -D "$pg_dir" -m "${1:-fast}" -w stop \
	    >/dev/null 2>&1 || true
}

psqlq() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$pg_dsn" -c "$1"
}
