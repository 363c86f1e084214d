#!/usr/bin/env bash
# Creates .venv with Odoo 18.0 (editable, from ODOO_SRC) and the project's own requirements.
# A second run with nothing changed returns at once.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/check_odoo_src.sh"

pyver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.10|3.11|3.12) ;;
  *) die "Python $pyver found as python3; Odoo 18.0 needs Python 3.10 to 3.12." ;;
esac

# Odoo pins cbor2==5.4.2, which does not build on Python 3.11; 5.4.6 is API-identical and has wheels.
req="$CACHE/odoo-requirements.txt"
sed -e 's/^cbor2==5\.4\.2 /cbor2==5.4.6 /' "$ODOO_SRC/requirements.txt" > "$req.new"
mv "$req.new" "$req"

stamp_key=$( (cat "$req" "$ROOT/requirements.txt"; echo "$ODOO_SRC"; python3 --version) | sha1sum | cut -c1-16)
stamp="$VENV/.installed-$stamp_key"
if [ -x "$PY" ] && [ -f "$stamp" ]; then
  exit 0
fi

missing=()
command -v pg_config >/dev/null || missing+=("libpq-dev (pg_config, for psycopg2)")
[ -f /usr/include/ldap.h ] || missing+=("libldap2-dev (for python-ldap)")
[ -f /usr/include/sasl/sasl.h ] || missing+=("libsasl2-dev (for python-ldap)")
if [ ${#missing[@]} -gt 0 ]; then
  die "missing system libraries: ${missing[*]}. On Debian/Ubuntu: apt-get install libpq-dev libldap2-dev libsasl2-dev"
fi

say "Installing Odoo 18.0 from $ODOO_SRC and the project's requirements into .venv (first run only)"
[ -x "$PY" ] || python3 -m venv "$VENV" || die "could not create $VENV (is the python3-venv package installed?)"
log="$CACHE/pip.log"
{
  "$PY" -m pip install -q -U pip setuptools wheel &&
  "$PY" -m pip install -q -r "$req" &&
  "$PY" -m pip install -q --no-deps --no-build-isolation -e "$ODOO_SRC" &&
  "$PY" -m pip install -q -r "$ROOT/requirements.txt"
} >"$log" 2>&1 || die "pip could not install the requirements; the last lines of $log say why:
$(tail -n 5 "$log")"
rm -f "$VENV"/.installed-*
touch "$stamp"
