"""A Billing user, a collection user but not a manager, takes every collection action of the
web client: the guards on the history and on the invoices' bookkeeping stop none of them."""

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import DAY0, MODULE, CollectionCase

NOON = datetime.combine(DAY0, datetime.min.time()) + timedelta(hours=12)


@tagged("standard", "post_install", "-at_install")
@freeze_time(NOON)
class TestCollectionRoles(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(cls.env, "billing_clerk", groups="account.group_account_invoice")
        cls.customer.write({"phone": "+1 555 0100", "tz": "UTC"})

    def wizard(self, records, method, **values):
        action = getattr(records.with_user(self.clerk), method)()
        wizard = self.env[action["res_model"]].with_user(self.clerk).browse(action["res_id"])
        wizard.write(values)
        return wizard.action_confirm()

    def test_collection_rights_alone_open_the_customer_form(self):
        """Collections: User given to an employee without invoicing rights, who cannot read
        invoices: the customer form opens, without the collection page it could not show."""
        self._invoice(self.customer, 40)
        self.run_engine()
        employee = new_test_user(
            self.env, "collector_only", groups=f"base.group_user,{MODULE}.group_collection_user"
        )
        form = Form(self.customer.with_user(employee))
        self.assertEqual(form.name, self.customer.name)
        self.assertNotIn("collection_overdue_amount", form._view["fields"])
        # A Billing user sees it.
        form = Form(self.customer.with_user(self.clerk))
        self.assertEqual(form.collection_overdue_amount, 1000.0)

    def test_the_history_is_written_by_the_collection_actions_only(self):
        move = self._invoice(self.customer, 40)
        self.run_engine()
        with self.assertRaises(AccessError):
            self.env["collection.event"].with_user(self.clerk).create(
                {"partner_id": self.customer.id, "kind": "call", "date": DAY0 + timedelta(days=9)}
            )
        # Logging a call closes its activity: not someone else's To-Do, nor another customer's.
        other = self._customer("Deco Addict")
        for activity in (
            self.customer.activity_schedule("mail.mail_activity_data_todo"),
            # A collection To-Do (a proposal of the run, say) is no call either.
            self.customer.activity_schedule(
                "mail.mail_activity_data_todo",
                summary="Proposed: Collection agency",
                collection_company_id=self.env.company.id,
            ),
            other.activity_schedule("account_collection_stages.mail_activity_type_collection_call"),
        ):
            action = move.with_user(self.clerk).action_collection_log_call()
            wizard = self.env[action["res_model"]].with_user(self.clerk).browse(action["res_id"])
            wizard.write({"outcome": "no_answer", "activity_id": activity.id})
            with (
                self.subTest(activity=activity.summary),
                self.assertRaisesRegex(UserError, "not a collection call of this customer"),
            ):
                wizard.action_confirm()
            self.assertTrue(activity.exists())
        self.assertFalse(self.events(self.customer, "call").filtered("call_outcome"))

    def test_billing_user_paying_takes_the_invoice_off_the_ladder(self):
        move = self._invoice(self.customer, 40)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.env["account.payment.register"].with_user(self.clerk).with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": DAY0})._create_payments()
        self.commit_point()
        self.assertFalse(move.collection_stage_id)
        self.assertEqual(self.events(self.customer, "paid").user_id, self.clerk)
        self.assertFalse(self.collection_activities(self.customer))

    def test_billing_user_sends_the_templates_files_too(self):
        """A collection user who may not edit contacts sends a reminder whose template has
        files of its own: their copies go to the customer's message all the same."""
        template = self.stage["reminder"].mail_template_id
        terms = self._template_file(template)
        self.assertFalse(self.clerk.has_group("base.group_partner_manager"))
        self._invoice(self.customer, 5)
        with freeze_time(DAY0):
            self.customer.with_user(self.clerk).action_collection_send_reminder()
        message = self.reminders(self.customer).mail_message_id
        sent = message.attachment_ids.filtered(lambda a: a.name == "Terms.pdf")
        self.assertEqual((sent.res_model, sent.res_id), ("res.partner", self.customer.id))
        self.assertEqual(template.attachment_ids, terms)

    def test_billing_user_takes_the_collection_actions(self):
        promised, disputed, planned = (self._invoice(self.customer, 40) for _ in range(3))
        # The day before: reminded today, the invoices could not be reminded again by hand.
        self.run_engine(DAY0 - timedelta(days=1))
        self.assertEqual(promised.collection_stage_id, self.stage["call"])

        # A stage set by hand, in the form or the kanban: dated and marked.
        planned.with_user(self.clerk).collection_stage_id = self.stage["negotiation"]
        self.assertTrue(planned.collection_stage_manual)
        self.assertEqual(planned.collection_stage_date, DAY0)

        # Send overdue reminder now: the reminder is in the history, with its message.
        before = self.reminders(self.customer)
        self.customer.with_user(self.clerk).action_collection_send_reminder()
        reminder = self.reminders(self.customer) - before
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.user_id, self.clerk)
        self.assertTrue(reminder.mail_message_id)

        # A call with a promise, one with a dispute.
        self.wizard(
            promised,
            "action_collection_log_call",
            outcome="promise_to_pay",
            promise_date=DAY0 + timedelta(days=5),
            promise_amount=1000.0,
        )
        self.assertEqual(self.events(self.customer, "promise").promise_state, "open")
        self.assertEqual(promised.collection_hold_until, DAY0 + timedelta(days=9))
        self.wizard(
            disputed,
            "action_collection_log_call",
            outcome="dispute",
            inbound=True,
            dispute_reason="Never delivered",
        )
        self.assertTrue(disputed.collection_disputed)
        self.assertTrue(self.events(self.customer, "dispute").mail_message_id)

        # A plan for a customer with a good history is active at once.
        self.customer.sudo().collection_payment_rating = "good"
        plan = (
            self.env["collection.payment.plan"]
            .with_user(self.clerk)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(planned.ids)],
                    "first_date": DAY0 + timedelta(days=1),
                }
            )
        )
        plan.action_confirm()
        self.assertEqual(plan.state, "active")
        self.assertEqual(planned.collection_plan_id, plan)

        # Exclude the customer, then resume.
        self.wizard(self.customer, "action_collection_exclude", reason="Bankruptcy filed")
        self.assertTrue(self.customer.collection_excluded)
        self.customer.with_user(self.clerk).action_collection_resume()
        self.assertFalse(self.customer.collection_excluded)

        # A written request to cease communication, and contact allowed again: both noted. The
        # open call is closed.
        self.assertTrue(self.collection_activities(self.customer))
        self.customer.with_user(self.clerk).action_collection_cease_communication()
        self.assertTrue(self.customer.collection_no_contact)
        self.assertFalse(self.collection_activities(self.customer))
        self.customer.with_user(self.clerk).action_collection_allow_communication()
        self.assertFalse(self.customer.collection_no_contact)
        notes = self.events(self.customer, "note").mapped("note")
        self.assertTrue(any("asked in writing to cease communication" in n for n in notes))
        self.assertTrue(any("allowed again" in n for n in notes))
