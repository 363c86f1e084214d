#!/usr/bin/env bash
# make demo: the database collections_demo with demo data and the addon, served on :8069.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/prepare.sh"
source "$ROOT/scripts/db.sh"
cd "$ROOT"
db=collections_demo
port=${HTTP_PORT:-8069}
if ! python3 -c "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $port))" 2>/dev/null; then
  die "port $port is busy (another Odoo?); stop it or run HTTP_PORT=8070 make demo"
fi
files=$(addon_hash)
if ! db_exists "$db"; then
  say "Creating $db with demo data and $ADDON (first run only, a few minutes)"
  odoo_init demo -d "$db" -i "$ADDON"
  set_db_stamp "$db" "$files"
elif [ "$(db_stamp "$db")" != "$files" ]; then
  say "Updating $ADDON in $db"
  odoo_init demo -d "$db" -u "$ADDON"
  set_db_stamp "$db" "$files"
fi
say "Odoo is at http://localhost:$port (login admin, password admin); Ctrl-C stops it"
exec "$PY" "$ODOO_SRC/odoo-bin" -c "$ODOO_CFG" -d "$db" --db-filter="^$db\$" --http-port="$port"
