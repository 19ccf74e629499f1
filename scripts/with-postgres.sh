#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster, then stops and removes the cluster.
#
#   scripts/with-postgres.sh CMD [ARGS...]      e.g. scripts/with-postgres.sh swift test
#
# The cluster: a temporary directory, initdb (as the `postgres` user when run as root:
# the server refuses to run as root), trust authentication, listening on 127.0.0.1 on a
# free port, fsync off (tests only: nothing measured here is a durability figure).
# CMD sees:
#   EVENTIDE_TEST_POSTGRES_URL   postgres://postgres@127.0.0.1:PORT/postgres
#   EVENTIDE_TEST_POSTGRES_BIN   the server's bin directory (pg_ctl, for restart tests)
#   EVENTIDE_TEST_POSTGRES_DATA  the cluster's data directory
#   EVENTIDE_TEST_POSTGRES_RUNAS the user to run pg_ctl as (empty: the current user)
# The settings live in the data directory's postgresql.conf, so a bare
# `pg_ctl -D "$EVENTIDE_TEST_POSTGRES_DATA" -w start` restarts the same server.
# Exit status: CMD's (1 when the cluster could not start). The cluster is removed on
# every exit, failures and Ctrl-C included.
set -uo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

bin=${EVENTIDE_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "with-postgres: no PostgreSQL server in /usr/lib/postgresql/*/bin; install it with" >&2
    echo "  apt-get install postgresql libpq-dev   (make deps does)" >&2
    exit 1
fi

runas=()
owner=
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    runas=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/eventide-postgres.XXXXXX)
data=$dir/data
[ -n "$owner" ] && chown "$owner" "$dir"

cleanup() {
    if [ -f "$data/postmaster.pid" ]; then
        "${runas[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "${runas[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
    echo "with-postgres: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
fi

# A port nobody listens on; another process could still take it before the server does,
# so a failed start tries another.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

started=
for _ in 1 2 3; do
    port=$(free_port)
    cat >>"$data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
# The suite runs its PostgreSQL tests in parallel, each with a pool and a listening
# session of its own: the default 100 connections is too few.
max_connections = 400
CONF
    if "${runas[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 start >/dev/null; then
        started=1
        break
    fi
done
if [ -z "$started" ]; then
    echo "with-postgres: the server did not start:" >&2
    tail -20 "$dir/server.log" >&2
    exit 1
fi

export EVENTIDE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
export EVENTIDE_TEST_POSTGRES_BIN=$bin
export EVENTIDE_TEST_POSTGRES_DATA=$data
export EVENTIDE_TEST_POSTGRES_RUNAS=$owner
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($data)"

# In the background, so a signal to this script runs the cleanup at once (bash defers traps
# until a foreground command ends) after passing the signal on.
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
wait "$child"
exit $?
