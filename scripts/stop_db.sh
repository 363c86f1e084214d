#!/usr/bin/env bash
# Stops the private PostgreSQL cluster that ensure_pg.sh started, if any.
source "$(dirname "$0")/common.sh"
for pgdir in "$CACHE/pg" "/tmp/acs-pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"; do
  [ -f "$pgdir/data/PG_VERSION" ] || continue
  pg_ctl=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)
  owner=$(stat -c %U "$pgdir/data")
  if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
    runuser -u "$owner" -- "$pg_ctl" -D "$pgdir/data" stop -m fast || true
  else
    "$pg_ctl" -D "$pgdir/data" stop -m fast || true
  fi
done
