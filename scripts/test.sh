#!/usr/bin/env bash
# make test: lint, then pytest-odoo on tests/ against a freshly created test database.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/prepare.sh"
source "$ROOT/scripts/db.sh"
cd "$ROOT"

say "Lint: ruff"
"$VENV/bin/ruff" check "$ADDON" tests bench
say "Lint: pylint (pylint-odoo)"
"$VENV/bin/pylint" --rcfile=.pylintrc "$ADDON"

# A template with Odoo's 'account' installed (no demo data) is built once per Odoo source;
# every test run copies it and installs the addon on the copy.
odoo_key=$( (cat "$ODOO_SRC/odoo/release.py"; ls "$ODOO_SRC/addons") | sha1sum | cut -c1-10)
template="acs_tmpl_$odoo_key"
test_db=${TEST_DB:-collections_test}
filestore="$CACHE/odoo-data/filestore"
if ! db_exists "$template"; then
  say "Building the template database $template (account installed; first run only)"
  psql -d postgres -Xqc "drop database if exists \"$template\"" >/dev/null
  odoo_init template -d "$template" -i account --without-demo=all
fi
say "Creating the test database $test_db with account_collection_stages installed"
psql -d postgres -Xqc "drop database if exists \"$test_db\" with (force)" >/dev/null ||
  die "could not drop the old test database $test_db"
createdb -T "$template" "$test_db" || die "could not create the test database $test_db from $template"
rm -rf "${filestore:?}/$test_db"
[ -d "$filestore/$template" ] && mkdir -p "$filestore" && cp -a "$filestore/$template" "$filestore/$test_db"
odoo_init install -d "$test_db" -i "$ADDON" --without-demo=all

say "Tests"
# Odoo's test framework expects test mode from the moment pytest-odoo imports it.
test_cfg="$CACHE/odoo-test.cfg"
{ cat "$ODOO_CFG"; echo "test_enable = True"; } >"$test_cfg"
set +e
# --odoo-http: Odoo's HTTP server, for the browser tests (tours).
"$VENV/bin/pytest" --odoo-config="$test_cfg" --odoo-database="$test_db" --odoo-log-level=warn \
  --odoo-http -p no:cacheprovider "$@" tests
status=$?
set -e
# pytest exits 5 when it collected no test: that is a failure here too.
exit $status
