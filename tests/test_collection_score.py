"""The payment score from a prepared history, with exact numbers."""

from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DAY0, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionScore(CollectionCase):
    def test_no_history(self):
        self.assertEqual(self.customer.collection_payment_rating, "none")
        with freeze_time(DAY0):
            self.customer.action_collection_recompute_score()
        self.assertEqual(self.customer.collection_payment_rating, "none")
        # An employee outside accounting may read the customer, not recompute its score.
        storekeeper = new_test_user(self.env, "storekeeper", groups="base.group_user")
        with self.assertRaisesRegex(AccessError, "Only collection users"):
            self.customer.with_user(storekeeper).action_collection_recompute_score()

    def test_score_on_a_prepared_history(self):
        on_time = self._invoice(self.customer, 100, amount=3000.0)
        late = self._invoice(self.customer, 80, amount=1000.0)
        with freeze_time(DAY0):
            self._pay(on_time, day=DAY0 - timedelta(days=100))
            self._pay(late, day=DAY0 - timedelta(days=80 - 14))
        # On time: 3,000 of 4,000 = 75 %; days late: 14 x 1,000 / 4,000 = 3.5;
        # score = 75 - 0.5 x 3.5 = 73.25 -> 73, good.
        self.assertEqual(self.customer.collection_on_time_ratio, 75.0)
        self.assertEqual(self.customer.collection_avg_days_late, 3.5)
        self.assertEqual(self.customer.collection_payment_score, 73)
        self.assertEqual(self.customer.collection_payment_rating, "good")
        self.assertEqual(on_time.collection_paid_date, DAY0 - timedelta(days=100))
        self.assertEqual(late.collection_paid_date, DAY0 - timedelta(days=66))

        # An unpaid invoice 20 days overdue and a broken promise on it.
        unpaid = self._invoice(self.customer, 20, amount=1000.0)
        with freeze_time(DAY0 - timedelta(days=10)):
            action = unpaid.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            wizard.write(
                {
                    "outcome": "promise_to_pay",
                    "promise_date": DAY0 - timedelta(days=8),
                    "promise_amount": 1000.0,
                }
            )
            wizard.action_confirm()
        self.run_engine()
        # On time: 3,000 of 5,000 = 60 %; days late: (14 x 1,000 + 20 x 1,000) / 5,000 = 6.8;
        # score = 60 - 3.4 - 10 = 46.6 -> 47, fair.
        self.assertEqual(self.customer.collection_broken_promises, 1)
        self.assertEqual(self.customer.collection_on_time_ratio, 60.0)
        self.assertEqual(self.customer.collection_avg_days_late, 6.8)
        self.assertEqual(self.customer.collection_payment_score, 47)
        self.assertEqual(self.customer.collection_payment_rating, "fair")

    def test_a_payment_taken_back_makes_the_invoice_late_again(self):
        """A cheque paid an invoice on its due date, 100 days ago, and bounced: the invoice
        is unpaid, 100 days late, as soon as the payment is unmatched."""
        move = self._invoice(self.customer, 100, amount=1000.0)
        with freeze_time(DAY0):
            payment = self._pay(move, day=DAY0 - timedelta(days=100))
        self.assertEqual(self.customer.collection_payment_score, 100)
        with freeze_time(DAY0):
            payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(move.payment_state, "not_paid")
        self.assertFalse(move.collection_paid_date)
        # Never on time, 100 days late: 0 - 50 -> 0, poor.
        self.assertEqual(self.customer.collection_on_time_ratio, 0.0)
        self.assertEqual(self.customer.collection_avg_days_late, 100.0)
        self.assertEqual(self.customer.collection_payment_rating, "poor")

    def test_a_late_credit_note_does_not_make_a_paid_invoice_late(self):
        """The customer paid 900 on time and rightly disputed 100, credited 45 days later:
        the invoice was paid on time."""
        move = self._invoice(self.customer, 100, amount=1000.0)
        with freeze_time(DAY0):
            self._pay(move, amount=900.0, day=DAY0 - timedelta(days=100))
            refund = self.init_invoice(
                "out_refund",
                partner=self.customer,
                invoice_date=DAY0 - timedelta(days=55),
                amounts=[100.0],
                taxes=[],
                post=True,
            )
            (move | refund).line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).reconcile()
            self.customer.action_collection_recompute_score()
        self.assertEqual(move.payment_state, "paid")
        self.assertEqual(move.collection_paid_date, DAY0 - timedelta(days=100))
        self.assertEqual(self.customer.collection_on_time_ratio, 100.0)
        self.assertEqual(self.customer.collection_payment_score, 100)

    def test_an_exchange_difference_does_not_date_a_paid_invoice(self):
        """A euro invoice paid 900 on time, and credited 100 45 days later at another rate:
        the exchange difference Odoo books then does not make the invoice late either."""
        euro = self.env.ref("base.EUR")
        euro.active = True
        for days, rate in ((400, 0.8), (60, 0.9)):
            self.env["res.currency.rate"].create(
                {
                    "currency_id": euro.id,
                    "rate": rate,
                    "name": DAY0 - timedelta(days=days),
                    "company_id": self.env.company.id,
                }
            )
        in_euro = {"partner": self.customer, "taxes": [], "post": True, "currency": euro}
        move = self.init_invoice(
            "out_invoice", invoice_date=DAY0 - timedelta(days=100), amounts=[1000.0], **in_euro
        )
        refund = self.init_invoice(
            "out_refund", invoice_date=DAY0 - timedelta(days=55), amounts=[100.0], **in_euro
        )
        with freeze_time(DAY0):
            self._pay(move, amount=900.0, day=DAY0 - timedelta(days=100))
            (move | refund).line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).reconcile()
            self.customer.action_collection_recompute_score()
        self.assertEqual(move.payment_state, "paid")
        self.assertTrue(move.line_ids.matched_credit_ids.exchange_move_id)
        self.assertEqual(self.customer.collection_on_time_ratio, 100.0)

    def test_an_invoice_paid_in_two_payments_is_paid_on_the_last(self):
        """400 paid on the due date, the other 600 twenty days later: paid late, 20 days."""
        move = self._invoice(self.customer, 100, amount=1000.0)
        with freeze_time(DAY0):
            self._pay(move, amount=400.0, day=DAY0 - timedelta(days=100))
            self.assertFalse(move.collection_paid_date)
            self._pay(move, amount=600.0, day=DAY0 - timedelta(days=80))
        self.assertEqual(move.payment_state, "paid")
        self.assertEqual(move.collection_paid_date, DAY0 - timedelta(days=80))
        self.assertEqual(self.customer.collection_on_time_ratio, 0.0)
        self.assertEqual(self.customer.collection_avg_days_late, 20.0)

    def test_payment_dates_stored_on_install(self):
        """Installed on a book with a past, the addon dates its paid invoices at once."""
        paid = self._invoice(self.customer, 100, amount=1000.0)
        unpaid = self._invoice(self.customer, 50, amount=500.0)
        with freeze_time(DAY0):
            self._pay(paid, day=DAY0 - timedelta(days=90))
        self.env.cr.execute(
            "UPDATE account_move SET collection_paid_date = NULL WHERE id IN %s",
            [(paid | unpaid)._ids],
        )
        self.env["account.move"]._collection_init_paid_dates()
        self.assertEqual(paid.collection_paid_date, DAY0 - timedelta(days=90))
        self.assertFalse(unpaid.collection_paid_date)

    def test_chronic_late_payer_is_poor(self):
        for days in (200, 150, 100):
            move = self._invoice(self.customer, days, amount=500.0)
            with freeze_time(DAY0):
                self._pay(move, day=DAY0 - timedelta(days=days - 60))
        # Never on time, 60 days late on average: 0 - 30 -> 0, poor.
        self.assertEqual(self.customer.collection_payment_score, 0)
        self.assertEqual(self.customer.collection_payment_rating, "poor")
