#!/usr/bin/env bash
# make bench: the collection engine's daily run on a large book, timed (bench/collection_bench.py).
# Size and options: C (customers, default 2000), N (open invoices, default 20000), BENCH_DB,
# BENCH_PDF_EMAILS (reminder emails with real PDFs, default 20), BENCH_BATCH_SIZE; any argument
# goes to the script (scripts/bench.sh --help lists them), e.g. C=50 N=500 scripts/bench.sh.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/prepare.sh"
cd "$ROOT"
export BENCH_CUSTOMERS=${C:-${BENCH_CUSTOMERS:-2000}}
export BENCH_INVOICES=${N:-${BENCH_INVOICES:-20000}}
say "Benchmark: $BENCH_CUSTOMERS customers, $BENCH_INVOICES invoices"
exec "$PY" "$ROOT/bench/collection_bench.py" --config "$ODOO_CFG" "$@"
