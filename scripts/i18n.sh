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
  po="$ADDON/i18n/$lang.po"
  msgmerge -q --no-wrap --update --backup=none "$po" "$pot"
  # No obsolete (#~) entries, and one source reference per line, as Odoo writes them.
  msgattrib --no-wrap --no-obsolete -o "$po" "$po"
  sed -i -E '/^#: /s/([^:]) ([a-z_]+:)/\1\n#: \2/g' "$po"
  msgfmt --statistics -o /dev/null "$po"
done
