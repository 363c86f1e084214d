#!/usr/bin/env bash
# Writes .cache/odoo.cfg from .cache/db.env: addons path, data dir and database connection.
source "$(dirname "$0")/common.sh"
# shellcheck disable=SC1091
source "$CACHE/db.env"
cat >"$ODOO_CFG.new" <<CFG
[options]
addons_path = $ODOO_SRC/odoo/addons,$ODOO_SRC/addons,$ROOT
data_dir = $CACHE/odoo-data
db_host = $DB_HOST
db_port = $DB_PORT
db_user = $DB_USER
db_password = ${DB_PASSWORD:-False}
admin_passwd = admin
http_port = ${HTTP_PORT:-8069}
gevent_port = ${GEVENT_PORT:-8072}
max_cron_threads = 1
CFG
mv "$ODOO_CFG.new" "$ODOO_CFG"
