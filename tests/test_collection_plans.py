"""Payment plans: the schedule, approval by payment history, and how plans end."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DAY0, MODULE, CollectionCase


@tagged("standard", "post_install", "-at_install")
@freeze_time(DAY0)  # plans are made on DAY0; run_engine moves on to later days
class TestCollectionPlans(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.move = cls._invoice(cls.customer, 40)

    def plan(self, moves=None, **values):
        moves = moves if moves is not None else self.move
        return self.env["collection.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(moves.ids)],
                "first_date": DAY0 + timedelta(days=1),
                **values,
            }
        )

    def rate(self, partner, rating):
        partner.sudo().collection_payment_rating = rating

    def _foreign_invoice(self, currency, amount, days=40):
        currency.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": currency.id,
                "rate": 150.0 if currency.decimal_places == 0 else 0.9,
                "name": DAY0 - timedelta(days=400),
                "company_id": self.env.company.id,
            }
        )
        return self.init_invoice(
            "out_invoice",
            partner=self.customer,
            invoice_date=DAY0 - timedelta(days=days),
            amounts=[amount],
            taxes=[],
            post=True,
            currency=currency,
        )

    def test_schedule_adds_up_with_rounding_in_the_last_line(self):
        self.rate(self.customer, "good")
        euro = self.env.ref("base.EUR")
        plan = self.plan(moves=self._foreign_invoice(euro, 1000.0), installment_count=3)
        plan.action_confirm()
        self.assertEqual(plan.currency_id, euro)
        self.assertEqual(plan.line_ids.mapped("amount"), [333.33, 333.33, 333.34])
        first = DAY0 + timedelta(days=1)
        self.assertEqual(
            plan.line_ids.mapped("date"),
            [first, first + relativedelta(months=1), first + relativedelta(months=2)],
        )
        with_down = self.plan(
            installment_count=3,
            down_payment=100.0,
            interval="weekly",
        )
        with_down.action_confirm()
        self.assertEqual(with_down.line_ids.mapped("amount"), [100.0, 300.0, 300.0, 300.0])
        self.assertEqual(sum(with_down.line_ids.mapped("amount")), with_down.amount_total)
        self.assertEqual(with_down.line_ids[1].date - with_down.line_ids[0].date, timedelta(days=7))

    def test_schedule_in_a_currency_without_decimals(self):
        yen = self.env.ref("base.JPY")
        move = self._foreign_invoice(yen, 1000.0)
        self.rate(self.customer, "good")
        plan = self.plan(moves=move, installment_count=3)
        plan.action_confirm()
        self.assertEqual(plan.currency_id, yen)
        self.assertEqual(plan.line_ids.mapped("amount"), [333.0, 333.0, 334.0])
        self.assertEqual(sum(plan.line_ids.mapped("amount")), 1000.0)
        # The history speaks the company currency: 1,000 yen at 150 yen to the unit.
        self.assertEqual(self.events(self.customer, "plan").amount_claimed, 6.67)

    def test_good_customer_plan_is_active_at_once_and_emailed(self):
        self.rate(self.customer, "good")
        # Made on the day it is confirmed, whatever the draft said.
        plan = self.plan(installment_count=2, date=DAY0 - timedelta(days=60))
        with freeze_time(DAY0):
            plan.action_confirm()
        self.assertEqual(plan.date, DAY0)
        self.assertEqual(plan.state, "active")
        self.assertEqual(self.move.collection_plan_id, plan)
        email = plan.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn("your payment plan", email.subject)
        self.assertEqual(email.partner_ids, self.customer)
        self.assertIn("500.00", str(email.body))
        self.run_engine()
        self.assertFalse(self.reminders(self.customer))
        self.assertFalse(self.collection_activities(self.customer))

    def test_plan_is_emailed_where_the_reminders_go(self):
        """To the customer's invoice address, as the reminders are: not to a company
        address that may not have one, nor be read by those who pay."""
        self.rate(self.customer, "good")
        billing = self.env["res.partner"].create(
            {
                "name": "Accounts payable",
                "type": "invoice",
                "email": "ap@azure.example.com",
                "parent_id": self.customer.id,
            }
        )
        plan = self.plan(installment_count=2)
        with freeze_time(DAY0):
            plan.action_confirm()
        email = plan.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(email.partner_ids, billing)
        self.assertEqual(email.mail_ids.recipient_ids, billing)

    def test_fair_or_poor_customer_needs_a_manager(self):
        # A collection user who may edit contacts.
        clerk = new_test_user(
            self.env, "clerk", groups="account.group_account_invoice,base.group_partner_manager"
        )
        for rating, label in (("fair", "Fair"), ("poor", "Poor"), ("none", "No history")):
            with self.subTest(rating=rating):
                self.rate(self.customer, rating)
                plan = self.plan(moves=self._invoice(self.customer, 40), installment_count=2)
                plan.with_user(clerk).action_confirm()
                self.assertEqual(plan.state, "to_approve")
                self.assertIn(f"Payment rating {label} (score", str(plan.activity_ids.note))
                with self.assertRaisesRegex(AccessError, "approve a payment plan"):
                    plan.with_user(clerk).action_approve()
                # Nor by writing the status, or creating the plan active.
                with self.assertRaisesRegex(UserError, "only through its buttons"):
                    plan.with_user(clerk).write({"state": "active"})
                with self.assertRaisesRegex(UserError, "only through its buttons"):
                    plan.with_user(clerk).write({"approved_by_id": clerk.id})
                with self.assertRaisesRegex(UserError, "only through its buttons"):
                    self.plan(moves=self._invoice(self.customer, 40)).with_user(clerk).copy(
                        {"state": "active"}
                    )
                with self.assertRaisesRegex(UserError, "only through its buttons"):
                    self.env["collection.payment.plan"].with_user(clerk).with_context(
                        default_state="active"
                    ).create(
                        {
                            "partner_id": self.customer.id,
                            "move_ids": [Command.set(self._invoice(self.customer, 40).ids)],
                        }
                    )
                # Nor by putting an invoice in a plan, which stops its reminders, by hand.
                loose = self._invoice(self.customer, 50)
                with self.assertRaisesRegex(
                    UserError, "Payment plan: kept by the collection actions"
                ):
                    loose.with_user(clerk).collection_plan_id = plan
                self.assertFalse(loose.collection_plan_id)
                # Nor by rating the customer by hand, which changes nothing, or by making a
                # new customer rated "good".
                self.customer.with_user(clerk).write({"collection_payment_rating": "good"})
                self.assertEqual(self.customer.collection_payment_rating, rating)
                forged = (
                    self.env["res.partner"]
                    .with_user(clerk)
                    .with_context(default_collection_payment_score=100)
                    .create(
                        {
                            "name": "Forged Ltd",
                            "is_company": True,
                            "collection_payment_rating": "good",
                        }
                    )
                )
                self.assertEqual(forged.collection_payment_rating, "none")
                self.assertEqual(forged.collection_payment_score, 0)
                # Nor by changing what is to be approved.
                with self.assertRaisesRegex(UserError, "cannot be changed"):
                    plan.with_user(clerk).write(
                        {"move_ids": [Command.link(self._invoice(self.customer, 50).id)]}
                    )
                with self.assertRaisesRegex(UserError, "cannot be changed"):
                    plan.line_ids[-1].with_user(clerk).date = DAY0 + timedelta(days=400)
                # Nor by dating it earlier, so that older payments pay its installments.
                with self.assertRaisesRegex(UserError, "cannot be changed"):
                    plan.with_user(clerk).date = DAY0 - timedelta(days=60)
                with self.assertRaisesRegex(UserError, "cannot be changed"):
                    plan.line_ids[-1].with_user(clerk).unlink()
                draft = self.plan(moves=self._invoice(self.customer, 40))
                line = self.env["collection.payment.plan.line"].create(
                    {"plan_id": draft.id, "date": DAY0, "amount": 1.0}
                )
                with self.assertRaisesRegex(UserError, "cannot be changed"):
                    line.with_user(clerk).plan_id = plan
                self.assertEqual(plan.state, "to_approve")
                plan.action_approve()
                self.assertEqual(plan.state, "active")
                self.assertEqual(plan.approved_by_id, self.env.user)
                # Nor can the clerk cancel it once active: a late plan would escape the daily
                # check that counts it broken. The clerk's form shows no button for it.
                with self.assertRaisesRegex(AccessError, "cancel an active payment plan"):
                    plan.with_user(clerk).action_cancel()
                cancel_buttons = {
                    user: etree.fromstring(
                        plan.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
                    ).xpath("//button[@name='action_cancel']")
                    for user in (clerk, self.env.user)
                }
                self.assertEqual(
                    [button.get("invisible") for button in cancel_buttons[clerk]],
                    ["state not in ('draft', 'to_approve')"],
                )
                self.assertEqual(len(cancel_buttons[self.env.user]), 2)
                self.assertEqual(plan.state, "active")
                # Nor can an invoice leave the plan by hand, and start its reminders again.
                with self.assertRaisesRegex(
                    UserError, "Payment plan: kept by the collection actions"
                ):
                    plan.move_ids.with_user(clerk).collection_plan_id = False
                self.assertEqual(plan.move_ids.collection_plan_id, plan)

    def test_payments_fill_installments_and_plan_ends_done(self):
        self.rate(self.customer, "good")
        plan = self.plan(installment_count=2)
        plan.action_confirm()
        self._pay(self.move, amount=700.0, day=DAY0 + timedelta(days=1))
        self.assertEqual(plan.line_ids.mapped("amount_paid"), [500.0, 200.0])
        self.assertEqual(plan.line_ids.mapped("state"), ["paid", "partial"])
        self._pay(self.move, amount=300.0, day=DAY0 + timedelta(days=20))
        self.run_engine(DAY0 + timedelta(days=21))
        self.assertEqual(plan.state, "done")
        self.assertFalse(self.move.collection_plan_id)

    def test_a_cancelled_invoice_owes_the_plan_nothing(self):
        """Cancelled after the plan was agreed, an invoice is no longer due: as one a credit
        note pays, it counts towards the installments, and the plan ends once the others are
        paid."""
        self.rate(self.customer, "good")
        wrong = self._invoice(self.customer, 35, amount=200.0)
        plan = self.plan(moves=self.move | wrong, installment_count=2)
        plan.action_confirm()
        self.assertEqual(plan.line_ids.mapped("amount"), [600.0, 600.0])
        wrong.button_cancel()
        self.assertEqual(plan.line_ids.mapped("amount_paid"), [200.0, 0.0])
        # Reset to draft to be corrected, an invoice still owes the plan.
        self.move.button_draft()
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.line_ids.mapped("amount_paid"), [200.0, 0.0])
        self.move.action_post()
        self._pay(self.move, day=DAY0 + timedelta(days=2))
        self.run_engine(DAY0 + timedelta(days=3))
        self.assertEqual(plan.state, "done")
        self.assertFalse(self.move.collection_plan_id)
        self.run_engine(DAY0 + timedelta(days=60))
        self.assertEqual(plan.state, "done")
        self.assertEqual(self.customer.collection_broken_plans, 0)

    def test_unpaid_installment_breaks_the_plan(self):
        paid_since = self._invoice(self.customer, 35, amount=200.0)
        disputed_since = self._invoice(self.customer, 38, amount=300.0)
        self.run_engine()
        self.rate(self.customer, "good")
        plan = self.plan(moves=self.move | paid_since | disputed_since, installment_count=2)
        plan.action_confirm()
        self._pay(paid_since, day=DAY0 + timedelta(days=3))
        disputed_since.sudo().collection_disputed = True  # as a call logging a dispute does
        # First installment due DAY0+1, grace 5 days: broken from DAY0+7 on.
        self.run_engine(DAY0 + timedelta(days=6))
        self.assertEqual(plan.state, "active")
        self.run_engine(DAY0 + timedelta(days=7))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(self.customer.collection_broken_plans, 1)
        self.assertFalse(self.move.collection_plan_id)
        self.assertEqual(self.move.collection_stage_id, self.stage["negotiation"])
        broken = self.events(self.customer, "plan").filtered(lambda e: "broken" in str(e.note))
        self.assertEqual(len(broken), 1)
        # The invoice paid meanwhile leaves the ladder, without moving on first; the disputed
        # one waits for its dispute on the stage it was on.
        self.assertFalse(paid_since.collection_stage_id)
        self.assertEqual(disputed_since.collection_stage_id, self.stage["call"])
        moved_on = self.events(self.customer, "stage_change").filtered(
            lambda e: e.stage_id == self.stage["negotiation"]
        )
        self.assertEqual(moved_on.move_ids, self.move)
        self.run_engine(DAY0 + timedelta(days=31))
        self.assertEqual(len(self.reminders(self.customer)), 2)

    def test_a_plan_broken_by_a_run_gone_past_midnight_is_dated_on_the_runs_day(self):
        self.run_engine()
        self.rate(self.customer, "good")
        plan = self.plan(moves=self.move, installment_count=2)
        plan.action_confirm()
        with freeze_time(DAY0 + timedelta(days=8, minutes=5)):
            plan._collection_check_schedule(DAY0 + timedelta(days=7))
        self.assertEqual(plan.state, "broken")
        broken = self.events(self.customer, "plan").filtered(lambda e: "broken" in str(e.note))
        self.assertEqual(broken.date, DAY0 + timedelta(days=7))

    def test_an_installment_paid_and_not_matched_yet_keeps_the_plan(self):
        """The customer pays the first installment on time; the payment is recorded, not
        matched with the invoice yet: the plan is not broken. A refund paid out takes it
        back, and the plan breaks."""
        self.rate(self.customer, "good")
        plan = self.plan(installment_count=2)
        plan.action_confirm()
        self._unmatched_payment("inbound", 500.0, DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=7))
        self.assertEqual(plan.state, "active")
        self.assertEqual(self.customer.collection_broken_plans, 0)
        self._unmatched_payment("outbound", 100.0, DAY0 + timedelta(days=8))
        self.run_engine(DAY0 + timedelta(days=8))
        self.assertEqual(plan.state, "broken")

    def test_payments_not_matched_are_shared_and_credit_notes_do_not_count(self):
        """A credit note not matched yet may be about another invoice: it pays no
        installment. One payment not matched yet pays the late installment of one plan, the
        oldest, not of two."""
        self.rate(self.customer, "good")
        plan = self.plan(installment_count=2)
        plan.action_confirm()
        other = self._invoice(self.customer, 40)
        later = self.plan(moves=other, installment_count=2)
        later.action_confirm()
        self._credit_note(self.customer, 1000.0)
        self._unmatched_payment("inbound", 500.0, DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=7))
        self.assertEqual((plan.state, later.state), ("active", "broken"))

    def test_an_invoice_reset_to_draft_to_be_corrected_keeps_its_plan(self):
        """Reset to draft, an invoice loses the match of the installment it was paid: the
        payment, unapplied meanwhile, still counts, and the plan goes on."""
        self.rate(self.customer, "good")
        plan = self.plan(installment_count=2)
        plan.action_confirm()
        self._pay(self.move, amount=500.0, day=DAY0 + timedelta(days=1))
        self.move.button_draft()
        self.run_engine(DAY0 + timedelta(days=7))
        self.assertEqual(plan.state, "active")
        self.assertEqual(self.customer.collection_broken_plans, 0)

    def test_bad_plans_are_refused_and_nothing_is_written(self):
        other = self._customer("Deco Addict")
        paid = self._invoice(self.customer, 50)
        self._pay(paid, day=DAY0)
        disputed = self._invoice(self.customer, 45)
        disputed.sudo().collection_disputed = True  # as a call logging a dispute does
        euro = self.env.ref("base.EUR")
        euro.active = True
        in_euro = self.init_invoice(
            "out_invoice",
            partner=self.customer,
            invoice_date=DAY0 - timedelta(days=40),
            amounts=[100.0],
            taxes=[],
            post=True,
            currency=euro,
        )
        cases = [
            ({"installment_count": 0}, self.move, "at least one installment"),
            ({"down_payment": 1000.01}, self.move, "less than the total"),
            ({"down_payment": 1000.0}, self.move, "less than the total"),
            ({}, paid, "nothing left to pay"),
            ({}, disputed, "disputed"),
            ({}, self.move | self._invoice(other, 40), "one customer"),
            ({}, self.move | in_euro, "one currency"),
            ({"partner_id": other.id}, self.move, "not those of Deco Addict"),
            ({"first_date": DAY0 - timedelta(days=1)}, self.move, "which has passed"),
        ]
        for values, moves, message in cases:
            with self.subTest(message=message):
                plan = self.plan(moves=moves, **values)
                with self.assertRaisesRegex(ValidationError, message):
                    plan.action_confirm()
                self.assertEqual(plan.state, "draft")
                self.assertFalse(plan.line_ids)
                self.assertFalse(moves.collection_plan_id)

    def test_an_invoice_is_in_one_plan_at_a_time(self):
        self.rate(self.customer, "good")
        self.plan(installment_count=2).action_confirm()
        second = self.plan(installment_count=4)
        with self.assertRaisesRegex(ValidationError, "already in another payment plan"):
            second.action_confirm()
        self.assertEqual(self.move.collection_plan_id.line_ids.mapped("amount"), [500.0, 500.0])

    def test_monthly_installments_keep_the_day_of_the_month(self):
        self.rate(self.customer, "good")
        plan = self.plan(first_date=date(2026, 3, 31), installment_count=3)
        plan.action_confirm()
        self.assertEqual(
            plan.line_ids.mapped("date"), [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
        )

    def test_approval_checks_the_plan_again(self):
        plan = self.plan(installment_count=2)
        plan.action_confirm()
        self.assertEqual(plan.state, "to_approve")
        with (
            freeze_time(DAY0 + timedelta(days=3)),
            self.assertRaisesRegex(ValidationError, "which has passed"),
        ):
            plan.action_approve()
        self.assertEqual(plan.state, "to_approve")
        plan.action_cancel()
        self.assertFalse(plan.activity_ids, "the approval request goes with the plan")

    def test_plan_request_waits_for_its_plan(self):
        """The plan's dialog closed, the request waits: the same user's second call asking
        again adds to it, a colleague's gets one of their own, and the plan, agreed later from
        the customer, does them."""
        self.request_plan()
        self.request_plan(DAY0 + timedelta(days=2))
        request = self.plan_requests()
        self.assertEqual(len(request), 1)
        self.assertEqual(str(request.note).count(self.move.name), 2)
        colleague = new_test_user(self.env, "colleague", groups="account.group_account_invoice")
        self.request_plan(DAY0 + timedelta(days=3), user=colleague)
        requests = self.plan_requests()
        self.assertEqual(requests.user_id, self.env.user | colleague)
        # Agreed once approved: the customer waits for it until then.
        plan = self.plan(installment_count=2)
        plan.action_confirm()
        self.assertEqual(plan.state, "to_approve")
        self.assertTrue(requests.exists())
        plan.action_approve()
        self.assertFalse(requests.exists())

    def test_approval_after_a_payment_meanwhile(self):
        plan = self.plan(installment_count=2, down_payment=300.0)
        plan.action_confirm()
        self._pay(self.move, amount=800.0, day=DAY0)
        plan.action_approve()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.amount_total, 1000.0)

    def request_plan(self, day=DAY0, user=None):
        with freeze_time(day):
            move = self.move.with_user(user or self.env.user)
            action = move.action_collection_log_call()
            wizard = move.env[action["res_model"]].browse(action["res_id"])
            wizard.outcome = "plan_requested"
            return wizard.action_confirm()

    def plan_requests(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(f"{MODULE}.mail_activity_type_collection_plan_request").id,
                ),
            ]
        )

    def test_plan_from_a_call(self):
        self.rate(self.customer, "good")
        plan_action = self.request_plan()
        # Should the plan's dialog be closed, the request stays in sight, for the caller.
        request = self.plan_requests()
        self.assertEqual(request.user_id, self.env.user)
        self.assertIn(self.move.name, str(request.note))
        plan = (
            self.env["collection.payment.plan"]
            .with_context(**plan_action["context"])
            .create({"installment_count": 4})
        )
        self.assertEqual(plan.move_ids, self.move)
        self.assertTrue(request.exists(), "a draft is no plan agreed yet")
        plan.action_confirm()
        self.assertFalse(request.exists(), "confirming the plan does the request")
        self.assertEqual(len(plan.line_ids), 4)
