#!/usr/bin/env bash
# make i18n: export the .pot from a database with the addon installed (the last test database)
# and merge it into es.po and it.po; new or changed strings then show as untranslated or fuzzy.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/prepare.sh"
cd "$ROOT"
db=${TEST_DB:-collections_test}
pot="$ADDON/i18n/$ADDON.pot"
odoo -d "$db" --modules="$ADDON" --i18n-export="$pot" --stop-after-init --log-level=warn
for lang in es it; do
  msgmerge -q --no-wrap --update --backup=none "$ADDON/i18n/$lang.po" "$pot"
  msgfmt --statistics -o /dev/null "$ADDON/i18n/$lang.po"
done
