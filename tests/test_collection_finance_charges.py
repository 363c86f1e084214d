"""Finance charges: a draft invoice for late interest and fees, never twice for a period."""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import DAY0, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionFinanceCharges(CollectionCase):
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
        company = self.env.company
        company.write(
            {
                "collection_late_interest_rate": 10.0,
                "collection_late_fee": 40.0,
                "collection_charge_account_id": self.company_data["default_account_revenue"].id,
            }
        )
        move = self._invoice(self.customer, 73, amount=3650.0)
        with freeze_time(DAY0):
            action = self.customer.action_collection_finance_charges()
        charge = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(charge.state, "draft")
        self.assertEqual(charge.partner_id, self.customer)
        lines = charge.invoice_line_ids
        self.assertEqual(sorted(lines.mapped("price_unit")), [40.0, 73.0])
        self.assertEqual(lines.collection_charge_origin_id, move)
        self.assertEqual(charge.amount_total, 113.0)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "Nothing to charge"):
            self.customer.action_collection_finance_charges()
        with freeze_time(DAY0 + timedelta(days=10)):
            action = self.customer.action_collection_finance_charges()
        second = self.env["account.move"].browse(action["res_id"])
        # 3,650 x 10 % x 10 / 365 = 10.00; the fee was already charged.
        self.assertEqual(second.invoice_line_ids.mapped("price_unit"), [10.0])
        # A cancelled charge invoice frees its period again.
        second.button_cancel()
        with freeze_time(DAY0 + timedelta(days=10)):
            action = self.customer.action_collection_finance_charges()
        self.assertEqual(
            self.env["account.move"].browse(action["res_id"]).invoice_line_ids.mapped("price_unit"),
            [10.0],
        )

    def test_interest_on_the_installments_due_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.env.company.write(
            {
                "collection_late_interest_rate": 10.0,
                "collection_charge_account_id": self.company_data["default_account_revenue"].id,
            }
        )
        self.customer.write(
            {
                "lang": "es_ES",
                "property_payment_term_id": self.env["account.payment.term"]
                .create(
                    {
                        "name": "Half now, half in 60 days",
                        "line_ids": [
                            (0, 0, {"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                            (0, 0, {"value": "percent", "value_amount": 50.0, "nb_days": 60}),
                        ],
                    }
                )
                .id,
            }
        )
        self._invoice(self.customer, 73, amount=7300.0)
        with freeze_time(DAY0 - timedelta(days=43)):
            action = self.customer.action_collection_finance_charges()
        line = self.env["account.move"].browse(action["res_id"]).invoice_line_ids
        # 3,650 due (the first half) x 10 % x 30 / 365 = 30.00: not on the half due in 30 days.
        self.assertEqual(line.price_unit, 30.0)
        self.assertIn("19/12/2025", line.name)
        self.assertIn("18/01/2026", line.name)
        self.assertNotIn("2025-12-19", line.name)
