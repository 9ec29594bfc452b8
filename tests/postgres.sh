#!/usr/bin/env bash
# Makes a PostgreSQL server available for the server's backend tests and prints its connection
# string as the last line on stdout (everything else goes to stderr):
#
#     export OFFGRID_TEST_POSTGRES="$(tests/postgres.sh | tail -1)"
#
# Idempotent: installs PostgreSQL (Debian's `postgresql` package) if `initdb`/`pg_ctl` are
# missing, creates a throwaway cluster (trust authentication, fsync off) in $OFFGRID_PG_DIR
# (default /tmp/offgrid-pg) unless it exists, starts it listening on a Unix socket in that
# folder only (no TCP) unless it is running, and creates the database `offgrid_test`. As root,
# the cluster runs as the `postgres` OS user (PostgreSQL refuses to run as root).
#
# Stop it with: pg_ctl -D "${OFFGRID_PG_DIR:-/tmp/offgrid-pg}/data" stop
set -euo pipefail

DIR="${OFFGRID_PG_DIR:-/tmp/offgrid-pg}"
DATA="$DIR/data"
DB=offgrid_test

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

case "$DIR" in
/*) ;;
*) die "OFFGRID_PG_DIR must be an absolute path" ;;
esac
case "$DIR" in
*[[:space:]\'\"\\]*) die "OFFGRID_PG_DIR must not contain spaces or quotes (it goes in a connection string)" ;;
esac
# The socket's path ($DIR/.s.PGSQL.5432) must fit in a sockaddr_un (107 bytes).
[ "${#DIR}" -le 90 ] || die "OFFGRID_PG_DIR is too long for a Unix socket path"

# The server binaries: on PATH, else Debian's versioned folder (newest version first).
find_bin() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

if ! BIN="$(find_bin)"; then
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and installing it needs root"
    log "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)" || die "PostgreSQL installed but initdb/pg_ctl not found"
fi

# Who runs the cluster: the postgres OS user when we are root, else ourselves.
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        log "creating the postgres OS user"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    as_pg() {
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
        fi
    }
    mkdir -p "$DIR"
    chown postgres: "$DIR"
    chmod 0755 "$DIR"
    as_pg test -w "$DIR" ||
        die "the postgres user cannot write $DIR (a parent folder not traversable?): set OFFGRID_PG_DIR"
else
    as_pg() { (cd / && "$@"); }
    mkdir -p "$DIR"
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    log "creating a cluster in $DATA"
    as_pg mkdir -p "$DATA"
    as_pg chmod 0700 "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >&2
fi

if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "reusing the server running in $DATA"
else
    log "starting the server (socket in $DIR)"
    # Options go in a single -o string that pg_ctl hands to a shell (hence the checks on $DIR).
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
        -o "-k $DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2 || {
        tail -n 20 "$DIR/server.log" >&2 || true
        die "the server did not start (log: $DIR/server.log)"
    }
fi

PSQL="$BIN/psql"
[ -x "$PSQL" ] || PSQL="$(command -v psql)" || die "psql not found"
exists="$("$PSQL" -h "$DIR" -U postgres -d postgres -X -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")"
if [ "$exists" != 1 ]; then
    log "creating database $DB"
    "$PSQL" -h "$DIR" -U postgres -d postgres -X -q -c "CREATE DATABASE $DB" >&2
fi

echo "host=$DIR user=postgres dbname=$DB"
