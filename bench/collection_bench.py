"""Benchmark of the collection engine's daily run on a large book of overdue invoices.

Run it with the project's virtualenv, after ``scripts/prepare.sh`` (``make bench`` does both)::

    scripts/bench.sh                                  # 2000 customers, 20000 invoices
    C=50 N=500 scripts/bench.sh                       # a small book, to iterate
    .venv/bin/python bench/collection_bench.py --customers 50 --invoices 500 --pdf-emails 20

Options (each also read from an environment variable, see ``--help``): ``--customers`` C
(BENCH_CUSTOMERS, default 2000), ``--invoices`` N (BENCH_INVOICES, default 20000), ``--db``
(BENCH_DB, default ``collections_bench``, or ``collections_bench_C_N`` for another size),
``--pdf-emails`` K (BENCH_PDF_EMAILS, default 20: how many reminder emails get real PDFs; each
carries all of its customer's overdue invoices, about N/C PDFs).

1. The data database holds ``account`` and ``account_collection_stages`` without demo data, C
   customers with an email and N posted customer invoices (immediate payment, due 0-240 days
   ago, uniformly), partial payments on ~5% of them and an open credit note for ~3% of the
   customers. With ``--paid-history`` K, it also holds K paid invoices for each open one,
   issued 1 to 24 months ago and a third of them paid late: the history the payment score
   reads every day, which a live book has. It is built once (install with odoo-bin, then the
   records, committed: half an hour at the default size without history, Odoo numbers invoices
   one by one) and marked with the parameter ``collection_bench.size`` = ``C:N`` (``C:N:paidK``);
   the module is updated in it whenever the addon's files change. Due dates are relative to
   the day the records were made.
2. Every measured run works on a fresh copy of it, ``<db>_run``, dropped afterwards (kept with
   ``--keep-run-db``): the engine runs as in production, committing batch by batch, and the
   next run starts from the same state.
3. ``collection.engine._cron_collection_run()`` runs once, the time budget lifted, with
   ``_collection_decide`` (deciding phase) and collection.reminder's ``_collection_send_reminders``
   (mailing phase) timed and their SQL queries counted, summed over the batches; each phase's
   pending writes are flushed inside its own measurement.
4. Real PDFs take wkhtmltopdf runs (about a second each, for up to 100 invoices): only the
   first K reminder emails get them. The other reminders go through the same mailing code with
   a stub PDF instead of each invoice's report, so every email is still posted and queued; the
   two kinds of emails are reported apart. wkhtmltopdf fetches the report's CSS over HTTP, so
   a private odoo-bin serves the copy (``report.url``) while the benchmark runs.
5. The engine runs once more on the same copy, the next day (stub PDFs): the daily cost once
   the book is on the ladder.

It prints the measurements, the targets next to them, the share of the machine's CPU time
that a virtual machine's hypervisor gave to other machines meanwhile (from /proc/stat: it
swells the timings), and the SQL statements that took the longest in each phase with the
addon's line that ran them: a statement run once per customer
or invoice instead of once per batch stands out there.
"""

import argparse
import cProfile
import fcntl
import hashlib
import json
import logging
import multiprocessing
import os
import pstats
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import freezegun

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tools import config, split_every

ROOT = Path(__file__).resolve().parent.parent
ADDON = "account_collection_stages"
ADDON_DIR = ROOT / ADDON
ODOO_ROOT = Path(odoo.__file__).resolve().parent.parent
ODOO_BIN = ODOO_ROOT / "odoo-bin"
ADDON_PATH, ODOO_PATH = f"{ADDON_DIR}{os.sep}", f"{ODOO_ROOT}{os.sep}"
# Where a query comes from is told by the business code above these ORM and SQL layers.
PLUMBING = re.compile(r"/odoo/(sql_db|models|fields|api|tools/[a-z_/]+)\.py$")
DEFAULT_CUSTOMERS, DEFAULT_INVOICES = 2000, 20000
SIZE_PARAM = "collection_bench.size"
FILES_PARAM = "collection_bench.addon_files"
MAX_DAYS_OVERDUE = 240
HISTORY_DAYS = (30, 720)  # the paid invoices' age: within the payment score's 24 months
PAID_STATES = ("paid", "in_payment", "reversed")
STUB_PDF = b"%PDF-1.4\n% collection benchmark: stub document\n%%EOF\n"
TARGET_READ_RATIO = 5.0
# The plain read is short and varies from run to run: its median over this many reads.
PLAIN_READS = 7
TARGET_QUERIES_PER_INVOICE = 0.05


def say(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def parse_args():
    env = os.environ.get
    parser = argparse.ArgumentParser(
        description="Benchmark of the collection engine's daily run.",
        epilog="Run it after scripts/prepare.sh; see the module docstring for what it does.",
    )
    parser.add_argument(
        "-c",
        "--customers",
        type=int,
        default=int(env("BENCH_CUSTOMERS", DEFAULT_CUSTOMERS)),
        help="customers (BENCH_CUSTOMERS, default %(default)s)",
    )
    parser.add_argument(
        "-n",
        "--invoices",
        type=int,
        default=int(env("BENCH_INVOICES", DEFAULT_INVOICES)),
        help="open customer invoices (BENCH_INVOICES, default %(default)s)",
    )
    parser.add_argument(
        "--paid-history",
        type=int,
        default=int(env("BENCH_PAID_HISTORY", 0)),
        help="paid invoices for each open one, issued 1 to 24 months ago: the history the "
        "payment score reads every day (BENCH_PAID_HISTORY, default %(default)s)",
    )
    parser.add_argument(
        "--db",
        default=env("BENCH_DB") or None,
        help="data database (BENCH_DB; default collections_bench, or collections_bench_C_N "
        "for another size than the default one; _paidK added with a paid history)",
    )
    parser.add_argument(
        "--pdf-emails",
        type=int,
        default=int(env("BENCH_PDF_EMAILS", 20)),
        help="reminder emails that get real wkhtmltopdf PDFs, the others get a stub PDF; "
        "-1 for all (BENCH_PDF_EMAILS, default %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=int(env("BENCH_BATCH_SIZE", 0)) or None,
        help="customers per batch (BENCH_BATCH_SIZE; default: the database's setting, 200)",
    )
    parser.add_argument(
        "--send-mail-samples",
        type=int,
        default=3,
        help="invoices sent with Odoo's send_mail for comparison (median; default 3)",
    )
    parser.add_argument(
        "--top-queries",
        type=int,
        default=int(env("BENCH_TOP_QUERIES", 12)),
        help="slowest SQL statements shown per phase, 0 for none (default %(default)s)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile the deciding phase with cProfile into this file, and the next day's into "
        "FILE.next-day (slows them down); print the first one's most expensive functions",
    )
    parser.add_argument(
        "--no-mail",
        action="store_true",
        help="leave the reminders unsent (they are decided and booked): the deciding phase alone, "
        "for quicker measurements; the mailing figures stay empty",
    )
    parser.add_argument(
        "--keep-run-db", action="store_true", help="keep the run's copy <db>_run afterwards"
    )
    parser.add_argument(
        "--recreate", action="store_true", help="drop the data database and build it again"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed of the data")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--config",
        default=env("ODOO_CFG", str(ROOT / ".cache" / "odoo.cfg")),
        help="odoo.cfg (ODOO_CFG, default .cache/odoo.cfg)",
    )
    parser.add_argument("--log-level", default=env("BENCH_LOG_LEVEL", "warn"))
    args = parser.parse_args()
    if args.customers < 1 or args.invoices < 1:
        parser.error("--customers and --invoices must be positive")
    if args.paid_history < 0:
        parser.error("--paid-history must not be negative")
    if not args.db:
        default_size = (args.customers, args.invoices) == (DEFAULT_CUSTOMERS, DEFAULT_INVOICES)
        args.db = (
            "collections_bench"
            if default_size
            else f"collections_bench_{args.customers}_{args.invoices}"
        )
        if args.paid_history:
            args.db += f"_paid{args.paid_history}"
    return args


def data_size(args):
    """The data database's size marker (SIZE_PARAM)."""
    size = f"{args.customers}:{args.invoices}"
    return f"{size}:paid{args.paid_history}" if args.paid_history else size


# --------------------------------------------------------------------- databases
def pg_query(db, query, params=()):
    with closing(odoo.sql_db.db_connect(db).cursor()) as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else None


def pg_admin(query):
    """Run a statement that cannot run in a transaction (CREATE/DROP DATABASE)."""
    with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr._cnx.autocommit = True
        cr.execute(query)


def db_exists(db):
    return bool(pg_query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [db]))


def db_param(db, key):
    rows = pg_query(db, "SELECT value FROM ir_config_parameter WHERE key = %s", [key])
    return rows[0][0] if rows else None


def set_db_param(db, key, value):
    with closing(odoo.sql_db.db_connect(db).cursor()) as cr:
        cr.execute(
            "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        cr.commit()


def module_state(db):
    rows = pg_query(db, "SELECT state FROM ir_module_module WHERE name = %s", [ADDON])
    return rows[0][0] if rows else None


def drop_db(db):
    Registry.delete(db)
    odoo.sql_db.close_db(db)
    if db_exists(db):
        pg_admin(f'DROP DATABASE "{db}" WITH (FORCE)')
    shutil.rmtree(config.filestore(db), ignore_errors=True)


def copy_db(source, target):
    odoo.sql_db.close_db(source)
    version = int(pg_query("postgres", "SHOW server_version_num")[0][0])
    # FILE_COPY (PostgreSQL 15+) copies the files instead of WAL-logging every block.
    strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""
    pg_admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"{strategy}')
    if os.path.isdir(config.filestore(source)):
        shutil.copytree(config.filestore(source), config.filestore(target))


def addon_files_hash():
    digest = hashlib.sha1()
    for path in sorted(ADDON_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(ADDON_DIR)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def addon_version():
    """The addon's commit and how many of its files differ from it (read-only git calls)."""
    git = ["git", "--no-optional-locks", "-C", str(ROOT)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", ADDON], capture_output=True, text=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return f"files {addon_files_hash()}"
    return f"commit {head}, {len(changed)} files changed since, files {addon_files_hash()}"


def run_odoo_bin(args, db, *options):
    log = Path(args.config).parent / f"odoo-bench-{db}.log"
    command = [sys.executable, str(ODOO_BIN), "-c", args.config, "-d", db, *options]
    command += ["--stop-after-init", "--log-level=warn"]
    with open(log, "w") as out:
        status = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT).returncode
    if status or re.search(r" (ERROR|CRITICAL) ", log.read_text()):
        sys.exit(f"error: odoo-bin {' '.join(options)} failed on {db}; see {log}")


def ensure_data_db(args):
    """The data database, with the benchmark's records and the addon as it is on disk."""
    db = args.db
    if args.recreate:
        drop_db(db)
    if not db_exists(db) or module_state(db) != "installed":
        say(f"Installing account and {ADDON} in {db}, no demo data (a few minutes)")
        run_odoo_bin(args, db, "-i", ADDON, "--without-demo=all")
        set_db_param(db, FILES_PARAM, addon_files_hash())
    ensure_records(args)
    # Checked last: the addon may have changed while the records were being made.
    files = addon_files_hash()
    if db_param(db, FILES_PARAM) != files:
        say(f"Updating {ADDON} in {db}: its files changed")
        run_odoo_bin(args, db, "-u", ADDON)
        set_db_param(db, FILES_PARAM, files)


def ensure_records(args):
    db, size = args.db, data_size(args)
    marker = db_param(db, SIZE_PARAM)
    if marker == size:
        return
    if marker:
        sys.exit(
            f"error: {db} holds the data of another size ({marker}, not {size}); "
            "pass --recreate to build it again or --db to use another database"
        )
    if pg_query(db, "SELECT 1 FROM account_move WHERE move_type = 'out_invoice' LIMIT 1"):
        sys.exit(f"error: {db} already has invoices but is no benchmark database; use --db")
    odoo.sql_db.close_all()
    # The records are made in a child process: the measuring process's peak memory is the run's.
    child = multiprocessing.get_context("fork").Process(target=build_data, args=(args,))
    child.start()
    child.join()
    if child.exitcode:
        sys.exit(f"error: creating the records in {db} failed (exit code {child.exitcode})")


# -------------------------------------------------------------------------- data
def build_data(args):
    started = time.monotonic()
    with Registry(args.db).cursor() as cr:
        # No chatter for the set-up records: the benchmark measures the engine, not them.
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        make_records(env, args)
        env["ir.config_parameter"].set_param(SIZE_PARAM, data_size(args))
        cr.commit()
    say(f"Records created and committed in {time.monotonic() - started:.0f} s")


def make_records(env, args):
    rng = random.Random(args.seed)
    company = env.company
    if not company.chart_template:
        say("Loading the generic chart of accounts")
        env["account.chart.template"].try_loading("generic_coa", company=company)
    if not company.email:
        company.email = "billing@bench.example.com"
    term = env.ref("account.account_payment_term_immediate")
    today = fields.Date.context_today(company)

    say(f"Creating {args.customers} customers")
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {i:05d}",
                "is_company": True,
                "email": f"customer{i:05d}@bench.example.com",
                "property_payment_term_id": term.id,
            }
            for i in range(1, args.customers + 1)
        ]
    )
    partner_ids = partners.ids

    # Sorted by date so that the invoice numbers follow the invoice dates.
    specs = sorted(
        (
            today - timedelta(days=rng.randint(0, MAX_DAYS_OVERDUE)),
            partner_ids[i % len(partner_ids)],
            round(rng.uniform(50, 5000), 2),
        )
        for i in range(args.invoices)
    )
    Move = env["account.move"]
    invoice_ids = []
    for chunk in split_every(1000, specs):
        moves = Move.create([invoice_vals("out_invoice", *spec, term) for spec in chunk])
        moves.action_post()
        invoice_ids += moves.ids
        env.invalidate_all()
        say(f"Invoices: {len(invoice_ids)}/{args.invoices} posted")

    credit_partners = rng.sample(partner_ids, max(1, round(len(partner_ids) * 0.03)))
    refunds = Move.create(
        [
            invoice_vals(
                "out_refund",
                today - timedelta(days=rng.randint(0, 60)),
                partner_id,
                round(rng.uniform(100, 3000), 2),
                term,
            )
            for partner_id in credit_partners
        ]
    )
    refunds.action_post()
    say(f"Credit notes: {len(refunds)} posted")

    paid = sorted(rng.sample(invoice_ids, max(1, round(len(invoice_ids) * 0.05))))
    for chunk in split_every(500, paid):
        pay_partially(env, Move.browse(chunk), rng, today)
        env.invalidate_all()
    say(f"Partial payments: {len(paid)} invoices")
    if args.paid_history:
        make_paid_history(env, args, rng, partner_ids, term, today)


def make_paid_history(env, args, rng, partner_ids, term, today):
    """``args.paid_history`` paid invoices for each open one, spread over the customers as
    those are: issued 1 to 24 months ago, due at once, paid in full, a third of them late."""
    count = args.paid_history * args.invoices
    specs = sorted(
        (
            today - timedelta(days=rng.randint(*HISTORY_DAYS)),
            partner_ids[i % len(partner_ids)],
            round(rng.uniform(50, 5000), 2),
        )
        for i in range(count)
    )
    Move = env["account.move"]
    done = 0
    for chunk in split_every(1000, specs):
        moves = Move.create([invoice_vals("out_invoice", *spec, term) for spec in chunk])
        moves.action_post()
        pay(
            env,
            moves,
            [
                (
                    move.amount_total,
                    min(
                        today,
                        move.invoice_date_due
                        + timedelta(days=rng.randint(1, 60) if rng.random() < 1 / 3 else 0),
                    ),
                )
                for move in moves
            ],
            ("paid", "in_payment"),
        )
        done += len(moves)
        env.invalidate_all()
        say(f"Paid history: {done}/{count} invoices posted and paid")


def invoice_vals(move_type, day, partner_id, amount, term):
    return {
        "move_type": move_type,
        "partner_id": partner_id,
        "invoice_date": day,
        "date": day,
        "invoice_payment_term_id": term.id,
        "invoice_line_ids": [
            Command.create(
                {"name": "Consulting services", "quantity": 1, "price_unit": amount, "tax_ids": []}
            )
        ],
    }


def pay_partially(env, moves, rng, today):
    """A payment of part of each invoice, reconciled with it."""
    pay(
        env,
        moves,
        [
            (
                round(move.amount_total * rng.uniform(0.2, 0.8), 2),
                min(today, move.invoice_date + timedelta(days=rng.randint(0, 30))),
            )
            for move in moves
        ],
        ("partial",),
    )


def pay(env, moves, terms, states):
    """What the payment wizard does for one invoice at a time, for many invoices at once: a
    posted payment of each invoice, ``terms`` giving each its (amount, date), reconciled with
    it; each invoice is then in one of the payment ``states``."""
    journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )
    payments = env["account.payment"].create(
        [
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": move.commercial_partner_id.id,
                "amount": amount,
                "date": date,
                "journal_id": journal.id,
                "memo": move.name,
            }
            for move, (amount, date) in zip(moves, terms, strict=True)
        ]
    )
    payments.action_post()
    plan = []
    for move, payment in zip(moves, payments, strict=True):
        lines = move.line_ids | payment.move_id.line_ids
        plan.append(lines.filtered(lambda line: line.account_type == "asset_receivable"))
        move.matched_payment_ids += payment
    env["account.move.line"]._reconcile_plan(plan)
    unpaid = moves.filtered(lambda m: m.payment_state not in states)
    if unpaid:
        raise RuntimeError(f"payments did not reconcile with {unpaid[:5].mapped('name')}")


# ------------------------------------------------------------------- report server
def free_port():
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def report_server(args, db):
    """A private odoo-bin serving ``db``: wkhtmltopdf loads the report's CSS from it."""
    port = free_port()
    log = Path(args.config).parent / f"odoo-bench-{db}-http.log"
    command = [sys.executable, str(ODOO_BIN), "-c", args.config, "-d", db]
    command += [f"--db-filter=^{db}$", "--http-interface=127.0.0.1", f"--http-port={port}"]
    command += [f"--gevent-port={free_port()}", "--workers=0", "--max-cron-threads=0"]
    command += ["--log-level=warn"]
    with open(log, "w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                sys.exit(f"error: the report server stopped; see {log}")
            try:
                with urllib.request.urlopen(f"{url}/web/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"error: the report server did not start; see {log}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ------------------------------------------------------------------- measurement
def cpu_ticks():
    """(all, stolen) CPU ticks of the machine so far, from /proc/stat; (0, 0) elsewhere.
    Stolen ticks are those a virtual machine's hypervisor gave to other machines."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    return sum(values), values[7] if len(values) > 7 else 0


class Steal:
    """Share of the machine's CPU time stolen by the hypervisor while measuring."""

    def __init__(self):
        self.ticks = self.stolen = 0

    @contextmanager
    def measure(self):
        ticks, stolen = cpu_ticks()
        try:
            yield
        finally:
            after_ticks, after_stolen = cpu_ticks()
            self.ticks += after_ticks - ticks
            self.stolen += after_stolen - stolen

    @property
    def share(self):
        return self.stolen / self.ticks if self.ticks else 0.0


class Meter:
    """Seconds and SQL queries of a phase, summed over its calls."""

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0
        self.calls = 0
        self.records = 0
        self.steal = Steal()

    @contextmanager
    def measure(self, cr):
        queries, started = cr.sql_log_count, time.perf_counter()
        try:
            with self.steal.measure():
                yield
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += cr.sql_log_count - queries
            self.calls += 1

    def as_dict(self):
        return {
            "seconds": round(self.seconds, 3),
            "queries": self.queries,
            "calls": self.calls,
            "records": self.records,
            "cpu_steal": round(self.steal.share, 3),
        }


VALUE_ROWS = re.compile(r"\((?:%s|[^()]*?%s[^()]*?)\)(?:, \((?:%s|[^()]*?%s[^()]*?)\))+")
VALUE_LIST = re.compile(r"%s(?:, %s)+")


class QueryLog:
    """Counts and times the SQL statements of each phase by shape, by the addon's line that ran
    them and by the innermost Odoo function outside the ORM's plumbing that ran them ("via")."""

    def __init__(self, prefix=""):
        self.prefix = prefix  # before the phases' names, to tell one run's from another's
        self.phase = None
        self.counts = defaultdict(Counter)
        self.seconds = defaultdict(Counter)

    def hook(self, cr, query, params, start, delay):
        if self.phase is None:
            return
        where = via = None
        frame = sys._getframe(1)
        while frame is not None and where is None:
            path = frame.f_code.co_filename
            if path.startswith(ADDON_PATH):
                where = frame_name(frame, ROOT)
            elif via is None and path.startswith(ODOO_PATH) and not PLUMBING.search(path):
                via = frame_name(frame, ODOO_ROOT)
            frame = frame.f_back
        key = shape(query), where or "-", via or "-"
        self.counts[self.phase][key] += 1
        self.seconds[self.phase][key] += delay

    @contextmanager
    def recording(self, phase):
        previous, self.phase = self.phase, self.prefix + phase
        try:
            yield
        finally:
            self.phase = previous

    def top(self, phase, limit):
        """The statements that took the most time: (statement, count, seconds)."""
        return [
            (key, self.counts[phase][key], seconds)
            for key, seconds in self.seconds[phase].most_common(limit)
        ]


def shape(query):
    """The statement without its whitespace and the length of its value lists, so that the
    same INSERT of 10 or 1,000 rows counts as one statement."""
    text = " ".join(str(query).split())
    text = VALUE_ROWS.sub("(...)", text)
    return VALUE_LIST.sub("...", text)


def frame_name(frame, root):
    path = os.path.relpath(frame.f_code.co_filename, root)
    return f"{path}:{frame.f_lineno} {frame.f_code.co_name}"


class WkhtmltopdfQtFilter(logging.Filter):
    """Debian's wkhtmltopdf (unpatched Qt) warns about the same ignored switches on every PDF."""

    def filter(self, record):
        return "not support using unpatched qt" not in record.getMessage()


def open_invoice_domain(env):
    return [
        ("company_id", "=", env.company.id),
        ("move_type", "=", "out_invoice"),
        ("state", "=", "posted"),
        ("payment_state", "not in", PAID_STATES),
    ]


def plain_read(env, domain):
    env.invalidate_all()
    started = time.perf_counter()
    rows = env["account.move"].search_read(
        domain, ["partner_id", "amount_residual", "invoice_date_due"]
    )
    return time.perf_counter() - started, len(rows)


def record_counts(env):
    Event = env["collection.event"]
    return {
        "mails": env["mail.mail"].search_count([]),
        "messages": env["mail.message"].search_count([]),
        "activities": env["mail.activity"].search_count([("collection_stage_id", "!=", False)]),
        "events": Event.search_count([]),
        "events_by_kind": dict(Event._read_group([], ["kind"], ["__count"])),
    }


@contextmanager
def engine_errors():
    """The errors the engine logs meanwhile (the customers it fails on, which it goes on
    past): a run with some measures something else than the engine's work."""
    errors = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append
    logger = logging.getLogger(f"odoo.addons.{ADDON}.models.collection_engine")
    logger.addHandler(handler)
    try:
        yield errors
    finally:
        logger.removeHandler(handler)


def run_engine(env, results, pdf_emails, queries, profiler=None, mail=True):
    """``_cron_collection_run`` once, with its two phases measured."""
    Engine, Reminder = type(env["collection.engine"]), type(env["collection.reminder"])
    decide, send, documents = (
        Engine._collection_decide,
        Reminder._collection_send_reminders,
        Reminder._collection_invoice_documents,
    )
    meters = {name: Meter() for name in ("decide", "mail_pdf", "mail_stub", "pdf", "run")}
    state = {"pdf_left": pdf_emails, "stub": False}

    def measured_decide(self, partners, today, *args):
        meter = meters["decide"]
        with meter.measure(self.env.cr), queries.recording("decide"):
            if profiler:
                profiler.enable()
            try:
                events = decide(self, partners, today, *args)
                self.env.flush_all()
            finally:
                if profiler:
                    profiler.disable()
        meter.records += len(partners)
        return events

    def measured_send(self, events):
        if not mail:
            return
        left = len(events) if state["pdf_left"] < 0 else min(state["pdf_left"], len(events))
        if state["pdf_left"] >= 0:
            state["pdf_left"] -= left
        for part, stub in ((events[:left], False), (events[left:], True)):
            if not part:
                continue
            meter = meters["mail_stub" if stub else "mail_pdf"]
            state["stub"] = stub
            with meter.measure(self.env.cr), queries.recording("mail_stub" if stub else "mail"):
                send(self, part)
                self.env.flush_all()
            meter.records += len(part)

    def measured_documents(self, moves):
        if state["stub"]:
            return {
                move.id: (move._get_invoice_report_filename(), STUB_PDF, "application/pdf")
                for move in moves
            }
        meter = meters["pdf"]
        with meter.measure(self.env.cr):
            result = documents(self, moves)
        meter.records += len(moves)
        return result

    with (
        patch.object(Engine, "_collection_decide", measured_decide),
        patch.object(Reminder, "_collection_send_reminders", measured_send),
        patch.object(Reminder, "_collection_invoice_documents", measured_documents),
        engine_errors() as errors,
        meters["run"].measure(env.cr),
    ):
        env["collection.engine"]._cron_collection_run()
    if errors:
        sys.exit(f"error: the run failed on customers ({len(errors)} errors logged above)")
    results["phases"] = {name: meter.as_dict() for name, meter in meters.items()}
    return meters


def measure_send_mail(env, samples):
    """Odoo's own invoice email: ``send_mail`` of one invoice, its PDF attached."""
    template = env.ref("account.email_template_edi_invoice")
    moves = env["account.move"].search(open_invoice_domain(env), limit=samples + 1, order="id")
    template.send_mail(moves[0].id, force_send=False)  # warm-up: templates, report, caches
    env.flush_all()
    timings = []
    for move in moves[1:]:
        env.invalidate_all()
        meter = Meter()
        with meter.measure(env.cr):
            template.send_mail(move.id, force_send=False)
            env.flush_all()
        timings.append((meter.seconds, meter.queries))
    env.cr.rollback()
    return {
        "samples": len(timings),
        "seconds": statistics.median(t for t, _q in timings),
        "queries": statistics.median(q for _t, q in timings),
    }


def measure(args, results):
    run_db = f"{args.db}_run"
    drop_db(run_db)
    say(f"Copying {args.db} to {run_db}")
    copy_db(args.db, run_db)
    try:
        with report_server(args, run_db) as url:
            registry = Registry(run_db)
            if "collection.engine" not in registry:
                sys.exit(f"error: the registry of {run_db} has no collection engine; rerun")
            with closing(registry.cursor()) as cr:
                measure_on(api.Environment(cr, SUPERUSER_ID, {}), args, results, url)
    finally:
        Registry.delete(run_db)
        odoo.sql_db.close_db(run_db)
        if not args.keep_run_db:
            drop_db(run_db)


def measure_on(env, args, results, report_url):
    cr = env.cr
    icp = env["ir.config_parameter"]
    icp.set_param("report.url", report_url)
    icp.set_param("account_collection_stages.time_budget", str(10**9))
    if args.batch_size:
        icp.set_param("account_collection_stages.batch_size", str(args.batch_size))
    batch_size = int(icp.get_param("account_collection_stages.batch_size", 200))
    # Planner statistics, as autovacuum keeps them in a live database: a book just built has
    # none yet, and its queries would be planned blind.
    cr.execute("ANALYZE")
    cr.commit()

    domain = open_invoice_domain(env)
    today = env.company._collection_today()  # the run's day
    Move = env["account.move"]
    results.update(
        today=str(today),
        customers=env["res.partner"].search_count([("name", "=like", "Bench Customer %")]),
        invoices=Move.search_count(domain),
        overdue_invoices=Move.search_count(domain + [("invoice_date_due", "<", today)]),
        partial_payments=Move.search_count(domain + [("payment_state", "=", "partial")]),
        credit_notes=Move.search_count(
            [("move_type", "=", "out_refund"), ("state", "=", "posted")]
        ),
        paid_invoices=Move.search_count(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("paid", "in_payment")),
            ]
        ),
        batch_size=batch_size,
        pdf_emails=args.pdf_emails,
    )

    say("Warming up: one invoice PDF (report assets, wkhtmltopdf)")
    env["collection.reminder"]._collection_invoice_documents(Move.search(domain, limit=1))
    cr.rollback()

    steal = Steal()
    with steal.measure():
        reads = [plain_read(env, domain) for _i in range(PLAIN_READS)]
    results["plain_read"] = {
        "seconds": statistics.median(seconds for seconds, _n in reads),
        "records": reads[0][1],
        "cpu_steal": round(steal.share, 3),
    }
    cr.rollback()

    before = record_counts(env)
    queries = QueryLog()
    thread = threading.current_thread()
    if args.top_queries:
        thread.query_hooks = [*getattr(thread, "query_hooks", ()), queries.hook]
    # A production-like run: commits after every batch (this is a throw-away copy) and real
    # PDFs (reports render as HTML only when test_enable is set).
    config["test_enable"] = False
    thread.testing = False
    profiler = cProfile.Profile() if args.profile else None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    say(f"Running the engine on {results['invoices']} invoices")
    try:
        run_engine(env, results, args.pdf_emails, queries, profiler, mail=not args.no_mail)
    finally:
        if args.top_queries:
            thread.query_hooks.remove(queries.hook)
    if profiler:
        profiler.dump_stats(args.profile)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cr.commit()
    after = record_counts(env)
    results["created"] = {
        key: after[key] - before[key] for key in ("mails", "messages", "activities", "events")
    }
    results["created"]["events_by_kind"] = {
        kind: count - before["events_by_kind"].get(kind, 0)
        for kind, count in after["events_by_kind"].items()
        if count != before["events_by_kind"].get(kind, 0)
    }
    results["peak_rss_mb"] = {"before_run": rss_before / 1024, "after_run": rss_after / 1024}
    results["top_queries"] = {
        phase: [
            {"count": count, "seconds": seconds, "where": where, "via": via, "query": query}
            for (query, where, via), count, seconds in queries.top(phase, args.top_queries)
        ]
        for phase in ("decide", "mail", "mail_stub")
    }

    say(f"Odoo's send_mail of one invoice with its PDF ({args.send_mail_samples} samples)")
    results["send_mail"] = measure_send_mail(env, max(1, args.send_mail_samples))

    # The daily cost once the book is on the ladder: the run of the day after. By then
    # autovacuum has analyzed the tables the first run wrote (it does within a minute of so
    # many changes): planned on the statistics of the book before it, the queries about
    # invoices on a stage would expect none.
    cr.execute("ANALYZE")
    cr.commit()
    say("Running the engine again, the next day")
    before = record_counts(env)
    next_day = {}
    profiler = cProfile.Profile() if args.profile else None
    next_queries = QueryLog(prefix="next_")
    if args.top_queries:
        thread.query_hooks = [*getattr(thread, "query_hooks", ()), next_queries.hook]
    try:
        # At noon UTC: the next day in the company's time zone, whichever it is.
        next_day_noon = datetime(today.year, today.month, today.day, 12) + timedelta(days=1)
        with freezegun.freeze_time(next_day_noon, tick=True):
            run_engine(env, next_day, 0, next_queries, profiler, mail=not args.no_mail)
    finally:
        if args.top_queries:
            thread.query_hooks.remove(next_queries.hook)
    cr.commit()
    results["top_queries"]["next_decide"] = [
        {"count": count, "seconds": seconds, "where": where, "via": via, "query": query}
        for (query, where, via), count, seconds in next_queries.top("next_decide", args.top_queries)
    ]
    if profiler:
        profiler.dump_stats(f"{args.profile}.next-day")
    after = record_counts(env)
    next_day["created"] = {
        key: after[key] - before[key] for key in ("mails", "activities", "events")
    }
    results["next_day"] = next_day


# ------------------------------------------------------------------------ report
def verdict(ok):
    return "OK" if ok else "MISSED"


def per(value, count):
    return value / count if count else 0.0


def print_report(args, results):
    phases = results["phases"]
    decide, mail, stub = phases["decide"], phases["mail_pdf"], phases["mail_stub"]
    pdf, run = phases["pdf"], phases["run"]
    plain = results["plain_read"]
    send_mail = results["send_mail"]
    next_decide = results["next_day"]["phases"]["decide"]
    next_mail = results["next_day"]["phases"]["mail_stub"]
    next_created = results["next_day"]["created"]
    created = results["created"]
    invoices = results["invoices"]
    ratio = per(decide["seconds"], plain["seconds"])
    per_invoice = per(decide["queries"], invoices)
    mail_seconds = per(mail["seconds"], mail["records"])
    mail_queries = per(mail["queries"], mail["records"])
    pdfs_per_email = per(pdf["records"], mail["records"])
    batches = decide["calls"]
    if args.pdf_emails < 0:
        pdf_choice = "all reminder emails"
    elif args.pdf_emails == 0:
        pdf_choice = "none: every reminder email ran the mailing code with a stub PDF per invoice"
    else:
        pdf_choice = (
            f"the first {args.pdf_emails} reminder emails only; the other reminder emails ran "
            "the same mailing code with a stub PDF per invoice"
        )
    if mail["records"]:
        mail_verdict = (
            f"{verdict(mail_seconds <= send_mail['seconds'])} on time, "
            f"{verdict(mail_queries <= send_mail['queries'])} on queries"
        )
    else:
        mail_verdict = "not measured (no email with real PDFs)"
    lines = [
        f"Collection engine benchmark: data {args.db}, run on a copy, today {results['today']}",
        f"addon            {results['addon']}",
        f"records          {results['customers']} customers, {invoices} open customer invoices "
        f"({results['overdue_invoices']} overdue, {results['partial_payments']} partly paid), "
        f"{results['credit_notes']} credit notes, {results['paid_invoices']} paid invoices "
        "(the history the payment score reads)",
        f"run              {batches} batches of up to {results['batch_size']} customers, "
        f"commit after each, no time budget; {run['seconds']:.2f} s, {run['queries']} queries "
        "in all",
        f"real PDFs        {pdf_choice}",
        "",
        f"deciding phase   {decide['seconds']:8.2f} s  {decide['queries']:8d} queries  "
        f"{per_invoice:.4f} queries/invoice  {per(decide['queries'], batches):.1f} queries/batch",
        f"plain read       {plain['seconds']:8.2f} s  search_read of partner_id, amount_residual, "
        f"invoice_date_due on {plain['records']} open invoices (median of {PLAIN_READS})",
        f"  ratio          {ratio:8.2f}    deciding / plain read",
        f"  target         within {TARGET_READ_RATIO:g}x the plain read: "
        f"{verdict(ratio <= TARGET_READ_RATIO)}; below {TARGET_QUERIES_PER_INVOICE} "
        f"queries/invoice: {verdict(per_invoice < TARGET_QUERIES_PER_INVOICE)}",
        "",
        f"mailing phase    {mail['seconds']:8.2f} s  {mail['queries']:8d} queries  "
        f"{mail['records']} emails with real PDFs ({pdf['records']} PDFs, "
        f"{pdfs_per_email:.1f} per email)",
        f"  per email      {mail_seconds:8.3f} s  {mail_queries:8.1f} queries",
        f"  per invoice    {per(mail['seconds'], pdf['records']):8.3f} s  "
        f"{per(mail['queries'], pdf['records']):8.1f} queries  (attached invoice)",
        f"  PDF rendering  {pdf['seconds']:8.2f} s  {pdf['queries']:8d} queries  "
        f"{per(pdf['seconds'], pdf['records']):.3f} s per PDF",
        f"  stub PDFs      {stub['seconds']:8.2f} s  {stub['queries']:8d} queries  "
        f"{stub['records']} emails: {per(stub['seconds'], stub['records']):.3f} s, "
        f"{per(stub['queries'], stub['records']):.1f} queries per email",
        f"send_mail        {send_mail['seconds']:8.3f} s  {send_mail['queries']:8.1f} queries  "
        "Odoo's invoice email (account.email_template_edi_invoice, its PDF attached, "
        f"force_send=False), median of {send_mail['samples']}",
        f"  target         per email no more than send_mail of one invoice: {mail_verdict}",
        "",
        f"emails queued    {created['mails']} (mail.mail created)",
        f"activities       {created['activities']} created",
        f"events           {created['events']} created: "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(created["events_by_kind"].items())),
        f"messages         {created['messages']} created",
        f"next day         deciding {next_decide['seconds']:.2f} s "
        f"({per(next_decide['seconds'], plain['seconds']):.1f}x the plain read), "
        f"{next_decide['queries']} queries; mailing {next_mail['seconds']:.2f} s (stub PDFs); "
        f"{next_created['mails']} emails, {next_created['activities']} activities, "
        f"{next_created['events']} events: the run of the day after, on the same book",
        f"peak memory      {results['peak_rss_mb']['after_run']:.0f} MB "
        f"(ru_maxrss; {results['peak_rss_mb']['before_run']:.0f} MB before the run)",
        f"cpu steal        {plain['cpu_steal']:.0%} during the plain reads, "
        f"{decide['cpu_steal']:.0%} during the deciding phase, {next_decide['cpu_steal']:.0%} "
        "the next day: the machine's CPU time its hypervisor gave to other machines; the "
        "figures above swell with it",
    ]
    titles = {
        "decide": "deciding phase",
        "mail": "mailing phase, real PDFs",
        "mail_stub": "mailing phase, stub PDFs",
        "next_decide": "deciding phase of the next day",
    }
    for phase, rows in results["top_queries"].items():
        if not rows:
            continue
        lines += [
            "",
            f"Slowest SQL statements, {titles[phase]}: seconds, count, per batch, the addon's "
            "line and, after 'via', the Odoo function that ran the query",
        ]
        for row in rows:
            via = f"  via {row['via']}" if row["via"] != "-" else ""
            lines.append(
                f"{row['seconds']:8.2f} {row['count']:8d} {per(row['count'], batches):8.1f}  "
                f"{row['where']}{via}\n{'':27}{row['query'][:160]}"
            )
    print("\n".join(lines), flush=True)


def main():
    args = parse_args()
    config.parse_config(["-c", args.config, f"--log-level={args.log_level}"], setup_logging=True)
    logging.getLogger("odoo.addons.base.models.ir_actions_report").addFilter(WkhtmltopdfQtFilter())
    # Held until the process ends: two runs would drop each other's copy of the database.
    lock = open(Path(args.config).parent / f"odoo-bench-{args.db}.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"error: another benchmark is using {args.db} and {args.db}_run")
    ensure_data_db(args)
    results = {"database": args.db, "addon": addon_version()}
    measure(args, results)
    print_report(args, results)
    if args.profile:
        print(f"\ncProfile of the deciding phase ({args.profile}), by cumulative time:", flush=True)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(30)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
