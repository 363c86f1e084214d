# Database helpers on the server of .cache/db.env. Sourced after common.sh.
# shellcheck shell=bash disable=SC1091
source "$CACHE/db.env"
export PGHOST=$DB_HOST PGPORT=$DB_PORT PGUSER=$DB_USER
[ -n "${DB_PASSWORD:-}" ] && export PGPASSWORD=$DB_PASSWORD

db_exists() { [ "$(psql -d postgres -XAtqc "select 1 from pg_database where datname = '$1'")" = 1 ]; }

# Installed and up to date: the module is installed and was last installed or updated from
# the addon's current files (a stamp in the database keeps their hash).
addon_hash() {
  (cd "$ROOT" && find "$ADDON" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | sort -z |
    xargs -0 sha1sum) | sha1sum | cut -c1-16
}
db_stamp() { psql -d "$1" -XAtqc "select value from ir_config_parameter where key = 'account_collection_stages.files'" 2>/dev/null || true; }
set_db_stamp() {
  psql -d "$1" -Xqc "insert into ir_config_parameter (key, value) values ('account_collection_stages.files', '$2')
    on conflict (key) do update set value = excluded.value" >/dev/null
}

# Runs odoo-bin for an install or update; fails on a non-zero exit or any ERROR/CRITICAL log line.
odoo_init() {
  local log="$CACHE/odoo-$1.log"
  shift
  if ! odoo "$@" --stop-after-init --log-level=warn >"$log" 2>&1 || grep -qE ' (ERROR|CRITICAL) ' "$log"; then
    grep -E ' (ERROR|CRITICAL) |Error|Traceback' -A 15 "$log" | head -n 60 >&2
    die "odoo-bin $* failed; the whole log is in $log"
  fi
}
