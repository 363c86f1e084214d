"""Finance charges: a draft invoice for late interest and fees, never twice for a period."""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import DAY0, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionFinanceCharges(CollectionCase):
    def _charge_settings(self, rate=10.0, fee=0.0):
        self.env.company.write(
            {
                "collection_late_interest_rate": rate,
                "collection_late_fee": fee,
                "collection_charge_account_id": self.company_data["default_account_revenue"].id,
            }
        )

    def _charge_invoice(self, day=DAY0):
        with freeze_time(day):
            action = self.customer.action_collection_finance_charges()
        return self.env["account.move"].browse(action["res_id"])

    def test_needs_settings(self):
        self._invoice(self.customer, 73)
        with (
            freeze_time(DAY0),
            self.assertRaisesRegex(UserError, "late interest rate or a late fee"),
        ):
            self.customer.action_collection_finance_charges()
        self.env.company.collection_late_fee = 40.0
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "product or income account"):
            self.customer.action_collection_finance_charges()

    def test_charges_interest_and_fee_once(self):
        self._charge_settings(fee=40.0)
        move = self._invoice(self.customer, 73, amount=3650.0)
        charge = self._charge_invoice()
        self.assertEqual(charge.state, "draft")
        self.assertEqual(charge.partner_id, self.customer)
        lines = charge.invoice_line_ids
        self.assertEqual(sorted(lines.mapped("price_unit")), [40.0, 73.0])
        self.assertEqual(lines.collection_charge_origin_id, move)
        self.assertEqual(charge.amount_total, 113.0)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "Nothing to charge"):
            self.customer.action_collection_finance_charges()
        second = self._charge_invoice(DAY0 + timedelta(days=10))
        # 3,650 x 10 % x 10 / 365 = 10.00; the fee was already charged.
        self.assertEqual(second.invoice_line_ids.mapped("price_unit"), [10.0])
        # A cancelled charge invoice frees its period again.
        second.button_cancel()
        self.assertEqual(
            self._charge_invoice(DAY0 + timedelta(days=10)).invoice_line_ids.mapped("price_unit"),
            [10.0],
        )

    def test_invoices_the_credits_pay_bear_no_charge(self):
        """A payment not matched yet pays the customer's oldest invoice, as in the reminders:
        it bears no charge; the newer one, still owed, does."""
        self._charge_settings(fee=40.0)
        self._invoice(self.customer, 73, amount=3650.0)
        newer = self._invoice(self.customer, 36, amount=3650.0)
        self._credit_note(self.customer, 3650.0)
        lines = self._charge_invoice().invoice_line_ids
        self.assertEqual(lines.collection_charge_origin_id, newer)
        # 3,650 x 10 % x 36 / 365 = 36.00, and the fee.
        self.assertEqual(sorted(lines.mapped("price_unit")), [36.0, 40.0])
        self._credit_note(self.customer, 3650.0)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "Nothing to charge"):
            self.customer.action_collection_finance_charges()

    def test_interest_runs_on_what_the_credits_leave_of_an_invoice(self):
        """A credit note not matched yet pays part of the invoice: interest runs on the rest
        only, in the reminders as on the charge invoice."""
        self._charge_settings(fee=40.0)
        move = self._invoice(self.customer, 73, amount=3650.0)
        self._credit_note(self.customer, 1460.0)
        self.run_engine()
        # (3,650 - 1,460) x 10 % x 73 / 365 = 43.80, and the fee.
        self.assertAlmostEqual(self.reminders(self.customer).finance_charge, 83.8)
        with freeze_time(DAY0 + timedelta(days=1)):
            move.action_collection_send_reminder()
        # A day later: 2,190 x 10 % x 74 / 365 = 44.40.
        self.assertAlmostEqual(self.reminders(self.customer)[0].finance_charge, 84.4)
        lines = self._charge_invoice().invoice_line_ids
        self.assertEqual(sorted(lines.mapped("price_unit")), [40.0, 43.8])

    def test_the_credits_pay_the_invoices_the_run_chases(self):
        """An older invoice on hold is not chased: a payment not matched yet pays the newer
        one, on the charge invoice as in the reminders. The held invoice bears its charge."""
        self._charge_settings(fee=40.0)
        held = self._invoice(self.customer, 73, amount=3650.0)
        held.collection_hold_until = DAY0 + timedelta(days=5)
        self._invoice(self.customer, 36, amount=3650.0)
        self._credit_note(self.customer, 3650.0)
        self.run_engine()
        self.assertFalse(self.reminders(self.customer))
        lines = self._charge_invoice().invoice_line_ids
        self.assertEqual(lines.collection_charge_origin_id, held)
        self.assertEqual(sorted(lines.mapped("price_unit")), [40.0, 73.0])

    def test_the_invoices_on_hold_take_what_credit_the_others_leave(self):
        """On hold while its credit note is being matched, an invoice the credit pays bears
        no charge: the customer owes nothing."""
        self._charge_settings(fee=40.0)
        held = self._invoice(self.customer, 73, amount=3650.0)
        held.collection_hold_until = DAY0 + timedelta(days=5)
        self._credit_note(self.customer, 3650.0)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "Nothing to charge"):
            self.customer.action_collection_finance_charges()

    def _consumer_and_business(self):
        """The customer, a consumer at 2 %, and a business at 10 % with a 40.00 fee, each with
        an invoice of 3,650 due 73 days ago. Returns the business."""
        self._charge_settings(fee=40.0)
        self.env.company.collection_consumer_interest_rate = 2.0
        self.customer.write({"is_company": False, "collection_is_consumer": True})
        self._invoice(self.customer, 73, amount=3650.0)
        business = self._customer("Deco Addict")
        self._invoice(business, 73, amount=3650.0)
        return business

    def test_consumers_bear_their_own_rate_and_no_fee(self):
        """The late payment laws give the commercial rate and the fixed fee to businesses: a
        consumer's invoice bears the consumers' rate, and no fee, in the reminder as on the
        charge invoice."""
        business = self._consumer_and_business()
        self.run_engine()
        # 3,650 x 2 % x 73 / 365 = 14.60; the business: 73.00 and the fee.
        self.assertEqual(self.reminders(self.customer).finance_charge, 14.6)
        self.assertEqual(self.reminders(business).finance_charge, 113.0)
        line = self._charge_invoice().invoice_line_ids
        self.assertEqual(line.price_unit, 14.6)
        self.assertIn("at 2.00% a year", line.name)

    def test_call_note_states_what_the_customer_bears(self):
        """The call note names the charge the customer bears: a consumer no fee; and the
        invoice its credits pay, listed, bears no charge."""
        business = self._consumer_and_business()
        self._invoice(business, 36, amount=3650.0)
        self._credit_note(business, 3650.0)
        self.run_engine()
        # 3,650 x 2 % x 73 / 365 = 14.60, and no fee.
        note = str(self.collection_activities(self.customer).note)
        self.assertIn("14.60", note)
        self.assertIn("(late interest)", note)
        # The credit note pays the older invoice: 3,650 x 10 % x 36 / 365 = 36.00, and the fee.
        note = str(self.collection_activities(business).note)
        self.assertIn("76.00", note)
        self.assertIn("(late interest and fees)", note)
        self.assertEqual(self.reminders(business).finance_charge, 76.0)

    def test_interest_on_the_installments_due_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self._charge_settings()
        self.customer.write(
            {
                "lang": "es_ES",
                "property_payment_term_id": self._split_terms(60).id,
            }
        )
        self._invoice(self.customer, 73, amount=7300.0)
        line = self._charge_invoice(DAY0 - timedelta(days=43)).invoice_line_ids
        # 3,650 due (the first half) x 10 % x 30 / 365 = 30.00: not on the half due in 30 days.
        self.assertEqual(line.price_unit, 30.0)
        self.assertIn("19/12/2025", line.name)
        self.assertIn("18/01/2026", line.name)
        self.assertNotIn("2025-12-19", line.name)

    def test_each_installment_bears_interest_from_its_own_due_date(self):
        self._charge_settings()
        self.customer.property_payment_term_id = self._split_terms(30)
        self._invoice(self.customer, 73, amount=7300.0)
        lines = self._charge_invoice().invoice_line_ids
        # 3,650 x 10 % x 73 / 365 = 73.00, and 3,650 x 10 % x 43 / 365 = 43.00: the second
        # half fell due 30 days after the first.
        self.assertEqual(lines.mapped("price_unit"), [73.0, 43.0])

    def test_charges_are_invoiced_in_the_company_currency(self):
        self._charge_settings(fee=40.0)
        euro = self.env.ref("base.EUR")
        euro.active = True
        self._invoice(self.customer, 73, amount=3650.0)
        # The first sales journal now, the default for new invoices.
        self.env["account.journal"].create(
            {
                "name": "Sales in euros",
                "code": "SEUR",
                "type": "sale",
                "currency_id": euro.id,
                "sequence": 0,
                "default_account_id": self.company_data["default_account_revenue"].id,
            }
        )
        charge = self._charge_invoice()
        self.assertEqual(charge.currency_id, self.env.company.currency_id)
        self.assertNotEqual(charge.journal_id.currency_id, euro)
        self.assertEqual(charge.amount_total, 113.0)

    def test_invoices_out_of_collection_bear_no_charge(self):
        self._charge_settings(fee=40.0)
        excluded = self._invoice(self.customer, 73)
        excluded.collection_excluded = True
        disputed = self._invoice(self.customer, 73)
        disputed.sudo().collection_disputed = True  # as a call logging a dispute does
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "Nothing to charge"):
            self.customer.action_collection_finance_charges()
        # On hold (a promise to pay), interest runs all the same.
        collected = self._invoice(self.customer, 73)
        collected.collection_hold_until = DAY0 + timedelta(days=5)
        self.assertEqual(
            self._charge_invoice().invoice_line_ids.collection_charge_origin_id, collected
        )

    def test_reminder_states_only_what_is_not_invoiced_yet(self):
        self._charge_settings(fee=40.0)
        self._invoice(self.customer, 73, amount=3650.0)
        charge = self._charge_invoice()
        self.assertEqual(charge.amount_total, 113.0)
        with freeze_time(DAY0):
            charge.action_post()
        self.run_engine(DAY0 + timedelta(days=10))
        reminder = self.reminders(self.customer)
        # The charge invoice, overdue too, bears no charge of its own, and the fee is
        # invoiced already: 10 days of interest since the charge, 3,650 x 10 % x 10 / 365.
        self.assertEqual(len(reminder.move_ids), 2)
        self.assertIn(charge, reminder.move_ids)
        self.assertEqual(reminder.finance_charge, 10.0)

    def test_send_now_refuses_invoices_collection_leaves_alone(self):
        """No reminder by hand either, nor its charges, about a disputed invoice (collection
        waits for the dispute's resolution) or one on hold; the hold over, it may be sent."""
        self._charge_settings(fee=40.0)
        disputed = self._invoice(self.customer, 20)
        disputed.sudo().collection_disputed = True
        held = self._invoice(self.customer, 25)
        held.collection_hold_until = DAY0 + timedelta(days=5)
        for move in (disputed, held):
            with (
                freeze_time(DAY0),
                self.assertRaisesRegex(UserError, "disputed, paid by a payment plan or on hold"),
            ):
                move.action_collection_send_reminder()
        self.assertFalse(self.reminders(self.customer))
        with freeze_time(DAY0 + timedelta(days=5)):
            held.action_collection_send_reminder()
        self.assertEqual(self.reminders(self.customer).move_ids, held)
