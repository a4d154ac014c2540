# A throw-away PostgreSQL cluster for a test (sourced after common.sh):
#   pg_start       initdb in $tmp/pg, a server on a Unix socket there only
#                  (no TCP), trust for local connections; sets $pg_dsn
#                  (database "cloister") and $pg_sock
#   pg_stop [MODE] pg_ctl stop (-m MODE: fast by default, immediate for
#                  a crash)
#   pg_restart     start again on the same data
#   psqlq SQL      one statement through psql, unaligned, no headers
#   pg_race_script PRINTER
#                  a pgbench script of the ledger's own statements (PRINTER
#                  NAME prints one's SQL): a hold of 1-9 on key 's' || k
#                  (k 1-5, or 1-$PG_KEYS), then the applier's transaction
#                  settling it at a cost of 0-12 for replica r1-r3
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

# $N of the ledger's statements as pgbench variables, highest first.
_pg_sub() {
	sed -e "s/\\\$18/(:rep)/g; s/\\\$17/'chat'/g; s/\\\$16/0/g" \
	    -e "s/\\\$15/NULL/g; s/\\\$14/NULL::bytea/g; s/\\\$13/0/g" \
	    -e "s/\\\$12/0/g; s/\\\$11/'ok'/g; s/\\\$10/(:cost)/g" \
	    -e "$1" | tr '\n' ' ' |
	    sed "s/(:rep)/('r' || (1 + :client_id % 3))/g; s/ *\$/;/"
	echo
}

pg_race_script() {
	_rid="('x' || :client_id || '_' || :n)"
	_rep="('r' || (1 + :client_id % 3))"
	echo '\set amt random(1, 9)'
	echo '\set cost random(0, 12)'
	echo "\\set k random(1, ${PG_KEYS:-5})"
	echo '\set n random(1, 1000000000)'
	$1 reserve | _pg_sub "s/\\\$1/('s' || :k)/g;
	    s/\\\$2/(:amt)::bigint/g; s/\\\$3/$_rid/g; s/\\\$4/$_rep/g;
	    s/\\\$5/1/g"
	# the applier's transaction: the replica's row locked, the
	# settlement, the mark -- while other clients hold on the same keys
	echo 'BEGIN;'
	$1 applied_lock | _pg_sub "s/\\\$1/$_rep/g"
	$1 settle | _pg_sub "s/\\\$1/$_rid/g; s/\\\$2/('s' || :k)/g;
	    s/\\\$3/'m'/g; s/\\\$4/'b'/g; s/\\\$5/0/g; s/\\\$6/(:amt)/g;
	    s/\\\$7/0/g; s/\\\$8/0/g; s/\\\$9/0/g"
	$1 applied_set | _pg_sub "s/\\\$1/$_rep/g; s/\\\$2/:n/g"
	echo 'COMMIT;'
}
