import logging
import resource
import threading
from collections import defaultdict
from datetime import timedelta
from time import monotonic, process_time
from types import MappingProxyType

from odoo import api, fields, models
from odoo.osv import expression
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from .account_move import (
    PAID_STATES,
    UNCHASED_STATES,
    open_non_invoice_line_domain,
    past_due_invoice_line_domain,
)
from .collection_credits import Credits
from .collection_stage import Ladder
from .res_partner import SCORE_FIELDS
from .sql_rows import update_rows

_logger = logging.getLogger(__name__)

NO_VALUES = MappingProxyType({})

# A batch may take this many times the CPU time of the costliest batch before it in the run.
CPU_MARGIN = 2


class ReminderFailed(Exception):
    """Sending a batch's reminders failed; what the run decided for it did not."""


# Fields of the overdue invoices the run reads.
MOVE_FIELDS = [
    "name",
    "company_id",
    "partner_id",  # whom the call asks for
    "commercial_partner_id",
    "invoice_user_id",
    "currency_id",
    "collection_stage_id",
    "collection_stage_date",
    "collection_stage_manual",
    "collection_last_reminder_date",
    "collection_next_action_date",
    "collection_reminder_count",
]
# Fields of the batch's customers the run reads.
PARTNER_FIELDS = [
    "name",
    "complete_name",
    "lang",
    "phone",
    "mobile",
    "tz",
    "state_id",  # the contact rules of its state
    "country_id",  # its time zones, when its own is not set
    "child_ids",
    "commercial_partner_id",
    "collection_responsible_id",
    "collection_contact_id",
    "collection_no_contact",
    "collection_is_consumer",
    "collection_stage_id",
    *sorted(SCORE_FIELDS),  # the score's recomputation compares them
]


def finance_charge(charges, moves):
    """The finance charge ``moves`` bear, from collection.finance.charge's
    _collection_uncharged."""
    return sum(charges[move].total for move in moves if move in charges)


class CollectionEngine(models.AbstractModel):
    """The daily collection run: place overdue invoices on their company's ladder, send the
    overdue reminders and schedule the activities that are due, and log all of it.

    Customers are processed in batches. Each batch is one transaction that records what it did
    (stages, reminder dates, events, queued emails) together, so a run that dies half-way keeps
    the finished batches and the next run does only the rest: nobody gets an email twice.

    It decides; collection.promise.check judges the promises to pay, collection.reminder emails
    the reminders, collection.activity.scheduler schedules the activities, and
    collection.next.action dates each invoice's next action.
    """

    _name = "collection.engine"
    _description = "Collection Engine"

    # ------------------------------------------------------------------ run
    @api.model
    def _cron_collection_run(self):
        testing = getattr(threading.current_thread(), "testing", False)
        self._collection_run(commit=not testing)

    @api.model
    def _collection_run(self, commit=False):
        """Process every company's queue, batch by batch; with ``commit``, each finished batch
        is committed and the run stops after the time budget, or before the worker's CPU
        time limit, leaving the rest to the next run of the scheduled action."""
        icp = self.env["ir.config_parameter"].sudo()
        batch_size = int(icp.get_param("account_collection_stages.batch_size", 200))
        time_budget = float(icp.get_param("account_collection_stages.time_budget", 240))
        started = monotonic()
        cpu_needed = 0.0  # the CPU time of the costliest batch so far
        queue = []
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        for company in companies:
            # Days overdue count in the company's time zone: a run late in the evening in
            # America, early morning UTC, is still on the due date there.
            company_engine = (
                self.sudo()
                .with_company(company)
                .with_context(allowed_company_ids=company.ids, tz=company._collection_tz())
            )
            today = company._collection_today()
            if partner_ids := company_engine._collection_queue(today):
                queue.append((company_engine, today, partner_ids))
        total = sum(len(ids) for _engine, _today, ids in queue)
        done = 0
        for company_engine, today, partner_ids in queue:
            for start in range(0, len(partner_ids), batch_size):
                batch_ids = partner_ids[start : start + batch_size]
                partners = company_engine.env["res.partner"].browse(batch_ids)
                if commit and done and self._collection_short_of_cpu(cpu_needed):
                    # Before the worker's CPU time limit interrupts the batch (see below).
                    _logger.info(
                        "Collection run: the worker's CPU time limit is near; run again at once"
                    )
                    self._collection_go_on_later(done)
                    return
                cpu_started = process_time()
                failed = self._collection_run_batch(company_engine, partners, today, commit, done)
                if failed is None:
                    return
                cpu_needed = max(cpu_needed, process_time() - cpu_started)
                done += len(batch_ids)
                # Noted in the batch's transaction: should a later batch fail, the scheduler
                # sees the progress made and counts the job partly done, not failed.
                self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
                if commit:
                    # The batch is complete: keep it even if a later one fails.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                if commit and done < total and monotonic() - started > time_budget:
                    # The scheduler runs the job again for what remains (the progress says
                    # so), but not a run started by hand (Run Manually): it is asked to. The
                    # users are told of their activities once it is all done.
                    self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
                    if not self.env.context.get("cron_id"):
                        self._collection_run_again()
                    return
        try:
            self.env["mail.activity"]._collection_notify_assigned()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            if not commit:
                raise
            # A user marking an activity done meanwhile, say: the customers are all done, and
            # the run again a minute later only tells the users.
            self.env.cr.rollback()
            _logger.warning(
                "Collection run: telling users of their activities met a concurrent update; "
                "run again in a minute",
                exc_info=True,
            )
            self._collection_go_on_later(done, fields.Datetime.now() + timedelta(minutes=1))
            return
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()

    def _collection_run_batch(self, company_engine, partners, today, commit, done):
        """One batch of _collection_run, ``done`` customers after the start: returns the
        customers that failed, or None when the run stops here, the scheduler asked to run it
        again for the rest."""
        company = company_engine.env.company
        try:
            failed = company_engine._collection_process_safely(partners, today)
            # What is still pending (a failed customer's checked date) is written here, where
            # a concurrent update is caught, not at the commit.
            self.env.flush_all()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            if not commit:
                raise
            # A concurrent update (a payment registered on an invoice of the batch, say)
            # undid the batch. Failing would leave the rest until tomorrow's run: the run
            # starts again in a minute instead, from this batch; the emails of the batches
            # done go out meanwhile.
            self.env.cr.rollback()
            _logger.warning(
                "Collection run: a batch of %s met a concurrent update; run again in a minute",
                company.name,
                exc_info=True,
            )
            self._collection_go_on_later(done, fields.Datetime.now() + timedelta(minutes=1))
            return None
        except Exception:
            if not (commit and self._collection_out_of_cpu()):
                raise
            # The worker's CPU time limit (limit_time_cpu) interrupted the batch, and would
            # interrupt whatever comes next in this worker: the scheduler runs the job again
            # at once in the same worker, under the same limit. The batch is undone, through
            # no customer's fault, and a new run of the job does the rest.
            self.env.cr.rollback()
            if not done:
                _logger.error(
                    "Collection run: a batch of %s customers of %s needs more CPU time than the "
                    "worker's limit (limit_time_cpu): raise the limit, or lower the system "
                    "parameter account_collection_stages.batch_size",
                    len(partners),
                    company.name,
                )
                raise
            _logger.warning(
                "Collection run: the worker's CPU time limit interrupted a batch of %s; run "
                "again at once",
                company.name,
            )
            self._collection_go_on_later(done)
            return None
        if len(partners) > 1 and failed == partners:
            _logger.error(
                "Collection run: every customer of a batch of %s of %s failed; look for a cause "
                "they share (the company's template, the report engine)",
                len(partners),
                company.name,
            )
        return failed

    @api.model
    def _collection_go_on_later(self, done, at=None):
        """Stop here and have the scheduler run the collection again, at ``at`` (by default
        at once), not in this run of the job: after a concurrent update undid the current
        step (a minute later, not into the same update), or when the worker is out of CPU
        time. The emails of what was done go out meanwhile."""
        # Nothing left for now: else the scheduler would run the job again at once, in this
        # worker, while the progress says some remains.
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        self._collection_run_again(at)

    @api.model
    def _collection_cpu_left(self):
        """Seconds of CPU time this process may still use before the worker's limit
        (limit_time_cpu, set again for each unit of the worker's work) interrupts it; None
        without a limit (a threaded server)."""
        soft, _hard = resource.getrlimit(resource.RLIMIT_CPU)
        if soft == resource.RLIM_INFINITY:
            return None
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return soft - usage.ru_utime - usage.ru_stime

    @api.model
    def _collection_short_of_cpu(self, needed):
        """Whether the worker's CPU time left may not do a batch that takes ``needed``."""
        left = self._collection_cpu_left()
        return left is not None and left < CPU_MARGIN * needed

    @api.model
    def _collection_out_of_cpu(self):
        """Whether the worker's CPU time limit is reached: Odoo's worker then raises an error
        in whatever runs, every further second of CPU time."""
        left = self._collection_cpu_left()
        return left is not None and left <= 0

    @api.model
    def _collection_run_again(self, at=None):
        """Have the scheduler run the collection again, at ``at`` (by default at once), and
        commit: for what is left of a run cut short."""
        self.env.ref("account_collection_stages.ir_cron_collection_run")._trigger(at)
        self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _collection_queue(self, today):
        """Commercial partners of the current company the engine has to look at today."""
        company = self.env.company
        candidate_partners = {
            partner.commercial_partner_id.id
            for [partner] in self.env["account.move.line"]._read_group(
                self._collection_line_domain(today), ["partner_id"]
            )
        }
        staged_partners = {
            partner.id
            for [partner] in self.env["account.move"]._read_group(
                [("company_id", "=", company.id), ("collection_stage_id", "!=", False)],
                ["commercial_partner_id"],
            )
        }
        promised_partners = {
            partner.id
            for [partner] in self.env["collection.event"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "promise"),
                    ("promise_state", "=", "open"),
                ],
                ["partner_id"],
            )
        }
        planned_partners = {
            partner.id
            for [partner] in self.env["collection.payment.plan"]._read_group(
                [("company_id", "=", company.id), ("state", "=", "active")], ["partner_id"]
            )
        }
        # Customers left with a stage (and its activities) when their last invoice on the
        # ladder left it otherwise than by the run (posted again for another customer, say).
        pending_partners = set(
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("collection_stage_id", "!=", False)])
            .ids
        )
        partner_ids = (
            candidate_partners
            | staged_partners
            | promised_partners
            | planned_partners
            | pending_partners
        )
        if not partner_ids:
            return []
        return (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search(
                [
                    ("id", "in", list(partner_ids)),
                    # Not looked at today (a date in the future is no reason to skip one).
                    ("collection_checked_date", "!=", today),
                ],
                order="id",
            )
            .ids
        )

    @api.model
    def _collection_line_domain(self, today, partners=None):
        """Receivable lines of customer invoices that are past due and unpaid, and may be chased
        today: those of _collection_collected_line_domain not on hold."""
        return [
            *self._collection_collected_line_domain(today, partners),
            "|",
            ("move_id.collection_hold_until", "=", False),
            ("move_id.collection_hold_until", "<=", today),
        ]

    def _collection_collected_line_domain(self, today, partners=None):
        """Receivable lines past due and unpaid of the customer invoices in collection: not
        excluded, disputed or paid by a payment plan (on hold or not)."""
        domain = [
            ("company_id", "=", self.env.company.id),
            ("move_id.collection_excluded", "=", False),
            ("move_id.collection_disputed", "=", False),
            ("move_id.collection_plan_id", "=", False),
            ("move_id.commercial_partner_id.collection_excluded", "=", False),
            *past_due_invoice_line_domain(today),
        ]
        if partners is not None:
            domain += [
                # The receivable accounts and the lines' own partners by id: the database finds
                # the lines through Odoo's index of the open lines by account and partner, not
                # among all the customers' lines, the paid ones included.
                ("account_id", "in", self._collection_receivable_account_ids()),
                ("partner_id", "in", partners._collection_contact_ids()),
                ("move_id.commercial_partner_id", "in", partners.ids),
            ]
        return domain

    def _collection_receivable_account_ids(self):
        """The receivable accounts' ids (account_type on a line names them through a join,
        which no index of the lines can use)."""
        return self.env["account.account"].search([("account_type", "=", "asset_receivable")]).ids

    # ------------------------------------------------------------ one batch
    def _collection_process_safely(self, partners, today, remind=True):
        """Process a batch; if it fails, process each half of it the same way, so that one
        customer's problem (an invoice whose PDF cannot be rendered, say) does not hold up the
        others. A customer whose reminders fail is processed again without them: its invoices
        move along the ladder and its calls are scheduled all the same, and its reminders stay
        due. Of a customer that fails otherwise, nothing is kept but its checked date. Either
        way the next day's run tries it again, and a run again the same day (after the time
        budget, say) goes on with the others instead of meeting the same failures first.
        Returns the customers that failed, if only their reminders."""
        try:
            with self.env.cr.savepoint():
                self._collection_process(partners, today, remind)
            return partners.browse()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # a concurrent update: the batch is done again (see _collection_run)
        except Exception as error:
            if self._collection_out_of_cpu():
                raise  # the worker's CPU time limit: no customer's fault (see _collection_run)
            if len(partners) == 1:
                again = remind and isinstance(error, ReminderFailed)
                _logger.exception(
                    "Collection run: the reminders of customer %s (id %s) of %s failed; "
                    "processed again without them, which are retried tomorrow"
                    if again
                    else "Collection run: customer %s (id %s) of %s failed; retried tomorrow",
                    partners.display_name,
                    partners.id,
                    self.env.company.name,
                )
                if again:
                    self._collection_process_safely(partners, today, remind=False)
                else:
                    partners.with_context(mail_notrack=True).write(
                        {"collection_checked_date": today}
                    )
                return partners
        half = len(partners) // 2
        return self._collection_process_safely(
            partners[:half], today, remind
        ) | self._collection_process_safely(partners[half:], today, remind)

    def _collection_process(self, partners, today, remind=True):
        """Decide and act for a batch of commercial partners of the current company; without
        ``remind``, no reminder is sent nor booked: they stay due."""
        events = self._collection_decide(partners, today, remind)
        try:
            self.env["collection.reminder"]._collection_send_reminders(
                events.filtered(lambda e: e.kind == "reminder")
            )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception as error:
            raise ReminderFailed(error) from error

    def _collection_decide(self, partners, today, remind=True):
        """Set-based part of the run: stages, reminder bookkeeping, activities and events;
        the reminders only with ``remind``.

        Returns the collection events created; the reminders among them still have to be sent.
        """
        company = self.env.company
        self.env["collection.promise.check"]._collection_check_promises(partners, today)
        broken_plans = (
            self.env["collection.payment.plan"]
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", partners.ids),
                    ("state", "=", "active"),
                ]
            )
            ._collection_check_schedule(today)
        )
        # The plan's invoices left it when it broke (_collection_check_schedule).
        self._collection_escalate(self._collection_moving_on(broken_plans.move_ids, today), today)
        writes = {}  # invoice -> collection fields to write, all in one go
        overdue = self._collection_overdue(self._collection_line_domain(today, partners))
        event_vals = self._collection_release_paid(partners, today, writes, overdue)
        credits = self._collection_credits(partners, today)

        ladder = Ladder(self.env["collection.stage"].search([("company_id", "=", company.id)]))
        # Read the fields of the batch's customers the loops below read, for all of them at once
        # (and only those: res.partner has many columns, some computed in the query).
        partners.fetch(PARTNER_FIELDS)
        partners.child_ids.fetch(
            [
                "type",
                "email_normalized",
                "name",
                "phone",
                "mobile",
                "active",
                "commercial_partner_id",
            ]
        )
        overdue_moves, by_hand, moves_by_partner = self._collection_read_overdue(overdue, today)

        targets = {}  # invoice -> its stage after this run
        placed = {}  # invoice -> (the days that place it on the ladder, its amount due)
        new_stages = {}  # invoice -> its stage, when it changes
        reminders = defaultdict(list)  # partner -> its invoices due for a reminder
        partner_stage = {}
        credit_parts = {}  # partner -> the credit that pays each of its invoices
        for partner, moves in moves_by_partner.items():
            parts = credit_parts[partner] = credits[partner].split(moves, overdue)
            contact = remind and not partner.collection_no_contact
            firmest = None
            # An invoice the customer's credits pay stays where it is, and neither reminds
            # nor weighs on the customer's stage.
            for move, current, stage, days, amount in self._collection_placed(
                moves, overdue, parts, by_hand, ladder, today
            ):
                targets[move] = stage
                placed[move] = days, amount
                if stage.id != current.id:
                    new_stages[move] = stage
                if not stage:
                    continue
                if (
                    contact
                    and ladder.mails(stage)
                    and self._collection_reminder_due(move, stage, today)
                ):
                    reminders[partner].append(move)
                if firmest is None or ladder.key(stage) > ladder.key(firmest):
                    firmest = stage
            if firmest is not None:
                partner_stage[partner] = firmest
        # The invoices the customers' credits pay bear no finance charge either.
        charges = self.env["collection.finance.charge"]._collection_uncharged(
            overdue_moves.browse([move.id for move in targets]),
            today,
            parts={move: part for parts in credit_parts.values() for move, part in parts.items()},
        )

        if new_stages:
            self._collection_set_stages(new_stages, today, writes)
            by_partner_stage = defaultdict(list)
            for move, stage in new_stages.items():
                by_partner_stage[move.commercial_partner_id, stage].append(move)
            for (partner, stage), moves in by_partner_stage.items():
                event_vals.append(
                    self._collection_event_vals(
                        partner,
                        "stage_change",
                        moves,
                        today,
                        stage,
                        amount=sum(overdue[move][1] for move in moves),
                    )
                )

        # Partners' own stage: the firmest among their invoices chased today and those
        # collection pauses.
        # The customers' figures the run keeps (their stage, score and checked date) are
        # written at the end, once per customer: res.partner's rows are wide and much indexed.
        # Their stage is not tracked (the invoices' are).
        partner_writes = {partner: {"collection_checked_date": today} for partner in partners}
        self._collection_stage_writes(
            partners,
            self._collection_customer_stages(partners, today, ladder, partner_stage),
            partner_writes,
        )

        # Overdue reminders: one per customer, listing its invoices, in the email of the most
        # advanced stage among them.
        reminded = []
        for partner, moves in reminders.items():
            parts = credit_parts[partner]
            stage = max((targets[move] for move in moves), key=ladder.key)
            vals = self._collection_claim_vals(
                partner, "reminder", moves, overdue, parts, today, stage, charges
            )
            reminded += moves
            event_vals.append(vals)
        self._collection_book_reminders(reminded, today, writes)
        self.env["collection.next.action"]._collection_plan_next_actions(
            targets, placed, ladder, today, writes
        )
        for move in self._collection_unplanned(partners, today, overdue, targets):
            writes.setdefault(move, {})["collection_next_action_date"] = False
        self._collection_write_moves(writes)

        # Activities: the call, or a proposal for the firmer stages.
        event_vals += self.env["collection.activity.scheduler"]._collection_schedule_activities(
            partner_stage, moves_by_partner, targets, overdue, credit_parts, charges, today
        )
        events = self.env["collection.event"]._collection_record(event_vals)
        self.env["collection.payment.score"]._recompute(partners, today, partner_writes)
        update_rows(self.env["res.partner"], partner_writes)

        self._collection_close_stale_activities(partners, partner_stage, ladder, today)
        return events

    def _collection_unplanned(self, partners, today, overdue, targets):
        """The batch's invoices dated for a next action that the run no longer plans: those
        the customers' credits pay (in ``overdue``, not placed in ``targets``), those reset to
        draft, and those collection pauses (on hold, disputed, in a payment plan, their
        payment blocked) or excludes. Once chased again, the run dates them again."""
        paid_by_credits = [
            move for move in overdue if move not in targets and move.collection_next_action_date
        ]
        # The batch's excluded customers, not all contacts': no scan of them.
        excluded = partners.filtered("collection_excluded")
        paused = self.env["account.move"].search(
            [
                ("company_id", "=", self.env.company.id),
                ("commercial_partner_id", "in", partners.ids),
                # Only an invoice on a stage is dated (_collection_plan_next_actions): the
                # database finds the batch's by the index of the invoices on the ladder.
                ("collection_stage_id", "!=", False),
                ("collection_next_action_date", "!=", False),
                *expression.OR(
                    [
                        self._collection_paused_domain(today),
                        [("state", "=", "draft")],
                        [("payment_state", "in", UNCHASED_STATES)],
                        [("collection_excluded", "=", True)],
                        [("commercial_partner_id", "in", excluded.ids)],
                    ]
                ),
            ]
        )
        return [*paid_by_credits, *paused]

    @api.model
    def _collection_paused_domain(self, today):
        """Invoices whose collection is paused on ``today``, which keep their stage meanwhile:
        on hold, disputed or in a payment plan."""
        return [
            "|",
            "|",
            ("collection_hold_until", ">", today),
            ("collection_disputed", "=", True),
            ("collection_plan_id", "!=", False),
        ]

    def _collection_close_stale_activities(self, partners, partner_stage, ladder, today):
        """Close the company's open collection activities that no invoice calls for any more:
        the stages' activities of a customer with nothing left to chase today, and those the
        run scheduled for stages firmer than the one its invoices are now on (the invoices that
        were on them got paid, put on hold...). The call dialog's next attempt is the call
        stage's, and goes as its activities do. A call with no stage (scheduled by hand, or a
        next attempt when the company has no call stage), and a "Reminder not emailed", stay
        while the customer has an invoice past due, even one on hold, promised, disputed or in
        a payment plan."""
        # By its id alone: no query a batch to check the type exists, as env.ref() does.
        no_email_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "account_collection_stages.mail_activity_type_collection_no_email"
        )
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("collection_company_id", "=", self.env.company.id),
                "|",
                "|",
                ("collection_stage_id", "!=", False),
                ("activity_category", "=", "phonecall"),
                ("activity_type_id", "=", no_email_id),
            ]
        )
        stage_by_id = {partner.id: stage for partner, stage in partner_stage.items()}
        settled = activities.filtered(lambda a: a.res_id not in stage_by_id)
        if unstaged := settled.filtered(lambda a: not a.collection_stage_id):
            owing = {
                partner.commercial_partner_id.id
                for [partner] in self.env["account.move.line"]._read_group(
                    [
                        ("company_id", "=", self.env.company.id),
                        ("move_id.commercial_partner_id", "in", unstaged.mapped("res_id")),
                        *past_due_invoice_line_domain(today),
                    ],
                    ["partner_id"],
                )
            }
            settled -= unstaged.filtered(lambda a: a.res_id in owing)
        passed = (activities - settled).filtered(
            lambda a: (
                a.collection_stage_id
                and ladder.key(a.collection_stage_id) > ladder.key(stage_by_id[a.res_id])
            )
        )
        if passed:
            scheduled = self.env["collection.event"].search_fetch(
                [("activity_id", "in", passed.ids)], ["activity_id"]
            )
            passed &= scheduled.activity_id
        closing = self.env["mail.activity"].with_context(collection_closing=True)
        if settled:
            settled.with_env(closing.env).action_feedback(
                feedback=self.env._("Nothing to collect for now.")
            )
        if passed:
            passed.with_env(closing.env).action_feedback(
                feedback=self.env._("No invoice of the customer is left to chase on this stage.")
            )

    def _collection_release_paid(self, partners, today, writes, overdue):
        """Invoices that got paid, or were cancelled, leave the ladder, and so do those whose
        installments past due are all paid (their next installment, once past due, starts
        from the first stage); returns their events' values. Their fields are added to
        ``writes``. ``overdue``: the batch's invoices chased today (_collection_overdue). A
        draft keeps its stage for when it is posted: reset to draft to be corrected, say, or
        imported on its stage.

        By the customer the invoice was made out to, whoever its contact belongs to now (a
        contact moved to another company)."""
        leaving = self.env["account.move"].search_fetch(
            [
                ("company_id", "=", self.env.company.id),
                ("commercial_partner_id", "in", partners.ids),
                ("collection_stage_id", "!=", False),
                "|",
                "|",
                ("state", "=", "cancel"),
                ("payment_state", "in", PAID_STATES),
                # Only a payment or credit note matched with an invoice pays what is past due
                # of it: then it is partly paid. Those the run chases today have some left.
                "&",
                ("payment_state", "=", "partial"),
                ("id", "not in", [move.id for move in overdue]),
            ],
            ["state", "payment_state", "commercial_partner_id"],
        )
        partial = leaving.filtered(lambda m: m.state == "posted" and m.payment_state == "partial")
        leaving -= partial
        if partial:
            # Of those, the ones that have installments past due, none of them open any more
            # (held or disputed invoices are not in ``overdue``, but may have some; one not
            # due yet has none).
            leaving |= self.env["account.move"].union(
                *(
                    move
                    for move, open_amount in self.env["account.move.line"]._read_group(
                        [
                            ("move_id", "in", partial.ids),
                            ("account_type", "=", "asset_receivable"),
                            ("date_maturity", "<", today),
                        ],
                        ["move_id"],
                        ["amount_residual:max"],
                    )
                    if open_amount <= 0
                )
            )
        if not leaving:
            return []
        self._collection_take_off(leaving, today, writes)
        notes = {
            "cancel": self.env._("Cancelled: off the collection ladder."),
            "reversed": self.env._("Credited in full: off the collection ladder."),
            "caught_up": self.env._(
                "The installments past due are paid: off the collection ladder until the next "
                "one falls due."
            ),
        }
        event_vals = []
        for (partner, why), moves in leaving.grouped(
            lambda m: (m.commercial_partner_id, self._collection_leaving_why(m))
        ).items():
            vals = self._collection_event_vals(
                partner,
                "paid" if why in ("paid", "caught_up") else "note",
                moves,
                today,
                amount=0.0,
            )
            if why in notes:
                vals["note"] = notes[why]
            event_vals.append(vals)
        return event_vals

    @api.model
    def _collection_leaving_why(self, move):
        """Why ``move`` leaves the ladder (see _collection_release_paid)."""
        if move.state == "cancel":
            return "cancel"
        if move.payment_state == "reversed":
            return "reversed"
        if move.payment_state in PAID_STATES:
            return "paid"
        return "caught_up"

    def _collection_take_off(self, moves, today, writes):
        """Take invoices off the ladder: their new values are added to ``writes``."""
        self._collection_set_stages(dict.fromkeys(moves, False), today, writes)
        for move in moves:
            writes[move]["collection_next_action_date"] = False

    @api.model
    def _collection_check_corrected(self, moves):
        """Invoices on a stage posted again after a correction (reset to draft) keep it while
        they are past due for the customer whose stage it was; the others, whose due date or
        customer changed, leave the ladder, to be placed by their days overdue like any
        invoice."""
        staged_for = {}  # invoice -> the customer of its latest stage change
        for event in self.env["collection.event"].search(
            [("move_ids", "in", moves.ids), ("kind", "=", "stage_change")], order="id desc"
        ):
            for move in event.move_ids & moves:
                staged_for.setdefault(move, event.partner_id)
        for company, invoices in moves.grouped("company_id").items():
            today = company._collection_today()
            group = invoices.filtered(
                lambda move, today=today: (
                    not move._collection_past_due_lines(today)
                    or staged_for.get(move, move.commercial_partner_id)
                    != move.commercial_partner_id
                )
            )
            if not group:
                continue
            engine = self.with_company(company)
            writes = {}
            engine._collection_take_off(group, today, writes)
            for move in group:
                if staged_for.get(move, move.commercial_partner_id) != move.commercial_partner_id:
                    # The reminders it got went to another customer: its new one is reminded
                    # as soon as it is chased.
                    writes[move].update(
                        collection_last_reminder_date=False, collection_reminder_count=0
                    )
            engine._collection_write_moves(writes)
            # Noted for the customer whose stage it was.
            engine.env["collection.event"]._collection_record(
                [
                    dict(
                        engine._collection_event_vals(partner, "note", invoices, today, amount=0.0),
                        note=self.env._(
                            "Posted again with another due date or customer: off the collection "
                            "ladder until it is past due."
                        ),
                    )
                    for partner, invoices in group.grouped(
                        lambda move: staged_for.get(move, move.commercial_partner_id)
                    ).items()
                ]
            )

    @api.model
    def _collection_overdue(self, line_domain):
        """{invoice: (earliest due date, amount due in company currency, amount due in the
        invoice's currency)} of the past-due receivable lines matching ``line_domain``, for
        many invoices at once."""
        return {
            move: (due, amount, amount_currency)
            for move, due, amount, amount_currency in self.env["account.move.line"]._read_group(
                line_domain,
                ["move_id"],
                ["date_maturity:min", "amount_residual:sum", "amount_residual_currency:sum"],
            )
        }

    @api.model
    def _collection_past_due(self, moves, today):
        """_collection_overdue of these invoices on ``today``: what is past due of each."""
        return self._collection_overdue(
            [("move_id", "in", moves.ids), *past_due_invoice_line_domain(today)]
        )

    @api.model
    def _collection_credits(self, partners, today):
        """What the credit notes and payments of the customers leave unapplied in the current
        company, less what offsets them outside invoices and is due by ``today`` (a refund
        paid out, say), per currency, from one query: {customer: Credits}. They reduce what
        reminders and calls claim: with the overdue invoices, they make the customer's balance
        due."""
        company_currency = self.env.company.currency_id
        lots = defaultdict(dict)
        for partner, currency, amount, in_currency in self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", self.env.company.id),
                *open_non_invoice_line_domain(today),
                ("partner_id", "in", partners._collection_contact_ids()),
            ],
            ["partner_id", "currency_id"],
            ["amount_residual:sum", "amount_residual_currency:sum"],
        ):
            customer = lots[partner.commercial_partner_id]
            total, total_in_currency = customer.get(currency, (0.0, 0.0))
            customer[currency] = (total - amount, total_in_currency - in_currency)
        credits = defaultdict(lambda: Credits(company_currency))
        for partner, customer in lots.items():
            credits[partner] = Credits(company_currency, customer)
        return credits

    @api.model
    def _collection_owed(self, moves, overdue, parts):
        """Those of ``moves`` the credits do not pay in full, in each invoice's currency: the
        invoices to claim. ``overdue``: see _collection_overdue; ``parts``: see
        Credits.split."""
        # An invoice no credit pays is owed: its past-due lines have a balance.
        return [
            move
            for move in moves
            if not parts[move][1]
            or move.currency_id.compare_amounts(overdue[move][2] - parts[move][1], 0) > 0
        ]

    @api.model
    def _collection_currency_totals(self, moves, overdue, parts):
        """What a customer is asked to pay for ``moves``, per currency: a list of dicts with
        ``currency``, ``overdue``, ``credit`` and ``claimed``, the company currency first;
        adding amounts of several currencies up would not tell it what to pay.
        ``overdue``: see _collection_overdue; ``parts``: the credit that pays each invoice
        (Credits.split)."""
        totals = {}
        for move in moves:
            if move not in overdue:
                continue
            currency = move.currency_id
            in_currency = overdue[move][2]
            deducted = parts[move][1]
            total = totals.setdefault(
                currency, {"currency": currency, "overdue": 0.0, "credit": 0.0, "claimed": 0.0}
            )
            total["overdue"] += in_currency
            total["credit"] += deducted
            total["claimed"] += in_currency - deducted
        company_currency = self.env.company.currency_id
        return [
            totals[currency]
            for currency in sorted(totals, key=lambda c: (c != company_currency, c.name))
        ]

    def _collection_claim_vals(self, partner, kind, moves, overdue, parts, today, stage, charges):
        """Values of an event of ``partner`` that claims ``moves`` (a reminder, a call, a
        proposal): what is overdue (``overdue``, see _collection_overdue), less the customer's
        credits that pay them (``parts``, see Credits.split), and the finance charge on it
        (``charges``: collection.finance.charge's _collection_uncharged)."""
        amount = sum(overdue[move][1] for move in moves)
        credit = sum(parts[move][0] for move in moves)
        vals = self._collection_event_vals(partner, kind, moves, today, stage, amount)
        vals.update(
            amount_credit=credit,
            amount_claimed=amount - credit,
            finance_charge=finance_charge(charges, moves),
        )
        return vals

    def _collection_customer_stages(self, partners, today, ladder, chased):
        """{customer: its stage} for the batch: the firmest stage among its invoices past due,
        those chased today (``chased``: {customer: the firmest of their stages}) and those
        collection pauses (on hold, promised, disputed, in a payment plan), which keep their
        stage meanwhile. Not those of an excluded invoice or customer."""
        stages = dict(chased)
        for partner, stage in self.env["account.move"]._read_group(
            [
                ("company_id", "=", self.env.company.id),
                ("commercial_partner_id", "in", partners.ids),
                ("collection_stage_id", "!=", False),
                ("collection_excluded", "=", False),
                *self._collection_paused_domain(today),
                ("commercial_partner_id.collection_excluded", "=", False),
                ("line_ids", "any", past_due_invoice_line_domain(today)),
            ],
            ["commercial_partner_id", "collection_stage_id"],
        ):
            if partner not in stages or ladder.key(stage) > ladder.key(stages[partner]):
                stages[partner] = stage
        return stages

    @api.model
    def _collection_read_overdue(self, overdue, today):
        """(invoices, by_hand, {customer: its invoices}) of ``overdue`` (_collection_overdue):
        the invoices with the fields the run reads, and their days set by hand
        (_collection_days_by_hand)."""
        # Those fields alone: reading one field of an invoice would otherwise fetch all of
        # account.move's hundred columns, for thousands of invoices.
        moves = self.env["account.move"].browse([move.id for move in overdue])
        moves.fetch(MOVE_FIELDS)
        moves_by_partner = defaultdict(list)
        for move in overdue:
            moves_by_partner[move.commercial_partner_id].append(move)
        return moves, self._collection_days_by_hand(moves, today), moves_by_partner

    @api.model
    def _collection_placed(self, moves, overdue, parts, by_hand, ladder, today):
        """(invoice, its stage, its stage today, days, amount) for each of a customer's
        overdue ``moves`` its credits do not pay in full (_collection_owed; ``parts``: see
        Credits.split): where ``ladder`` places it ``today``, by the days and the amount due
        that place it there. ``overdue``: see _collection_overdue; ``by_hand``: see
        _collection_days_by_hand."""
        for move in self._collection_owed(moves, overdue, parts):
            due, amount, _amount_currency = overdue[move]
            days = (today - due).days
            days = min(days, by_hand.get(move, days))
            current = move.collection_stage_id
            yield move, current, ladder.target(current, days, amount), days, amount

    def _collection_stage_writes(self, partners, shown, writes):
        """Add to ``writes`` ({customer: values}) the stage of those of ``partners`` whose
        stage changes to the one in ``shown`` (_collection_customer_stages)."""
        for partner in partners:
            stage = shown.get(partner, self.env["collection.stage"])
            if partner.collection_stage_id != stage:
                writes.setdefault(partner, {})["collection_stage_id"] = stage.id or False

    @api.model
    def _collection_reminder_due(self, move, stage, today):
        """Whether ``move``, on ``stage`` (a stage with a reminder email), is due for one."""
        day = self._collection_reminder_day(move, stage, today)
        return bool(day) and day <= today

    @api.model
    def _collection_reminder_day(self, move, stage, today, vals=NO_VALUES):
        """The first day from ``today`` on which ``move``, on ``stage`` (a stage with a
        reminder email), is due for an overdue reminder: every ``repeat_days`` from its last
        one, or once on the stage when that is 0; never twice a day (a reminder sent by hand
        today, say). None when no other will go. ``vals``: what is written on it today."""
        last = vals.get("collection_last_reminder_date", move.collection_last_reminder_date)
        if not last:
            return today
        if stage.repeat_days:
            return max(last + timedelta(days=stage.repeat_days), today)
        current = vals.get("collection_stage_id", move.collection_stage_id.id)
        stage_date = vals.get("collection_stage_date", move.collection_stage_date)
        if last < today and (current != stage.id or (stage_date and last < stage_date)):
            return today
        return None

    def _collection_days_by_hand(self, moves, today):
        """{invoice: days} for those of ``moves`` (MOVE_FIELDS read) whose stage was set by
        hand: the days that place them on the ladder, as if they had reached that stage on the
        day it was set (their days overdue place the others)."""
        return {
            move: move.collection_stage_id.min_days_overdue
            + (today - move.collection_stage_date).days
            for move in moves
            if move.collection_stage_manual and move.collection_stage_id
        }

    def _collection_set_stages(self, new_stages, today, writes):
        """Put invoices on new stages (False: off the ladder), with the change tracked in their
        chatter; their new values are added to ``writes`` for _collection_write_moves."""
        field = self.env["ir.model.fields"]._get("account.move", "collection_stage_id")
        names = {}
        notes = []
        for move, stage in new_stages.items():
            old = move.collection_stage_id
            for record in (old, stage):
                if record and record not in names:
                    names[record] = record.display_name
            vals = writes.setdefault(move, {})
            vals.update(
                collection_stage_id=stage.id if stage else False,
                collection_stage_date=today or False,
            )
            if stage:
                vals["collection_last_action_date"] = today
            else:
                vals["collection_stage_manual"] = False  # back on the ladder by its days
            notes.append(
                {
                    "model": "account.move",
                    "res_id": move.id,
                    "record_name": move.name,
                    "company_id": move.company_id.id,
                    "tracking": [
                        {
                            "field_id": field.id,
                            "old_value_integer": old.id or None,
                            "old_value_char": names.get(old, ""),
                            "new_value_integer": stage.id if stage else None,
                            "new_value_char": names.get(stage, ""),
                        }
                    ],
                }
            )
        self.env["collection.chatter"]._log_notes(notes)

    def _collection_write_moves(self, values):
        """Write the collection bookkeeping of many invoices, ``{move: {field: value}}``, with
        one UPDATE per set of fields written.

        account.move's write() re-synchronises each invoice's tax and payment term lines,
        invoice by invoice, whatever the field; the collection fields touch none of that."""
        assert all(name.startswith("collection_") for vals in values.values() for name in vals)
        update_rows(self.env["account.move"], values)

    def _collection_book_reminders(self, moves, today, writes):
        """Record on the invoices that they got a reminder today: the values are added to
        ``writes`` for _collection_write_moves."""
        for move in moves:
            writes.setdefault(move, {}).update(
                collection_reminder_count=move.collection_reminder_count + 1,
                collection_last_reminder_date=today,
                collection_last_action_date=today,
            )

    @api.model
    def _collection_event_vals(self, partner, kind, moves, today, stage=None, amount=None):
        """Values of an event for collection.event's _collection_record; ``amount``: what is
        overdue of the invoices, by default their whole balance."""
        moves = self.env["account.move"].union(*moves) if isinstance(moves, list) else moves
        if amount is None:
            amount = sum(moves.mapped("amount_residual_signed"))
        return {
            "partner_id": partner.id,
            "kind": kind,
            "move_ids": moves,
            "date": today,
            "stage_id": stage.id if stage else None,
            "company_id": self.env.company.id,
            "user_id": self.env.user.id,
            "amount_overdue": amount,
        }

    @api.model
    def _collection_to_chase(self, move):
        """Whether an invoice of a promise or plan is still to chase: posted (not cancelled,
        nor reset to draft), unpaid, not in a plan, not disputed."""
        return not (
            move.state != "posted"
            or move.payment_state in UNCHASED_STATES
            or move.collection_plan_id
            or move.collection_disputed
        )

    @api.model
    def _collection_moving_on(self, moves, today):
        """Those of a broken promise's or plan's invoices that move on to the next stage: the
        ones still to chase, unless collection is paused for them (excluded, the invoice or the
        customer, or on hold after ``today``: no action before the hold ends)."""
        return moves.filtered(
            lambda move: (
                self._collection_to_chase(move)
                and not move.collection_excluded
                and not move.commercial_partner_id.collection_excluded
                and not self._collection_on_hold(move, today)
            )
        )

    @api.model
    def _collection_on_hold(self, move, today):
        """Whether ``move`` is on hold on ``today``: no action before the hold ends."""
        return bool(move.collection_hold_until and move.collection_hold_until > today)

    def _collection_escalate(self, moves, today=None):
        """Move invoices on to the stage after their current one, on ``today`` (by default
        each invoice's company's day); once a day: an invoice moved on ahead of its days
        overdue that day already (two refusals in an afternoon, say) stays where it is.
        Returns {invoice: its new stage}."""
        escalated = {}
        for company, group in moves.grouped("company_id").items():
            ladder = Ladder(self.env["collection.stage"].search([("company_id", "=", company.id)]))
            day = today or company._collection_today()
            # What is past due of them: weighed against the stages' minimum amounts, and
            # recorded as the daily run's stage changes record it.
            overdue = self._collection_past_due(group, day)
            new_stages = {}
            for move in group:
                # One not past due yet (a refusal about it, say) weighs what it owes.
                amount = overdue[move][1] if move in overdue else move.amount_residual_signed
                current = move.collection_stage_id
                if current and move.collection_stage_date == day:
                    days = (day - overdue[move][0]).days if move in overdue else -1
                    by_days = ladder.target(current.browse(), days, amount)
                    if not by_days or ladder.key(current) > ladder.key(by_days):
                        continue
                if after := ladder.after(current, amount):
                    new_stages[move] = after
            if not new_stages:
                continue
            writes = {}
            self._collection_set_stages(new_stages, day, writes)
            self._collection_write_moves(writes)
            planned = {}
            self.env["collection.next.action"].with_company(company)._collection_replan(
                self.env["account.move"].union(*new_stages), day, planned
            )
            self._collection_write_moves(planned)
            groups = defaultdict(list)
            for move, stage in new_stages.items():
                groups[move.commercial_partner_id, stage].append(move)
            self.env["collection.event"]._collection_record(
                [
                    self.with_company(company)._collection_event_vals(
                        partner,
                        "stage_change",
                        group,
                        day,
                        stage,
                        amount=sum(overdue[move][1] for move in group if move in overdue),
                    )
                    for (partner, stage), group in groups.items()
                ]
            )
            escalated.update(new_stages)
        return escalated
