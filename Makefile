# The two commands of README.md. ODOO_SRC (default /opt/odoo18) holds the Odoo 18.0 source.
.PHONY: demo test i18n bench stop-db clean

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

i18n:
	@scripts/i18n.sh

bench:
	@scripts/bench.sh

stop-db:
	@scripts/stop_db.sh

clean:
	rm -rf .venv .cache
