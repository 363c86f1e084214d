"""The run goes in batches; a run that dies half-way is finished by the next without duplicates."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest.mock import patch

from psycopg2.errors import SerializationFailure

from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DAY0, ENGINE_LOGGER, CollectionCase

Engine = "odoo.addons.account_collection_stages.models.collection_engine.CollectionEngine"
Reminder = "odoo.addons.account_collection_stages.models.collection_reminder.CollectionReminder"
Scheduler = (
    "odoo.addons.account_collection_stages.models.collection_activity_scheduler."
    "CollectionActivityScheduler"
)


class WorkerKilled(BaseException):
    """The worker dying (killed, out of memory): nothing in the run gets to handle it."""


@tagged("standard", "post_install", "-at_install")
class TestCollectionBatches(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("account_collection_stages.batch_size", 2)
        cls.customers = (
            cls.customer
            | cls._customer("Deco Addict")
            | cls._customer("Gemini Furniture")
            | cls._customer("Lumber Inc")
            | cls._customer("Ready Mat")
        )
        for customer in cls.customers:
            cls._invoice(customer, 5)

    @contextmanager
    def committing(self):
        """As under the scheduler, a run with commit=True keeps its commits and its rollbacks
        go back to the last of them: here a commit is a savepoint, a rollback a return to it."""
        cr = self.env.cr
        cr.execute("SAVEPOINT collection_committed")

        def commit():
            cr.flush()
            cr.execute("SAVEPOINT collection_committed")

        def rollback():
            cr.execute("ROLLBACK TO SAVEPOINT collection_committed")
            self.env.invalidate_all(flush=False)

        with patch.object(cr, "commit", commit), patch.object(cr, "rollback", rollback):
            yield

    def run_failing(self, fails, fail=None):
        """Run the engine with the invoice report failing where ``fails(reminder, moves)``,
        by ``fail(reminder)`` (by default a UserError); returns the errors logged."""
        documents = type(self.env["collection.reminder"])._collection_invoice_documents

        def report(reminder, moves):
            if fails(reminder, moves):
                if fail:
                    fail(reminder)
                raise UserError("The invoice report cannot be rendered.")
            return documents(reminder, moves)

        with (
            patch(f"{Reminder}._collection_invoice_documents", report),
            self.assertLogs(ENGINE_LOGGER, "ERROR") as logs,
        ):
            self.run_engine(failures_expected=True)
        return logs.output

    def test_crash_between_batches_then_rerun(self):
        """As under the scheduler, each batch is committed; the worker dies while the second
        batch mails its reminders, after deciding them. The database keeps what was
        committed, as PostgreSQL would: the first batch, whole, and nothing of the second."""
        cr = self.env.cr
        commits = []

        def commit():
            cr.flush()
            commits.append(True)
            cr.execute("SAVEPOINT collection_committed")

        send = type(self.env["collection.reminder"])._collection_send_reminders
        batches = []

        def dying_send(reminder, events):
            batches.append(events.partner_id)
            if len(batches) == 2:
                raise WorkerKilled("worker killed")
            return send(reminder, events)

        def run():
            with freeze_time(DAY0), patch.object(cr, "commit", commit):
                self.env["collection.engine"]._collection_run(commit=True)

        cr.execute("SAVEPOINT collection_committed")
        with patch(f"{Reminder}._collection_send_reminders", dying_send):
            try:
                run()
            except WorkerKilled:
                cr.execute("ROLLBACK TO SAVEPOINT collection_committed")
                self.env.invalidate_all(flush=False)
            else:
                self.fail("the worker did not die")
        self.assertEqual(len(commits), 1)
        first, second = batches
        for customer in self.customers:
            kept = customer in first
            self.assertEqual(len(self.reminders(customer)), kept, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), kept, customer.name)
            if customer in second:
                self.assertFalse(self.events(customer), customer.name)
                self.assertFalse(customer.invoice_ids.collection_stage_id, customer.name)
        # The next run does the rest, in two batches, and ends with a commit of its own (the
        # notifications of the activities it assigned): one reminder and one email each.
        run()
        self.assertEqual(len(commits), 4)
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), 1, customer.name)

    def test_failing_customer_does_not_hold_up_the_others(self):
        broken = self.customers[2]
        logs = self.run_failing(lambda reminder, moves: broken in moves.commercial_partner_id)
        self.assertIn(broken.name, logs[0])
        for customer in self.customers - broken:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), 1, customer.name)
        self.assertFalse(self.reminders(broken))
        self.assertFalse(self.queued_mails(broken))
        # Processed again without its reminder: its invoice is on its stage, still due for one.
        self.assertEqual(broken.collection_stage_id, self.stage["reminder"])
        self.assertFalse(broken.invoice_ids.collection_last_reminder_date)
        # A run again the same day goes on without it; once the report is mended, the next
        # day's run reminds that customer, and only that one.
        self.run_engine()
        self.assertFalse(self.reminders(broken))
        self.run_engine(DAY0 + timedelta(days=1))
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), 1, customer.name)

    def test_customer_whose_reminder_fails_still_gets_its_call(self):
        late = self.customers[1]
        self._invoice(late, 45)
        logs = self.run_failing(lambda reminder, moves: late in moves.commercial_partner_id)
        self.assertEqual(len(logs), 1)
        self.assertIn("reminders of customer Deco Addict", logs[0])
        self.assertFalse(self.reminders(late))
        self.assertEqual(late.collection_stage_id, self.stage["call"])
        self.assertEqual(len(self.collection_activities(late)), 1)
        # The report mended, the next day's run sends the reminder, and no second call.
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(len(self.reminders(late)), 1)
        self.assertEqual(self.reminders(late).stage_id, self.stage["call"])
        self.assertEqual(len(self.collection_activities(late)), 1)

    def failing_to_schedule(self, broken):
        """Scheduling the activities of a batch with ``broken`` fails: the run fails on that
        customer in its deciding phase."""
        schedule = type(self.env["collection.activity.scheduler"])._collection_schedule_activities

        def failing(scheduler, partner_stage, moves_by_partner, *args):
            if broken in moves_by_partner:
                raise UserError("The activity cannot be scheduled.")
            return schedule(scheduler, partner_stage, moves_by_partner, *args)

        return patch(f"{Scheduler}._collection_schedule_activities", failing)

    def test_customer_failing_to_decide_keeps_nothing(self):
        broken = self.customers[2]
        with (
            self.failing_to_schedule(broken),
            self.assertLogs(ENGINE_LOGGER, "ERROR") as logs,
        ):
            self.run_engine(failures_expected=True)
        # Not tried again without its reminders, in vain.
        self.assertEqual(len(logs.output), 1)
        self.assertIn("customer Gemini Furniture", logs.output[0])
        self.assertNotIn("reminders", logs.output[0].splitlines()[0])
        self.assertFalse(self.events(broken), "nothing of the failed customer is kept")
        self.assertFalse(broken.invoice_ids.collection_stage_id)
        self.assertEqual(broken.collection_checked_date, DAY0)
        for customer in self.customers - broken:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)

    def test_customer_timing_out_does_not_hold_up_the_others(self):
        """A database error that no retry mends (a statement cancelled by the server's time
        limit, say) fails that customer only, as any other error does."""
        broken = self.customers[2]

        def time_out(reminder):
            reminder.env.cr.execute("SET LOCAL statement_timeout = 10; SELECT pg_sleep(1)")

        logs = self.run_failing(
            lambda reminder, moves: broken in moves.commercial_partner_id, time_out
        )
        self.assertIn("canceling statement due to statement timeout", "\n".join(logs))
        self.assertFalse(self.reminders(broken))
        for customer in self.customers - broken:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)

    def test_every_customer_failing_holds_up_no_other_company(self):
        other_company = self.setup_other_company(name="Collections Two")["company"]
        self.env.user.company_ids |= other_company
        other_customer = self._customer("Wood Corner")
        other_customer.with_company(other_company).property_payment_term_id = self.pay_terms_a
        self._invoice(other_customer, 5, company=other_company)
        logs = self.run_failing(lambda reminder, moves: reminder.env.company != other_company)
        # Each of the five customers, and each batch of two whose customers all failed.
        self.assertEqual(len(logs), 7)
        self.assertEqual(sum("every customer of a batch" in line for line in logs), 2)
        for customer in self.customers:
            self.assertFalse(self.reminders(customer), customer.name)
            self.assertFalse(self.queued_mails(customer), customer.name)
        self.assertEqual(len(self.reminders(other_customer)), 1)
        # Once the report is mended, the next day's run does them all.
        self.run_engine(DAY0 + timedelta(days=1))
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)

    def test_last_batch_of_failing_customers_after_others_went_through(self):
        self.env["ir.config_parameter"].set_param("account_collection_stages.batch_size", 3)
        broken = self.customers[3:]  # the second and last batch, of two
        logs = self.run_failing(lambda reminder, moves: moves.commercial_partner_id & broken)
        # Each failing customer, then their batch; the run did not stop.
        self.assertEqual(len(logs), 3)
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), customer not in broken, customer.name)

    def test_concurrent_update_runs_the_rest_again_soon(self):
        """A user registering a payment on an invoice of the second batch while the run
        processes it: the batch is undone, and the rest is done a minute later, not the next
        day (as the scheduler would do for a job failing before any progress)."""
        process = type(self.env["collection.engine"])._collection_process
        batches = []

        def conflicting(engine, partners, today, remind=True):
            batches.append(partners)
            process(engine, partners, today, remind)
            if len(batches) == 2:
                raise SerializationFailure("could not serialize access due to concurrent update")

        cron = self.cron
        cron.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        progress = []
        notify = type(self.env["ir.cron"])._notify_progress

        def record(cron, *, done, remaining, deactivate=False):
            progress.append((done, remaining))
            return notify(cron, done=done, remaining=remaining, deactivate=deactivate)

        with (
            freeze_time(DAY0),
            self.committing(),
            patch(f"{Engine}._collection_process", conflicting),
            patch.object(type(self.env["ir.cron"]), "_notify_progress", record),
            self.assertLogs(ENGINE_LOGGER, "WARNING"),
        ):
            self.env["collection.engine"]._collection_run(commit=True)
        # Nothing left for the scheduler to run at once, into the same update: the trigger
        # does it a minute later.
        self.assertEqual(progress[-1], (2, 0))
        first, second = batches
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), customer in first, customer.name)
        trigger = cron.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(trigger.call_at, datetime.combine(DAY0, time(0, 1)))
        with freeze_time(DAY0), self.committing():
            self.env["collection.engine"]._collection_run(commit=True)
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), 1, customer.name)

    def test_concurrent_update_of_a_failed_customer_runs_the_batch_again_soon(self):
        """The last customer of the first batch fails, and a user edits it meanwhile: writing
        its checked date meets the update. The run is done again a minute later, as for any
        concurrent update, instead of failing with no progress kept (the rest then waited
        for the next day)."""
        broken = self.customers[1]
        write_multi = type(self.env["res.partner"])._write_multi
        conflicts = []

        def conflicting(partners, vals_list):
            if partners == broken and not conflicts:
                conflicts.append(partners)
                raise SerializationFailure("could not serialize access due to concurrent update")
            return write_multi(partners, vals_list)

        cron = self.cron
        cron.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        with (
            freeze_time(DAY0),
            self.committing(),
            self.failing_to_schedule(broken),
            patch.object(type(self.env["res.partner"]), "_write_multi", conflicting),
            self.assertLogs(ENGINE_LOGGER, "WARNING") as logs,
        ):
            self.env["collection.engine"]._collection_run(commit=True)
        self.assertTrue(conflicts)
        self.assertIn("met a concurrent update", logs.output[-1])
        trigger = cron.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(trigger.call_at, datetime.combine(DAY0, time(0, 1)))
        self.assertFalse(self.events(self.customers[0]), "the batch is done again")

    def test_concurrent_update_while_telling_users_tells_them_a_minute_later(self):
        self.customer.collection_responsible_id = new_test_user(
            self.env, login="collector", groups="account.group_account_invoice"
        )
        self._invoice(self.customer, 35)

        def conflicting(activities):
            raise SerializationFailure("could not serialize access due to concurrent update")

        cron = self.cron
        cron.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        Activity = "odoo.addons.account_collection_stages.models.mail_activity.MailActivity"
        with (
            freeze_time(DAY0),
            self.committing(),
            patch(f"{Activity}._collection_notify_assigned", conflicting),
            self.assertLogs(ENGINE_LOGGER, "WARNING"),
        ):
            self.env["collection.engine"]._collection_run(commit=True)
        # The customers were done; the users are told a minute later.
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)
        trigger = cron.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(trigger.call_at, datetime.combine(DAY0, time(0, 1)))
        pending = self.env["mail.activity"].search([("collection_notify_pending", "=", True)])
        self.assertTrue(pending)
        with freeze_time(DAY0), self.committing():
            self.env["collection.engine"]._collection_run(commit=True)
        self.assertFalse(pending.exists().filtered("collection_notify_pending"))

    def test_a_run_by_hand_cut_short_is_finished_by_the_scheduler(self):
        """The scheduler goes on with a run its time budget stopped, as the progress says;
        a run started by hand (Run Manually) has the scheduler finish it."""
        # Spent at once (the clock stands still under freeze_time).
        self.env["ir.config_parameter"].set_param("account_collection_stages.time_budget", -1)
        triggers = self.env["ir.cron.trigger"]
        reminded = []
        # The contexts the scheduler and Run Manually start the job in: both note progress.
        for context, asked in (({"cron_id": self.cron.id}, False), ({}, True)):
            triggers.search([("cron_id", "=", self.cron.id)]).unlink()
            cron, _progress = self.cron.with_context(**context)._add_progress()
            with freeze_time(DAY0), self.committing():
                self.env["collection.engine"].with_env(cron.env)._collection_run(commit=True)
            reminded.append(sum(len(self.reminders(c)) for c in self.customers))
            self.assertEqual(bool(triggers.search([("cron_id", "=", self.cron.id)])), asked)
        # One batch of two customers each time.
        self.assertEqual(reminded, [2, 4])

    def cpu_limit_run(self, cpu_left, fails=lambda moves: False):
        """Run the engine as the scheduler does in a worker whose CPU time limit leaves
        ``cpu_left()`` seconds, the worker interrupting the invoice report where
        ``fails(moves)`` as Odoo's worker does at its limit; returns the triggers of the job."""
        triggers = self.env["ir.cron.trigger"]
        triggers.search([("cron_id", "=", self.cron.id)]).unlink()
        documents = type(self.env["collection.reminder"])._collection_invoice_documents

        def report(reminder, moves):
            if fails(moves):
                raise Exception("CPU time limit exceeded.")  # pylint: disable=broad-exception-raised
            return documents(reminder, moves)

        with (
            freeze_time(DAY0),
            self.committing(),
            patch(f"{Engine}._collection_cpu_left", lambda engine: cpu_left()),
            patch(f"{Reminder}._collection_invoice_documents", report),
        ):
            self.env["collection.engine"]._collection_run(commit=True)
        self.env.invalidate_all()
        return triggers.search([("cron_id", "=", self.cron.id)])

    def assert_first_batch_then_the_rest(self, triggers):
        """The run did the first batch only and had the scheduler start it again; nobody of
        the others is put off to the next day, and the next run does them, once each."""
        self.assertTrue(triggers)
        first = self.customers[:2]
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), customer in first, customer.name)
            self.assertEqual(customer.collection_checked_date, DAY0 if customer in first else False)
        self.run_engine()
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)

    def test_a_run_short_of_cpu_time_goes_on_in_a_new_run(self):
        """A worker's CPU time limit (limit_time_cpu) holds for all the runs of the job in a
        row: near it, the run stops between batches, and has the scheduler start the job
        again, under a limit of its own."""
        with self.assertNoLogs(ENGINE_LOGGER, "WARNING"):
            triggers = self.cpu_limit_run(lambda: 0.001)
        self.assert_first_batch_then_the_rest(triggers)

    def test_a_batch_the_cpu_time_limit_interrupts_is_done_again_in_a_new_run(self):
        """The limit interrupting a batch is no customer's failure: none of them is put off
        to the next day, and the next run of the job does the batch again."""
        interrupted = []

        def fails(moves):
            if self.customers[2] in moves.commercial_partner_id:
                interrupted.append(True)
            return bool(interrupted)

        with self.assertNoLogs(ENGINE_LOGGER, "ERROR"):
            triggers = self.cpu_limit_run(lambda: 0 if interrupted else 60.0, fails)
        self.assert_first_batch_then_the_rest(triggers)

    def test_a_batch_needing_more_cpu_time_than_the_limit_fails_the_run(self):
        """A batch that alone goes over the limit would be done again and again: the job
        fails, with the way out in the log."""
        with (
            self.assertLogs(ENGINE_LOGGER, "ERROR") as logs,
            self.assertRaisesRegex(Exception, "CPU time limit exceeded"),
        ):
            self.cpu_limit_run(lambda: 0, lambda moves: True)
        self.assertIn("account_collection_stages.batch_size", "\n".join(logs.output))
        for customer in self.customers:
            self.assertFalse(self.reminders(customer), customer.name)
            self.assertFalse(customer.collection_checked_date, customer.name)

    def test_progress_is_reported(self):
        progress = []
        notify = type(self.env["ir.cron"])._notify_progress

        def record(cron, *, done, remaining, deactivate=False):
            progress.append((done, remaining))
            return notify(cron, done=done, remaining=remaining, deactivate=deactivate)

        with patch.object(type(self.env["ir.cron"]), "_notify_progress", record):
            self.run_engine()
        self.assertEqual(progress, [(2, 3), (4, 1), (5, 0)])

    def test_customer_checked_on_a_later_day_is_still_looked_at(self):
        # The day of the last check is the run's to write; a later one skips nobody.
        self.customer.sudo().collection_checked_date = DAY0 + timedelta(days=365)
        self.run_engine()
        self.assertEqual(len(self.reminders(self.customer)), 1)
        self.assertEqual(self.customer.collection_checked_date, DAY0)

    def test_only_the_run_writes_a_customers_stage_and_last_check(self):
        self.run_engine()
        stage = self.customer.collection_stage_id
        self.assertEqual(stage, self.stage["reminder"])
        editor = new_test_user(
            self.env, "contact_editor", groups="base.group_user,base.group_partner_manager"
        )
        # Left out of a contact's write, as a contact merge would write them.
        self.customer.with_user(editor).write(
            {
                "collection_stage_id": self.stage["legal"].id,
                "collection_checked_date": DAY0 + timedelta(days=365),
                "phone": "+1 555 0199",
            }
        )
        self.assertEqual(self.customer.phone, "+1 555 0199")
        self.assertEqual(self.customer.collection_stage_id, stage)
        self.assertEqual(self.customer.collection_checked_date, DAY0)
