# Shared settings and helpers for the project's scripts. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail
# runuser and friends live in sbin, which a minimal PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-/opt/odoo18}
CACHE="$ROOT/.cache"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
ODOO_CFG="$CACHE/odoo.cfg"
ADDON=account_collection_stages
mkdir -p "$CACHE"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }

odoo() { "$PY" "$ODOO_SRC/odoo-bin" -c "$ODOO_CFG" "$@"; }
