#!/usr/bin/env bash
# Everything both commands need first: Odoo source check, .venv, PostgreSQL, odoo.cfg.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/check_odoo_src.sh"
"$ROOT/scripts/setup_env.sh"
"$ROOT/scripts/ensure_pg.sh"
"$ROOT/scripts/write_cfg.sh"
