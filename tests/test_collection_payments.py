"""Payments and credits: what is claimed shrinks with them, and paid invoices leave the ladder."""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import DAY0, MODULE, CollectionCase

SETTLEMENT_LOGGER = f"odoo.addons.{MODULE}.models.collection_settlement"


@tagged("standard", "post_install", "-at_install")
class TestCollectionPayments(CollectionCase):
    def assertClaim(self, reminder, overdue, credit, claimed, *in_body):
        """The reminder's amounts, and texts its email shows."""
        self.assertEqual(
            (reminder.amount_overdue, reminder.amount_credit, reminder.amount_claimed),
            (overdue, credit, claimed),
        )
        body = str(reminder.mail_message_id.body)
        for text in in_body:
            self.assertIn(text, body)

    def test_partial_payment_and_credit_note_reduce_the_claim(self):
        move = self._invoice(self.customer, 10)
        self._pay(move, amount=300.0, day=DAY0 - timedelta(days=5))
        self._credit_note(self.customer, 200.0)
        self.run_engine()
        self.assertClaim(self.reminders(self.customer), 700.0, 200.0, 500.0, "700.00", "500.00")

    def test_unreconciled_payment_reduces_the_claim(self):
        self._invoice(self.customer, 10)
        self._unmatched_payment("inbound", 400.0, DAY0 - timedelta(days=2))
        self.run_engine()
        self.assertEqual(self.reminders(self.customer).amount_claimed, 600.0)

    def test_credit_refunded_to_the_customer_reduces_nothing(self):
        self._invoice(self.customer, 40)
        self._credit_note(self.customer, 1000.0)
        # The credit note's amount is paid back to the customer, the two not matched; a refund
        # dated later offsets nothing until its day.
        self._unmatched_payment("outbound", 1000.0, DAY0 + timedelta(days=3))
        self.run_engine()
        self.assertFalse(self.reminders(self.customer))
        with freeze_time(DAY0):
            self.assertEqual(self.customer.collection_credit_amount, 1000.0)
        self._unmatched_payment("outbound", 1000.0, DAY0 - timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertClaim(self.reminders(self.customer), 1000.0, 0.0, 1000.0)
        with freeze_time(DAY0 + timedelta(days=1)):
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.collection_credit_amount, 0.0)

    def test_credit_refunded_by_a_journal_entry_reduces_nothing(self):
        """A refund paid out by a journal entry written by hand: its receivable line has no
        due date, and offsets the credit note from the entry's date."""
        self._invoice(self.customer, 40)
        self._credit_note(self.customer, 1000.0)
        refund = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": DAY0 - timedelta(days=1),
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.company_data["default_account_receivable"].id,
                            "partner_id": self.customer.id,
                            "debit": 1000.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_journal_bank"
                            ].default_account_id.id,
                            "credit": 1000.0,
                        }
                    ),
                ],
            }
        )
        refund.action_post()
        self.assertFalse(refund.line_ids.filtered("debit").date_maturity)
        self.run_engine()
        self.assertClaim(self.reminders(self.customer), 1000.0, 0.0, 1000.0)
        with freeze_time(DAY0):
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.collection_credit_amount, 0.0)

    def test_customer_in_credit_is_not_chased(self):
        move = self._invoice(self.customer, 40)
        self._credit_note(self.customer, 1000.0)
        self.run_engine()
        self.assertFalse(self.events(self.customer))
        # The customer's form says why: its credits cover what is overdue.
        with freeze_time(DAY0):
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.collection_overdue_amount, 1000.0)
            self.assertEqual(self.customer.collection_credit_amount, 1000.0)
            self.assertTrue(self.customer.collection_credits_cover)
        self.assertFalse(move.collection_stage_id)
        self.assertFalse(self.collection_activities(self.customer))

    def test_the_form_weighs_credits_against_what_the_run_chases(self):
        """An invoice on hold is overdue, but not chased: credits that pay the others leave
        the customer alone, and its form says so."""
        self._invoice(self.customer, 40)
        held = self._invoice(self.customer, 50, amount=500.0)
        held.collection_hold_until = DAY0 + timedelta(days=10)
        self._credit_note(self.customer, 1000.0)
        self.run_engine()
        self.assertFalse(self.events(self.customer))
        with freeze_time(DAY0):
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.collection_overdue_amount, 1500.0)
            self.assertTrue(self.customer.collection_credits_cover)
        # Once the hold ends, the credits no longer cover what is chased.
        with freeze_time(DAY0 + timedelta(days=10)):
            self.customer.invalidate_recordset()
            self.assertFalse(self.customer.collection_credits_cover)

    def test_installments_only_claim_what_is_due(self):
        self.customer.property_payment_term_id = self._split_terms(60)
        move = self._invoice(self.customer, 35)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        reminder = self.reminders(self.customer)
        self.assertEqual(reminder.amount_overdue, 500.0)
        # The email's line of the invoice claims the installment due, not the whole balance.
        body = str(reminder.mail_message_id.body)
        self.assertIn("500.00", body)
        self.assertNotIn("1,000.00", body)
        self.assertEqual(self.events(self.customer, "call").amount_overdue, 500.0)

    def test_send_now_deducts_credits_and_states_the_finance_charge(self):
        self.env.company.collection_late_interest_rate = 10.0
        self.env.company.collection_late_fee = 40.0
        self._invoice(self.customer, 73, amount=3650.0)
        self._credit_note(self.customer, 650.0)
        with freeze_time(DAY0):
            self.customer.action_collection_send_reminder()
        reminder = self.reminders(self.customer)
        self.assertClaim(reminder, 3650.0, 650.0, 3000.0, "3,000.00", "100.00")
        # Interest on what the credits leave, 3,000 × 10 % × 73 / 365 = 60.00, plus the 40.00 fee
        self.assertEqual(reminder.finance_charge, 100.0)

    def _euro(self):
        """The euro, at 0.80 to the dollar (the company currency)."""
        euro = self.env.ref("base.EUR")
        euro.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": euro.id, "rate": 0.8, "name": DAY0 - timedelta(days=400)}
        )
        return euro

    def _invoiced_in_euro_and_dollars(self):
        """A euro invoice 40 days overdue, a euro credit note and a dollar invoice (the company
        currency) 10 days overdue; the engine run."""
        euro = self._euro()
        in_euro = {"partner": self.customer, "taxes": [], "post": True, "currency": euro}
        self.init_invoice(
            "out_invoice", invoice_date=DAY0 - timedelta(days=40), amounts=[1000.0], **in_euro
        )
        self.init_invoice("out_refund", invoice_date=DAY0, amounts=[200.0], **in_euro)
        self._invoice(self.customer, 10, amount=300.0)
        self.run_engine()

    def test_foreign_currency_invoices_are_totalled_in_their_currency(self):
        self._invoiced_in_euro_and_dollars()
        reminder = self.reminders(self.customer)
        # In the company currency: 1,250.00 + 300.00 overdue, less the 250.00 credit.
        self.assertClaim(reminder, 1550.0, 250.0, 1300.0)
        body = str(reminder.mail_message_id.body)
        # The customer is told what it owes in each currency, its euro credit against its
        # euro invoice, and never a sum of both currencies.
        for text in ("1,000.00&nbsp;€", "$&nbsp;300.00", "200.00&nbsp;€", "800.00&nbsp;€"):
            self.assertIn(text, body)
        self.assertEqual(body.count("Total overdue"), 2)
        for text in ("1,550.00", "1,300.00", "250.00"):
            self.assertNotIn(text, body)

    def test_call_note_states_amounts_in_the_invoices_currency(self):
        self._invoiced_in_euro_and_dollars()
        note = str(self.collection_activities(self.customer).note)
        # What the customer was emailed: each invoice and each total in its own currency.
        for text in (
            "1,000.00\xa0€, 40 days overdue",
            "$\xa0300.00, 10 days overdue",
            "Total overdue: <strong>1,000.00\xa0€</strong>, less credits of 200.00\xa0€: ask "
            "for <strong>800.00\xa0€</strong>.",
            "Total overdue: <strong>$\xa0300.00</strong>",
        ):
            self.assertIn(text, note)
        self.assertNotIn("1,250.00", note)

    def test_a_foreign_credit_is_deducted_once(self):
        """A euro credit the company applies to an older dollar invoice is not deducted again
        from the euro invoice that falls due later."""
        euro = self._euro()
        self._invoice(self.customer, 40, amount=300.0)
        in_euro = {"partner": self.customer, "taxes": [], "post": True, "currency": euro}
        self.init_invoice("out_refund", invoice_date=DAY0, amounts=[200.0], **in_euro)
        self.init_invoice(
            "out_invoice", invoice_date=DAY0 + timedelta(days=5), amounts=[1000.0], **in_euro
        )
        self.run_engine()
        # The €200 credit is worth $250.00: it pays that much of the dollar invoice.
        self.assertClaim(self.reminders(self.customer), 300.0, 250.0, 50.0, "$&nbsp;50.00")
        self.run_engine(DAY0 + timedelta(days=10))
        later = self.reminders(self.customer)[0]
        self.assertClaim(later, 1250.0, 0.0, 1250.0, "1,000.00&nbsp;€")
        self.assertNotIn("800.00", str(later.mail_message_id.body))

    def test_a_credit_pays_invoices_in_its_currency_at_its_own_value(self):
        euro = self._euro()
        in_euro = {"partner": self.customer, "taxes": [], "post": True, "currency": euro}
        self.init_invoice(
            "out_invoice", invoice_date=DAY0 - timedelta(days=40), amounts=[1000.0], **in_euro
        )
        # The euro has risen since: the credit note's €200 are worth $222.22.
        self.env["res.currency.rate"].create(
            {"currency_id": euro.id, "rate": 0.9, "name": DAY0 - timedelta(days=10)}
        )
        self.init_invoice("out_refund", invoice_date=DAY0, amounts=[200.0], **in_euro)
        self.run_engine()
        # Matched in Odoo, the €200 pay €200 of the invoice: $250.00 at the invoice's rate.
        self.assertClaim(
            self.reminders(self.customer), 1250.0, 250.0, 1000.0, "200.00&nbsp;€", "800.00&nbsp;€"
        )
        # €800 more pay the rest, though the €1,000 of credits are worth less than the invoice
        # in dollars: nothing is left to claim.
        self.init_invoice("out_refund", invoice_date=DAY0, amounts=[800.0], **in_euro)
        self.run_engine(DAY0 + timedelta(days=30))
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_paid_invoice_leaves_the_ladder(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.assertEqual(len(self.collection_activities(self.customer)), 1)
        self._pay(move, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertFalse(move.collection_stage_id)
        self.assertFalse(self.customer.collection_stage_id)
        paid = self.events(self.customer, "paid")
        self.assertEqual(paid.move_ids, move)
        self.assertFalse(self.collection_activities(self.customer))
        done = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(any("Nothing to collect for now" in str(m.body) for m in done))
        # A customer with nothing left is not reminded again.
        self.run_engine(DAY0 + timedelta(days=40))
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_paid_invoice_leaves_the_ladder_as_the_payment_is_matched(self):
        """Not at the next daily run: nobody is called meanwhile about what is paid."""
        late = self._invoice(self.customer, 45)
        recent = self._invoice(self.customer, 10)
        self.run_engine()
        self.assertEqual(late.collection_stage_id, self.stage["call"])
        self.assertEqual(self.customer.collection_stage_id, self.stage["call"])
        self.assertEqual(len(self.collection_activities(self.customer)), 1)
        day = DAY0 + timedelta(days=1)
        with freeze_time(day):
            self._pay(late, day=day)
        # Once the transaction is about to be committed: the reconciliation is complete then.
        self.assertEqual(late.collection_stage_id, self.stage["call"])
        self.commit_point()
        self.assertFalse(late.collection_stage_id)
        self.assertFalse(late.collection_next_action_date)
        self.assertEqual(self.events(self.customer, "paid").move_ids, late)
        self.assertEqual(self.events(self.customer, "paid").date, day)
        # What is left is on the first stage: so is the customer, and the call is closed.
        self.assertEqual(recent.collection_stage_id, self.stage["reminder"])
        self.assertEqual(self.customer.collection_stage_id, self.stage["reminder"])
        self.assertFalse(self.collection_activities(self.customer))
        # A payment of part of an invoice leaves it where it is.
        with freeze_time(day):
            self._pay(recent, amount=400.0, day=day)
        self.commit_point()
        self.assertEqual(recent.collection_stage_id, self.stage["reminder"])
        self.assertEqual(len(self.events(self.customer, "paid")), 1)
        with freeze_time(day):
            self._pay(recent, day=day)
        self.commit_point()
        self.assertFalse(recent.collection_stage_id)
        self.assertFalse(self.customer.collection_stage_id)
        self.assertEqual(self.events(self.customer, "paid").move_ids, late | recent)
        # The daily run finds nothing more to do.
        self.run_engine(day)
        self.assertEqual(len(self.events(self.customer, "paid")), 2)
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_a_payment_before_the_days_run_keeps_the_call_the_run_keeps(self):
        """The invoice left reached the call stage since the last run: the customer stays on
        it, and its call stays open, as the day's run would keep it."""
        paid = self._invoice(self.customer, 45)
        left = self._invoice(self.customer, 29)
        self.run_engine()
        self.assertEqual(left.collection_stage_id, self.stage["reminder"])
        call = self.collection_activities(self.customer)
        self.assertEqual(call.collection_stage_id, self.stage["call"])
        day = DAY0 + timedelta(days=1)
        with freeze_time(day):
            self._pay(paid, day=day)
        self.commit_point()
        self.assertFalse(paid.collection_stage_id)
        # Moved on by the day's run, not by the payment.
        self.assertEqual(left.collection_stage_id, self.stage["reminder"])
        self.assertEqual(self.customer.collection_stage_id, self.stage["call"])
        self.assertEqual(self.collection_activities(self.customer), call)
        self.run_engine(day)
        self.assertEqual(left.collection_stage_id, self.stage["call"])
        self.assertEqual(self.collection_activities(self.customer), call)

    def test_a_payment_stands_when_taking_its_invoice_off_the_ladder_fails(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        Engine = type(self.env["collection.engine"])

        def failing(engine, *args, **kwargs):
            raise ValueError("no ladder today")

        with patch.object(Engine, "_collection_release_paid", failing):
            self._pay(move, day=DAY0)
            with self.assertLogs(SETTLEMENT_LOGGER, "ERROR") as logs:
                self.commit_point()
        self.assertIn("the daily run does it", logs.output[0])
        self.assertEqual(move.payment_state, "paid")
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(move.collection_stage_id)
        self.assertEqual(self.events(self.customer, "paid").move_ids, move)

    def test_invoice_credited_in_full_leaves_the_ladder_as_it_is_credited(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        with freeze_time(DAY0):
            move._reverse_moves(cancel=True)
        self.commit_point()
        self.assertFalse(move.collection_stage_id)
        self.assertFalse(self.customer.collection_stage_id)
        self.assertFalse(self.collection_activities(self.customer))
        self.assertIn("Credited in full", self.events(self.customer, "note").note)

    def test_invoice_whose_late_installments_are_paid_leaves_the_ladder(self):
        """Its next installment, once past due, is chased from the first stage, as a new
        debt: not with the firmer stage's email and a call on its first day."""
        self.customer.property_payment_term_id = self._split_terms(60)
        move = self._invoice(self.customer, 35)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.assertEqual(len(self.collection_activities(self.customer)), 1)
        # Part of the late installment paid: still on Call.
        self._pay(move, amount=200.0, day=DAY0)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self._pay(move, amount=300.0, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertFalse(move.collection_stage_id)
        self.assertFalse(move.collection_next_action_date)
        paid = self.events(self.customer, "paid")
        self.assertEqual(paid.move_ids, move)
        self.assertIn("installments past due", paid.note)
        self.assertFalse(self.collection_activities(self.customer))
        # The second half falls due on day 25; the invoice got a reminder on day 0, so the
        # next one is on day 30, with the first stage's email.
        self.run_engine(DAY0 + timedelta(days=26))
        self.assertEqual(move.collection_stage_id, self.stage["reminder"])
        self.assertFalse(self.collection_activities(self.customer))
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=30))
        self.run_engine(DAY0 + timedelta(days=30))
        self.assertEqual(self.reminders(self.customer)[0].date, DAY0 + timedelta(days=30))
        self.assertEqual(self.reminders(self.customer)[0].stage_id, self.stage["reminder"])
        self.assertFalse(self.collection_activities(self.customer))

    def test_partly_paid_invoice_not_due_yet_keeps_a_stage_set_by_hand(self):
        move = self._invoice(self.customer, -10)
        self._pay(move, amount=300.0, day=DAY0)
        with freeze_time(DAY0):
            move.collection_stage_id = self.stage["call"]
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.assertFalse(self.events(self.customer, "paid"))

    def test_invoice_credited_in_full_leaves_the_ladder_unpaid(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        move._reverse_moves(cancel=True)
        self.assertEqual(move.payment_state, "reversed")
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(move.collection_stage_id)
        self.assertFalse(self.events(self.customer, "paid"), "credited, not paid")
        note = self.events(self.customer, "note").filtered(lambda e: move in e.move_ids)
        self.assertIn("Credited in full", note.note)

    def test_paid_invoice_leaves_the_ladder_after_its_contact_moved(self):
        """An invoice made out to a contact of the customer, who has since moved to another
        company: paid, it leaves its customer's ladder all the same."""
        john = self.env["res.partner"].create({"name": "John", "parent_id": self.customer.id})
        move = self._invoice(john, 45)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        john.parent_id = self._customer("Deco Addict")
        self._pay(move, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertFalse(move.collection_stage_id)
        self.assertEqual(self.events(self.customer, "paid").move_ids, move)
        self.assertFalse(self.customer.collection_stage_id)

    def test_cancelled_invoice_leaves_the_ladder_unpaid(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        move.button_draft()
        move.button_cancel()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(move.collection_stage_id)
        self.assertFalse(self.events(self.customer, "paid"))
        note = self.events(self.customer, "note")
        self.assertEqual(note.move_ids, move)
        self.assertIn("Cancelled", note.note)
        self.assertFalse(self.collection_activities(self.customer))

    def test_activity_stays_while_other_invoices_are_overdue(self):
        first = self._invoice(self.customer, 45)
        self._invoice(self.customer, 50)
        self.run_engine()
        self._pay(first, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertFalse(first.collection_stage_id)
        self.assertEqual(len(self.collection_activities(self.customer)), 1)
        self.assertEqual(self.customer.collection_stage_id, self.stage["call"])

    def test_activity_closes_when_the_invoices_on_its_stage_are_paid(self):
        called = self._invoice(self.customer, 45)
        self._invoice(self.customer, 10)
        self.run_engine()
        self.assertEqual(len(self.collection_activities(self.customer)), 1)
        self._pay(called, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(self.customer.collection_stage_id, self.stage["reminder"])
        self.assertFalse(self.collection_activities(self.customer))
        done = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(any("left to chase on this stage" in str(m.body) for m in done))

    def test_credits_pay_the_oldest_invoices_first(self):
        self._invoice(self.customer, 10)
        self._credit_note(self.customer, 300.0)
        self.run_engine()
        self.assertClaim(self.reminders(self.customer), 1000.0, 300.0, 700.0)
        # An invoice falling due later is claimed in full: the credit went to the older one.
        newer = self._invoice(self.customer, -4, amount=200.0)
        self.run_engine(DAY0 + timedelta(days=5))
        reminder = self.reminders(self.customer).sorted("id")[-1]
        self.assertEqual(reminder.move_ids, newer)
        self.assertClaim(reminder, 200.0, 0.0, 200.0, "200.00")
        with freeze_time(DAY0 + timedelta(days=6)):
            newer.action_collection_send_reminder()
        self.assertClaim(self.reminders(self.customer).sorted("id")[-1], 200.0, 0.0, 200.0)

    def test_send_now_claims_nothing_the_credits_cover(self):
        older = self._invoice(self.customer, 40, amount=500.0)
        newer = self._invoice(self.customer, 10, amount=500.0)
        self._credit_note(self.customer, 600.0)
        # The credits pay the older invoice first: the newer one is still owed 400. Only the
        # newer one's form offers Send now.
        with freeze_time(DAY0):
            self.assertFalse(self._shows_send_now(older))
            self.assertTrue(self._shows_send_now(newer))
            newer.action_collection_send_reminder()
        self.assertClaim(self.reminders(self.customer), 500.0, 100.0, 400.0)
        with freeze_time(DAY0), self.assertRaisesRegex(UserError, "cover the invoices to remind"):
            older.action_collection_send_reminder()
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_invoice_the_credits_pay_is_left_out_of_the_reminder(self):
        """Two invoices due for a reminder the same day, the older one paid by a credit note
        not matched yet: the reminder is of the newer one alone, the older one does not count
        as reminded, nor climbs the ladder: the customer is at the newer one's stage."""
        older = self._invoice(self.customer, 40, amount=500.0)
        newer = self._invoice(self.customer, 10, amount=300.0)
        self._credit_note(self.customer, 500.0)
        self.run_engine()
        reminder = self.reminders(self.customer)
        self.assertEqual(reminder.move_ids, newer)
        self.assertClaim(reminder, 300.0, 0.0, 300.0)
        self.assertEqual(len(reminder.mail_message_id.attachment_ids), 1)
        self.assertEqual(older.collection_reminder_count, 0)
        self.assertEqual(newer.collection_reminder_count, 1)
        self.assertFalse(older.collection_stage_id)
        self.assertEqual(self.customer.collection_stage_id, self.stage["reminder"])
        self.assertFalse(self.collection_activities(self.customer), "no call about 300")

    def test_send_now_leaves_out_the_invoice_the_credits_pay(self):
        """As the daily run: a reminder sent by hand lists the invoices still owed, neither
        attaching nor counting as reminded the one a credit note not matched yet pays."""
        older = self._invoice(self.customer, 40, amount=500.0)
        newer = self._invoice(self.customer, 10, amount=300.0)
        self._credit_note(self.customer, 500.0)
        with freeze_time(DAY0):
            (older | newer).action_collection_send_reminder()
        reminder = self.reminders(self.customer)
        self.assertEqual(reminder.move_ids, newer)
        self.assertClaim(reminder, 300.0, 0.0, 300.0)
        self.assertEqual(len(reminder.mail_message_id.attachment_ids), 1)
        self.assertEqual(older.collection_reminder_count, 0)
        with freeze_time(DAY0 + timedelta(days=1)):
            self.customer.action_collection_send_reminder()
            self.assertEqual(self.reminders(self.customer).sorted("id")[-1].move_ids, newer)
            # Its form no longer offers Send now, the older invoice never reminded.
            self.assertFalse(self._shows_send_now(self.customer))
            # Sent again, it says why nothing goes: the invoice owed was reminded today.
            with self.assertRaisesRegex(UserError, "reminder today already"):
                (older | newer).action_collection_send_reminder()

    def test_no_reminder_for_invoices_the_credits_pay(self):
        self._invoice(self.customer, 10, amount=500.0)
        self.run_engine()
        self._credit_note(self.customer, 600.0)
        newer = self._invoice(self.customer, -1, amount=500.0)
        self.run_engine(DAY0 + timedelta(days=2))
        # The credits pay the older invoice and 100 of the newer one.
        newer_reminder = self.reminders(self.customer).sorted("id")[-1]
        self.assertEqual(newer_reminder.move_ids, newer)
        self.assertClaim(newer_reminder, 500.0, 100.0, 400.0)
        # The older invoice's 30 days are up, but there is nothing to claim for it.
        self.run_engine(DAY0 + timedelta(days=30))
        self.assertEqual(len(self.reminders(self.customer)), 2)
        self.assertEqual(len(self.queued_mails(self.customer)), 2)
