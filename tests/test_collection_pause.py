"""Exclusion, hold, resume and the manual reminder button."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, tagged

from .common import DAY0, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionPause(CollectionCase):
    def _pause(self, records, method, **values):
        action = getattr(records, method)()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write(values)
        return wizard.action_confirm()

    def test_excluded_invoice_is_left_alone(self):
        move = self._invoice(self.customer, 10)
        with self.assertRaisesRegex(UserError, "Say why"):
            self._pause(move, "action_collection_exclude", reason="  ")
        self.assertFalse(move.collection_excluded)
        self._pause(move, "action_collection_exclude", reason="Goods returned, credit note coming")
        self.assertTrue(move.collection_excluded)
        self.assertEqual(move.collection_exclusion_reason, "Goods returned, credit note coming")
        self.run_engine()
        self.assertFalse(self.events(self.customer))
        move.action_collection_resume()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_hold_until_a_date(self):
        move = self._invoice(self.customer, 10)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "after today"):
            self._pause(move, "action_collection_hold", hold_until=DAY0)
        with freeze_time(DAY0):
            self._pause(move, "action_collection_hold", hold_until=DAY0 + timedelta(days=7))
        self.run_engine()
        self.run_engine(DAY0 + timedelta(days=6))
        self.assertFalse(self.reminders(self.customer))
        self.run_engine(DAY0 + timedelta(days=7))
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_excluded_customer_is_left_alone(self):
        self._invoice(self.customer, 50)
        self._pause(self.customer, "action_collection_exclude", reason="Insolvency proceedings")
        self.assertTrue(self.customer.collection_excluded)
        self.run_engine()
        self.assertFalse(self.events(self.customer))
        self.assertFalse(self.collection_activities(self.customer))
        with self.assertRaisesRegex(UserError, "excluded from collection"):
            self.customer.action_collection_send_reminder()

    def test_send_reminder_now(self):
        move = self._invoice(self.customer, 10)
        self.run_engine()
        self.assertEqual(move.collection_reminder_count, 1)
        with freeze_time(DAY0 + timedelta(days=3)):
            result = move.action_collection_send_reminder()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(len(self.reminders(self.customer)), 2)
        self.assertEqual(move.collection_reminder_count, 2)
        self.assertEqual(move.collection_last_reminder_date, DAY0 + timedelta(days=3))
        # The daily run counts 30 days from that reminder.
        self.run_engine(DAY0 + timedelta(days=31))
        self.assertEqual(len(self.reminders(self.customer)), 2)
        self.run_engine(DAY0 + timedelta(days=33))
        self.assertEqual(len(self.reminders(self.customer)), 3)

    def test_send_reminder_now_needs_an_overdue_invoice(self):
        move = self._invoice(self.customer, -5)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "no overdue invoice"):
            move.action_collection_send_reminder()
        refund = self.init_invoice(
            "out_refund",
            partner=self.customer,
            invoice_date=DAY0,
            amounts=[10.0],
            taxes=[],
            post=True,
        )
        with self.assertRaisesRegex(UserError, "not a customer invoice"):
            refund.action_collection_send_reminder()

    def test_partner_send_reminder_now_covers_all_overdue_invoices(self):
        moves = self._invoice(self.customer, 10) | self._invoice(self.customer, 40)
        self._invoice(self.customer, -3)
        with freeze_time(DAY0):
            self.customer.action_collection_send_reminder()
        self.assertEqual(self.reminders(self.customer).move_ids, moves)

    def test_only_collection_users_send_reminders_now(self):
        move = self._invoice(self.customer, 10)
        auditor = self.env["res.users"].create(
            {
                "name": "Auditor",
                "login": "auditor",
                "groups_id": [(6, 0, self.env.ref("account.group_account_readonly").ids)],
            }
        )
        with self.assertRaises(AccessError):
            move.with_user(auditor).action_collection_send_reminder()
        with self.assertRaises(AccessError):
            self.customer.with_user(auditor).action_collection_send_reminder()
        self.assertFalse(self.reminders(self.customer))

    def test_exclude_wizard_form(self):
        move = self._invoice(self.customer, 10)
        action = move.action_collection_exclude()
        with Form(self.env[action["res_model"]].browse(action["res_id"])) as wizard:
            wizard.reason = "Disputed by phone"
        self.assertEqual(action["target"], "new")
