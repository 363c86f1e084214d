#!/usr/bin/env bash
# Stops at once, with an explanation, when ODOO_SRC holds no Odoo 18.0 source tree.
source "$(dirname "$0")/common.sh"

release="$ODOO_SRC/odoo/release.py"
if [ ! -f "$release" ] || [ ! -f "$ODOO_SRC/odoo-bin" ] || [ ! -f "$ODOO_SRC/requirements.txt" ]; then
  die "no Odoo 18.0 source tree at ODOO_SRC=$ODOO_SRC (odoo-bin, odoo/release.py and requirements.txt are needed).
  Get Odoo 18.0 Community source, e.g. 'git clone --depth 1 -b 18.0 https://github.com/odoo/odoo $ODOO_SRC'
  or unpack the 18.0 nightly source archive (odoo_18.0.latest.tar.gz) there, or set ODOO_SRC to where it is."
fi
if ! grep -qE '^version_info = \(18, 0,' "$release"; then
  die "ODOO_SRC=$ODOO_SRC holds Odoo $(grep -oE '^version_info = \([0-9]+, [0-9]+' "$release" | grep -oE '[0-9]+, [0-9]+' | tr -d ' ' | tr , .), not 18.0."
fi
