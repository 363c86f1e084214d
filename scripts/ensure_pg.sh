#!/usr/bin/env bash
# Makes sure a PostgreSQL server is there and writes the connection into .cache/db.env.
# Uses the server PGHOST/PGPORT/PGUSER/PGPASSWORD point to when it answers; otherwise starts (or
# reuses) a private throwaway cluster under .cache/pg on a free port. PostgreSQL refuses to run as
# root, so as root the cluster belongs to the 'postgres' user (or 'nobody').
source "$(dirname "$0")/common.sh"

write_env() {
  cat >"$CACHE/db.env.new" <<ENV
DB_HOST=$1
DB_PORT=$2
DB_USER=$3
DB_PASSWORD=$4
ENV
  mv "$CACHE/db.env.new" "$CACHE/db.env"
}

# 1. A server the environment points to, if it answers and lets us create databases.
if [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ] && command -v psql >/dev/null; then
  if psql -d postgres -XAtqc "select rolcreatedb or rolsuper from pg_roles where rolname = current_user" 2>/dev/null | grep -q t; then
    write_env "${PGHOST:-localhost}" "${PGPORT:-5432}" "${PGUSER:-$(id -un)}" "${PGPASSWORD:-}"
    exit 0
  fi
  say "the PostgreSQL server at PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} does not answer or lets PGUSER create no database; starting a private one"
fi

# 2. A private cluster.
pgbin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
[ -x "$pgbin/initdb" ] && [ -x "$pgbin/pg_ctl" ] ||
  die "PostgreSQL server binaries (initdb, pg_ctl) not found; install PostgreSQL >= 13 (Debian: apt-get install postgresql) or point PGHOST/PGPORT/PGUSER to a running server."

pgdir="$CACHE/pg"
run_as=()
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id -u "$owner" >/dev/null 2>&1 || owner=nobody
  run_as=(runuser -u "$owner" --)
  # The cluster owner must reach the folder; a checkout under a private home may not allow it.
  if ! "${run_as[@]}" test -x "$CACHE" 2>/dev/null; then
    pgdir="/tmp/acs-pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
  fi
  mkdir -p "$pgdir"
  chown "$owner" "$pgdir"
fi
mkdir -p "$pgdir"
data="$pgdir/data"

pg() { "${run_as[@]}" "$@"; }

free_port() {
  python3 - "$@" <<'PY'
import socket, sys
start = int(sys.argv[1]) if len(sys.argv) > 1 else 5433
for port in range(start, start + 200):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

if [ ! -f "$data/PG_VERSION" ]; then
  say "Creating a private PostgreSQL cluster in $data"
  pg "$pgbin/initdb" -D "$data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1 ||
    die "initdb failed; see $pgdir/initdb.log: $(tail -n 1 "$pgdir/initdb.log")"
fi

if pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1 && [ -f "$pgdir/port" ]; then
  port=$(cat "$pgdir/port")
else
  port=$(cat "$pgdir/port" 2>/dev/null || true)
  [ -n "$port" ] && [ "$(free_port "$port")" = "$port" ] || port=$(free_port 5433)
  [ -n "$port" ] || die "no free TCP port found for PostgreSQL between 5433 and 5632"
  echo "$port" >"$pgdir/port.new" && mv "$pgdir/port.new" "$pgdir/port"
  pg "$pgbin/pg_ctl" -D "$data" -l "$pgdir/server.log" -w -t 60 \
    -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1 || die "PostgreSQL did not start; see $pgdir/server.log: $(tail -n 1 "$pgdir/server.log" 2>/dev/null)"
fi
write_env 127.0.0.1 "$port" odoo ""
