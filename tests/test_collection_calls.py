"""Logging a call, and what each outcome does."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DAY0, MODULE, CollectionCase

NOON = datetime.combine(DAY0, datetime.min.time()) + timedelta(hours=12)


@tagged("standard", "post_install", "-at_install")
class TestCollectionCalls(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"phone": "+1 555 0100", "tz": "UTC"})
        cls.move = cls._invoice(cls.customer, 40)

    def call(self, outcome, when=NOON, move=None, **values):
        """Log a call about ``move`` (by default the customer's invoice) at ``when``."""
        with freeze_time(when):
            action = (move or self.move).action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            wizard.write({"outcome": outcome, **values})
            return wizard.action_confirm()

    def test_the_call_activity_is_done_and_logged(self):
        self.run_engine()
        activity = self.collection_activities(self.customer)
        self.assertEqual(len(activity), 1)
        with freeze_time(NOON):
            action = activity.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            self.assertEqual(wizard.move_ids, self.move)
            self.assertEqual(wizard.activity_id, activity)
            wizard.write({"outcome": "refused", "note": "<p>Will not pay before the audit</p>"})
            wizard.action_confirm()
        self.commit_point()
        self.assertFalse(activity.exists())
        call = self.events(self.customer, "call").filtered("call_outcome")
        self.assertEqual(call.call_outcome, "refused")
        self.assertEqual(call.call_time, NOON)
        self.assertIn("audit", str(call.note))
        # Refusing moves the invoice on to the next stage, in the history too, and the
        # customer with it once the call is committed.
        self.assertEqual(self.move.collection_stage_id, self.stage["negotiation"])
        self.assertEqual(self.customer.collection_stage_id, self.stage["negotiation"])
        # Its next action is now its next reminder (day 30), no more reaching Negotiation
        # (day 20).
        self.assertEqual(self.move.collection_next_action_date, DAY0 + timedelta(days=30))
        change = self.events(self.customer, "stage_change").filtered(
            lambda e: e.stage_id == self.stage["negotiation"]
        )
        self.assertEqual(change.move_ids, self.move)
        # In the chatter, the stage's name is a paragraph of its own, under the bold kind.
        self.assertIn("</b></p><p>Negotiation</p>", str(change.mail_message_id.body))

    def test_refusal_records_what_is_past_due(self):
        customer = self._customer("Gemini Furniture", phone="+1 555 0101", tz="UTC")
        customer.property_payment_term_id = self._split_terms(60)
        move = self._invoice(customer, 40)
        self.run_engine()
        self.call("refused", move=move)
        change = self.events(customer, "stage_change").filtered(
            lambda e: e.stage_id == self.stage["negotiation"]
        )
        # The half due 40 days ago, not the half due in 20 days; the call's entry too.
        self.assertEqual(change.amount_overdue, 500.0)
        self.assertEqual(
            self.events(customer, "call").filtered("call_outcome").amount_overdue, 500.0
        )

    def test_refusals_move_an_invoice_on_once_a_day(self):
        """Refused in the morning and again in the afternoon, an invoice on Call goes on to
        Negotiation, not on to the agency; refused again the next day, it does."""
        self.run_engine()
        self.assertEqual(self.move.collection_stage_id, self.stage["call"])
        self.call("refused", NOON - timedelta(hours=3))
        self.call("refused", NOON + timedelta(hours=3))
        self.assertEqual(self.move.collection_stage_id, self.stage["negotiation"])
        self.assertEqual(len(self.events(self.customer, "stage_change")), 2)
        self.call("refused", NOON + timedelta(days=1))
        self.assertEqual(self.move.collection_stage_id, self.stage["agency"])

    def test_refusal_moves_on_to_a_stage_the_invoice_reaches_by_its_amount(self):
        """The agency takes debts of 5,000 and more: refused on Negotiation, an invoice of
        1,000 goes on to Legal action."""
        self.stage["agency"].min_amount = 5000.0
        move = self._invoice(self.customer, 65)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])
        self.call("refused", move=move)
        self.assertEqual(move.collection_stage_id, self.stage["legal"])

    def test_refusal_weighs_what_an_invoice_not_due_yet_owes(self):
        """On Negotiation by hand before its due date, an invoice of 6,000 refused goes on to
        the agency that takes 5,000 and more."""
        self.stage["agency"].min_amount = 5000.0
        move = self._invoice(self.customer, -5, amount=6000.0)
        move.collection_stage_id = self.stage["negotiation"]
        self.call("refused", move=move)
        self.assertEqual(move.collection_stage_id, self.stage["agency"])

    def test_refusal_leaves_the_invoices_not_chased_where_they_are(self):
        disputed = self._invoice(self.customer, 40)
        self.run_engine()
        self.call("dispute", move=disputed, dispute_reason="Goods damaged")
        self.call("refused", NOON + timedelta(hours=1), move=self.move | disputed)
        self.assertEqual(self.move.collection_stage_id, self.stage["negotiation"])
        self.assertEqual(disputed.collection_stage_id, self.stage["call"])

    def test_a_call_is_about_posted_invoices_and_promises_nothing_paid(self):
        draft = self._invoice(self.customer, 45, post=False)
        with self.assertRaisesRegex(UserError, "posted invoices"):
            self.call("refused", move=self.move | draft)
        paid = self._invoice(self.customer, 50)
        self._pay(paid, day=DAY0 - timedelta(days=1))
        with self.assertRaisesRegex(UserError, "is paid"):
            self.call("dispute", move=self.move | paid, dispute_reason="Goods damaged")
        self.assertFalse(self.events(self.customer, "call"))
        self.assertFalse(self.move.collection_disputed)
        # An invoice paid since the dialog was opened does not keep the call from being logged.
        self.call("already_paid", move=self.move | paid)
        self.assertEqual(self.events(self.customer, "call").move_ids, self.move | paid)

    def test_a_promise_leaves_a_longer_hold(self):
        self.move.collection_hold_until = DAY0 + timedelta(days=40)
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=500.0)
        self.assertEqual(self.move.collection_hold_until, DAY0 + timedelta(days=40))

    def test_a_promise_is_made_on_the_day_of_the_call(self):
        """Logged the next morning: what the customer paid since the call counts, matched
        with the invoice before the call was logged or not."""
        self._pay(self.move, amount=500.0, day=DAY0 + timedelta(days=1))
        with freeze_time(NOON + timedelta(days=1)):
            action = self.move.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            wizard.write(
                {
                    "outcome": "promise_to_pay",
                    "call_time": NOON,
                    "promise_date": DAY0 + timedelta(days=5),
                    "promise_amount": 500.0,
                }
            )
            wizard.action_confirm()
        promise = self.events(self.customer, "promise")
        self.assertEqual(promise.date, DAY0)
        self.run_engine(DAY0 + timedelta(days=9))
        self.assertEqual(promise.promise_state, "kept")

    def test_a_payment_matched_before_the_call_is_not_paid_since_the_promise(self):
        """Paid 500 in the morning and matched then, the customer promises the other 500 at
        noon: only what it pays after the call keeps the promise."""
        self._pay(self.move, amount=500.0, day=DAY0)
        partials = self.move.line_ids.matched_credit_ids
        # Matched at 09:00 (the test's transaction is dated today, not DAY0).
        self.env.cr.execute(
            "UPDATE account_partial_reconcile SET create_date = %s WHERE id IN %s",
            (NOON - timedelta(hours=3), tuple(partials.ids)),
        )
        partials.invalidate_recordset(["create_date"])
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=500.0)
        self.run_engine(DAY0 + timedelta(days=9))
        promise = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(promise.promise_state, "broken")

    def test_broken_promise_records_what_is_past_due(self):
        customer = self._customer("Gemini Furniture", phone="+1 555 0101", tz="UTC")
        customer.property_payment_term_id = self._split_terms(60)
        move = self._invoice(customer, 40)
        self.run_engine()
        self.call(
            "promise_to_pay", move=move, promise_date=DAY0 + timedelta(days=5), promise_amount=500.0
        )
        self.run_engine(DAY0 + timedelta(days=9))
        # The half due 49 days ago, not the half due in 11 days.
        broken = self.events(customer, "promise").filtered(lambda e: not e.promise_state)
        self.assertIn("broken", str(broken.note))
        self.assertEqual(broken.amount_overdue, 500.0)
        change = self.events(customer, "stage_change").filtered(
            lambda e: e.stage_id == self.stage["negotiation"]
        )
        self.assertEqual(change.amount_overdue, 500.0)

    def test_the_call_outcome_is_written_in_the_user_language(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["es_ES"], overwrite=True)
        self.run_engine()
        activity = self.collection_activities(self.customer)
        with freeze_time(NOON):
            action = activity.with_context(lang="es_ES").action_collection_log_call()
            wizard = self.env[action["res_model"]].with_context(lang="es_ES")
            wizard.browse(action["res_id"]).write({"outcome": "no_answer"})
            wizard.browse(action["res_id"]).action_confirm()
        # The activity's "done" message on the customer, with the outcome as feedback.
        done = self.customer.message_ids.filtered("mail_activity_type_id")
        self.assertEqual(len(done), 1)
        self.assertIn("Sin respuesta", str(done.body))

    def test_follow_up_call_stays_while_the_customer_is_on_reminders(self):
        customer = self._customer("Gemini Furniture", phone="+1 555 0101", tz="UTC")
        move = self._invoice(customer, 10)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["reminder"])
        with freeze_time(NOON):
            action = move.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            wizard.write({"outcome": "no_answer"})
            wizard.action_confirm()
        follow_up = self.collection_activities(customer)
        self.assertEqual(len(follow_up), 1)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(self.collection_activities(customer), follow_up)

    def test_promise_to_pay_holds_then_breaks(self):
        self.run_engine()
        promise_day = DAY0 + timedelta(days=25)
        self.call("promise_to_pay", promise_date=promise_day, promise_amount=1000.0)
        # Held through the 3 days of grace.
        self.assertEqual(self.move.collection_hold_until, promise_day + timedelta(days=4))
        promise = self.events(self.customer, "promise")
        self.assertEqual((promise.promise_state, promise.promise_amount), ("open", 1000.0))
        # 67 and 68 days overdue, past the Negotiation stage's 60: held, the invoice stays on
        # Call until the last day of grace.
        for day in (27, 28):
            self.run_engine(DAY0 + timedelta(days=day))
            self.assertEqual(promise.promise_state, "open")
            self.assertEqual(self.move.collection_stage_id, self.stage["call"])
        self.run_engine(DAY0 + timedelta(days=29))
        self.assertEqual(promise.promise_state, "broken")
        self.assertEqual(self.customer.collection_broken_promises, 1)
        # The run's record of the break does not count as a second broken promise.
        broken = self.events(self.customer, "promise").filtered(
            lambda e: e.promise_state == "broken"
        )
        self.assertEqual(broken, promise)
        self.assertEqual(self.move.collection_stage_id, self.stage["negotiation"])
        self.assertEqual(
            self.events(self.customer, "stage_change").stage_id,
            self.stage["call"] | self.stage["negotiation"],
        )

    def test_broken_promise_leaves_a_held_invoice_where_it_is(self):
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        promise = self.events(self.customer, "promise")
        # The accountant puts the invoice on hold past the promise and its grace.
        with freeze_time(NOON):
            action = self.move.action_collection_hold()
            pause = self.env[action["res_model"]].browse(action["res_id"])
            pause.hold_until = DAY0 + timedelta(days=40)
            pause.action_confirm()
        self.run_engine(DAY0 + timedelta(days=9))
        self.assertEqual(promise.promise_state, "broken")
        self.assertEqual(self.customer.collection_broken_promises, 1)
        # No action before the hold ends.
        self.assertEqual(self.move.collection_stage_id, self.stage["call"])

    def test_promise_kept(self):
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        self._pay(self.move, day=DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        self.assertEqual(self.events(self.customer, "promise").promise_state, "kept")
        self.assertEqual(self.customer.collection_broken_promises, 0)

    def test_promise_kept_by_a_payment_not_matched_yet(self):
        self.run_engine()
        # A payment received before the promise does not count towards it.
        self._unmatched_payment("inbound", 300.0, DAY0 - timedelta(days=1))
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        self._unmatched_payment("inbound", 700.0, DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        promise = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(promise.promise_state, "broken")
        # Paid in full, in two payments nobody matched yet: kept.
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(days=9),
            promise_date=DAY0 + timedelta(days=15),
            promise_amount=1000.0,
        )
        for day in (12, 14):
            self._unmatched_payment("inbound", 500.0, DAY0 + timedelta(days=day))
        self.run_engine(DAY0 + timedelta(days=19))
        promises = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(promises.mapped("promise_state"), ["kept", "broken"])

    def test_one_payment_keeps_one_promise(self):
        second = self._invoice(self.customer, 40, amount=500.0)
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(hours=1),
            move=second,
            promise_date=DAY0 + timedelta(days=5),
            promise_amount=500.0,
        )
        self._unmatched_payment("inbound", 1000.0, DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        promises = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(
            {p.move_ids: p.promise_state for p in promises},
            {self.move: "kept", second: "broken"},
        )

    def _promise_second_invoice(self, second, amount, days):
        """Log a promise of ``amount`` by DAY0 + ``days`` about ``second``, a day after the
        first call."""
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(days=1),
            move=second,
            promise_date=DAY0 + timedelta(days=days),
            promise_amount=amount,
        )

    def test_one_payment_keeps_one_promise_judged_on_another_day(self):
        second = self._invoice(self.customer, 40, amount=500.0)
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=99.9)
        self._promise_second_invoice(second, 99.9, days=12)
        # 33.3 + 66.6 is 99.89999999999999 in floating point: in cents, the promise.
        self._unmatched_payment("inbound", 33.3, DAY0 + timedelta(days=3))
        self._unmatched_payment("inbound", 66.6, DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        self.run_engine(DAY0 + timedelta(days=17))
        promises = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(
            {p.move_ids: p.promise_state for p in promises},
            {self.move: "kept", second: "broken"},
        )
        self.assertEqual(self.customer.collection_broken_promises, 1)

    def _counted_payment_then_matched(self, matched_with):
        """A payment of 800 keeps a promise of 500 about a second invoice of 500; then it is
        matched with ``matched_with`` (a function of that invoice returning an invoice), and
        a promise of 300 about the first invoice, made before the payment, is judged."""
        second = self._invoice(self.customer, 40, amount=500.0)
        self.run_engine()
        self.call(
            "promise_to_pay",
            move=second,
            promise_date=DAY0 + timedelta(days=5),
            promise_amount=500.0,
        )
        self._promise_second_invoice(self.move, 300.0, days=12)
        payment = self._unmatched_payment("inbound", 800.0, DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        (payment.move_id | matched_with(second)).line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        ).reconcile()
        self.run_engine(DAY0 + timedelta(days=17))
        return self.events(self.customer, "promise").filtered("promise_state")

    def test_a_counted_payment_matched_with_the_promised_invoice_frees_the_rest(self):
        """Matched with the invoice of the promise it kept, the payment is in that invoice's
        balance: what is left of it is free for the second promise."""
        promises = self._counted_payment_then_matched(lambda second: second)
        self.assertEqual(promises.mapped("promise_state"), ["kept", "kept"])

    def test_a_counted_payment_matched_elsewhere_frees_nothing(self):
        """Matched with another invoice, the payment paid it: what the first promise counted
        of it stays counted, and nothing is left for the second promise."""
        promises = self._counted_payment_then_matched(
            lambda second: self._invoice(self.customer, 50, amount=300.0)
        )
        self.assertEqual(promises.mapped("promise_state"), ["broken", "kept"])

    def test_a_payment_counted_then_matched_elsewhere_takes_nothing_from_others(self):
        second = self._invoice(self.customer, 40, amount=500.0)
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        self._promise_second_invoice(second, 500.0, days=12)
        first_payment = self._unmatched_payment("inbound", 1000.0, DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        # Most of the payment the first promise counted pays another invoice: what is left of
        # it is counted already, and the second promise has a payment of its own.
        other = self._invoice(self.customer, 50, amount=900.0)
        (first_payment.move_id | other).line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        ).reconcile()
        self._unmatched_payment("inbound", 500.0, DAY0 + timedelta(days=10))
        self.run_engine(DAY0 + timedelta(days=17))
        promises = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(promises.mapped("promise_state"), ["kept", "kept"])

    def _promise_then_another(self, days_later):
        """A promise by DAY0 + 5, then another by DAY0 + 20 made ``days_later``; returns both
        promises, oldest first, as the run of DAY0 + 11 leaves them."""
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(days=days_later),
            promise_date=DAY0 + timedelta(days=20),
            promise_amount=1000.0,
        )
        self.run_engine(DAY0 + timedelta(days=11))
        return self.events(self.customer, "promise").filtered("promise_state").sorted("id")

    def test_a_promise_put_off_before_its_date_is_superseded(self):
        """The customer calls before the promised date to put it off: the new promise replaces
        the old one, which is not broken when its date passes."""
        promises = self._promise_then_another(days_later=3)
        self.assertEqual(promises.mapped("promise_state"), ["superseded", "open"])
        self.assertIn("Replaces the promise to pay by", str(promises[1].note))
        self.assertEqual(self.customer.collection_broken_promises, 0)
        self._pay(self.move, day=DAY0 + timedelta(days=18))
        self.run_engine(DAY0 + timedelta(days=26))
        self.assertEqual(promises.mapped("promise_state"), ["superseded", "kept"])

    def test_a_promise_repeated_for_the_same_date_replaces_it(self):
        """The customer calls back and promises the same again: one promise, broken once if
        it is not kept."""
        self.run_engine()
        for hour in (10, 15):
            self.call(
                "promise_to_pay",
                when=NOON.replace(hour=hour),
                promise_date=DAY0 + timedelta(days=5),
                promise_amount=1000.0,
            )
        self.run_engine(DAY0 + timedelta(days=9))
        promises = self.events(self.customer, "promise").filtered("promise_state").sorted("id")
        self.assertEqual(promises.mapped("promise_state"), ["superseded", "broken"])
        self.assertEqual(self.customer.collection_broken_promises, 1)

    def _promise_two_invoices(self):
        """A second invoice of 500, 40 days overdue, and a promise to pay both by DAY0 + 10;
        returns the second invoice."""
        second = self._invoice(self.customer, 40, amount=500.0)
        self.run_engine()
        self.call(
            "promise_to_pay",
            move=self.move | second,
            promise_date=DAY0 + timedelta(days=10),
            promise_amount=1500.0,
        )
        return second

    def test_a_promise_put_off_with_a_reissued_invoice(self):
        """Of a promise about two invoices, one is cancelled and reissued; the customer puts
        the promise off for the other and the new one: the first promise is superseded."""
        second = self._promise_two_invoices()
        second.button_cancel()
        reissued = self._invoice(self.customer, 40, amount=450.0)
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(days=2),
            move=self.move | reissued,
            promise_date=DAY0 + timedelta(days=20),
            promise_amount=1450.0,
        )
        first = self.events(self.customer, "promise").sorted("id")[0]
        self.assertEqual(first.promise_state, "superseded")

    def test_a_promise_missed_stays_to_be_judged_when_another_is_made(self):
        """Past its date, a promise is not put off by a new one: it is judged, broken here."""
        promises = self._promise_then_another(days_later=7)
        self.assertEqual(promises.mapped("promise_state"), ["broken", "open"])
        self.assertEqual(self.customer.collection_broken_promises, 1)

    def test_a_promise_beside_another_leaves_it_open(self):
        """A promise about a new invoice, sooner, made in a call that lists the promised one
        too, does not put the first promise off."""
        second = self._invoice(self.customer, 10, amount=300.0)
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=20), promise_amount=1000.0)
        self._promise_second_invoice(self.move | second, 300.0, days=12)
        first = self.events(self.customer, "promise").sorted("id")[0]
        self.assertEqual(first.promise_state, "open")

    def test_a_promise_put_off_after_part_is_paid(self):
        """Of a promise about two invoices, one is paid; the customer puts the other off."""
        second = self._promise_two_invoices()
        self._pay(second, day=DAY0 + timedelta(days=1))
        self._promise_second_invoice(self.move, 1000.0, days=25)
        first = self.events(self.customer, "promise").sorted("id")[0]
        self.assertEqual(first.promise_state, "superseded")

    def test_a_promise_about_a_cancelled_invoice_is_superseded(self):
        """Nothing is left to chase of a cancelled invoice: its promise is not broken, nor
        does it move the invoice on. Nor is it kept by what the customer paid meanwhile, left
        for its other invoices."""
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        self.move.button_cancel()
        self._unmatched_payment("inbound", 1000.0, DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        self.assertEqual(
            self.events(self.customer, "promise").filtered("promise_state").promise_state,
            "superseded",
        )
        self.assertEqual(self.customer.collection_broken_promises, 0)
        moved_on = self.events(self.customer, "stage_change").filtered(
            lambda e: e.stage_id and e.date > DAY0
        )
        self.assertFalse(moved_on)

    def test_promises_judged_together_each_count_their_own_payments(self):
        second = self._invoice(self.customer, 40, amount=500.0)
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=100.0)
        self._unmatched_payment("inbound", 100.0, DAY0 + timedelta(days=1))
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(days=2),
            move=second,
            promise_date=DAY0 + timedelta(days=5),
            promise_amount=100.0,
        )
        self._unmatched_payment("inbound", 100.0, DAY0 + timedelta(days=3))
        self.run_engine(DAY0 + timedelta(days=9))
        # The first promise takes the first payment; the second, made after it, the second.
        promises = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(promises.mapped("promise_state"), ["kept", "kept"])

    def test_promise_of_part_of_the_balance_kept(self):
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=400.0)
        self._pay(self.move, amount=250.0, day=DAY0 + timedelta(days=2))
        self._pay(self.move, amount=150.0, day=DAY0 + timedelta(days=4))
        self.run_engine(DAY0 + timedelta(days=9))
        self.assertEqual(self.events(self.customer, "promise").promise_state, "kept")
        self.assertEqual(self.customer.collection_broken_promises, 0)
        self.assertEqual(self.move.collection_stage_id, self.stage["call"])
        # Less than promised: broken.
        self.call(
            "promise_to_pay",
            when=NOON + timedelta(days=9),
            promise_date=DAY0 + timedelta(days=15),
            promise_amount=400.0,
        )
        self._pay(self.move, amount=399.0, day=DAY0 + timedelta(days=14))
        self.run_engine(DAY0 + timedelta(days=19))
        promises = self.events(self.customer, "promise").filtered("promise_state")
        self.assertEqual(promises.mapped("promise_state"), ["broken", "kept"])
        self.assertEqual(self.customer.collection_broken_promises, 1)
        self.assertEqual(self.move.collection_stage_id, self.stage["negotiation"])

    def test_promise_superseded_by_a_dispute(self):
        self.run_engine()
        self.call("promise_to_pay", promise_date=DAY0 + timedelta(days=5), promise_amount=1000.0)
        # The customer calls back: the goods were damaged.
        self.call(
            "dispute",
            when=NOON + timedelta(days=2),
            inbound=True,
            dispute_reason="Goods arrived damaged",
        )
        self.run_engine(DAY0 + timedelta(days=9))
        self.assertEqual(self.events(self.customer, "promise").promise_state, "superseded")
        self.assertEqual(self.customer.collection_broken_promises, 0)
        self.assertEqual(self.move.collection_stage_id, self.stage["call"])

    def test_dispute_stops_reminders_until_resolved(self):
        self.call("dispute", dispute_reason="Goods arrived damaged")
        self.assertTrue(self.move.collection_disputed)
        self.assertEqual(self.move.collection_dispute_reason, "Goods arrived damaged")
        todo = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("summary", "=", "Resolve a dispute"),
            ]
        )
        self.assertEqual(len(todo), 1)
        self.assertTrue(
            todo.user_id.has_group("account_collection_stages.group_collection_manager")
        )
        # Disputed again before the manager decides: refused, the first reason stays.
        with self.assertRaisesRegex(UserError, "disputed already .Goods arrived damaged."):
            self.call("dispute", when=NOON + timedelta(hours=1), dispute_reason="Late delivery")
        self.assertEqual(self.move.collection_dispute_reason, "Goods arrived damaged")
        self.run_engine()
        self.assertFalse(self.reminders(self.customer))
        clerk = new_test_user(self.env, "dispute_clerk", groups="account.group_account_invoice")
        with self.assertRaisesRegex(AccessError, "collection manager"):
            self.move.with_user(clerk).action_collection_dispute_confirmed()
        # Nor by writing the invoice, nor by editing the history.
        with self.assertRaisesRegex(UserError, "Disputed: kept by the collection actions"):
            self.move.with_user(clerk).write({"collection_disputed": False})
        dispute = self.events(self.customer, "dispute")
        with self.assertRaisesRegex(UserError, "history .* is not edited"):
            dispute.with_user(clerk).write({"note": "Nothing disputed"})
        with self.assertRaisesRegex(UserError, "history .* is not edited"):
            dispute.with_user(clerk).move_ids = False
        self.assertTrue(self.move.collection_disputed)
        self.assertEqual(dispute.move_ids, self.move)
        self.move.action_collection_dispute_confirmed()
        self.assertFalse(self.move.collection_disputed)
        self.assertFalse(todo.exists() and todo.active, "the manager's To-Do is done")
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(len(self.reminders(self.customer)), 1)

    def test_dispute_customer_right_proposes_a_credit_note(self):
        self.call("dispute", dispute_reason="Billed twice")
        # Held meanwhile by hand: resolving the dispute leaves that alone.
        self.move.collection_hold_until = DAY0 + timedelta(days=10)
        action = self.move.action_collection_dispute_customer_right()
        self.assertEqual(action["res_model"], "account.move.reversal")
        self.assertEqual(action["context"]["active_ids"], self.move.ids)
        # The dialog closed without a credit note: the dispute stays.
        self.assertTrue(self.move.collection_disputed)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(action["context"])
            .create({"reason": "Billed twice", "journal_id": self.move.journal_id.id})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertEqual(credit_note.reversed_entry_id, self.move)
        # A draft credit note changes nothing yet: no reminder claims the invoice meanwhile.
        self.assertEqual(credit_note.state, "draft")
        self.assertTrue(self.move.collection_disputed)
        # Posted, by an accountant who is no collection manager: the dispute ends. It stays the
        # credit note of the disputed invoice.
        clerk = new_test_user(self.env, "credit_clerk", groups="account.group_account_invoice")
        other = self._invoice(self.customer, 5)
        with self.assertRaisesRegex(UserError, "stays the credit note of that invoice"):
            credit_note.with_user(clerk).reversed_entry_id = other
        credit_note.with_user(clerk).action_post()
        self.assertFalse(self.move.collection_disputed)
        self.assertEqual(self.move.collection_hold_until, DAY0 + timedelta(days=10))
        resolved = self.events(self.customer, "dispute").filtered(
            lambda e: "customer is right" in str(e.note)
        )
        self.assertEqual(len(resolved), 1)
        self.assertEqual(resolved.move_ids, self.move)
        self.assertIn(credit_note.name, str(resolved.note))
        self.assertIn(resolved.mail_message_id, self.customer.message_ids)
        self.assertIn("customer is right", str(resolved.mail_message_id.body))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("summary", "=", "Resolve a dispute")]
            ),
            "the manager's To-Do is done",
        )
        # Nobody else marks a credit note as resolving a dispute.
        with self.assertRaisesRegex(UserError, "Resolves a dispute: kept by"):
            credit_note.with_user(clerk).collection_resolves_dispute = False
        with self.assertRaisesRegex(UserError, "not disputed"):
            self.move.action_collection_dispute_confirmed()

    def test_plan_requested_opens_the_plan(self):
        action = self.call("plan_requested")
        self.assertEqual(action["res_model"], "collection.payment.plan")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_no_answer_schedules_the_next_attempt(self):
        self.call("no_answer")
        nxt = self.collection_activities(self.customer)
        self.assertEqual(len(nxt), 1)
        self.assertEqual(nxt.date_deadline, DAY0 + timedelta(days=1))
        self.assertEqual(nxt.activity_type_id.category, "phonecall")

    def test_the_next_attempt_is_the_calls_own(self):
        """Whoever logs an unanswered call (a colleague answering the customer's call back,
        say), the next attempt stays with the call's assignee, with its note: whom to call,
        what to ask for, in what tone."""
        collector = new_test_user(
            self.env, "collector", groups="account.group_account_invoice", name="Carla"
        )
        self.customer.collection_responsible_id = collector
        self.run_engine()
        first = self.collection_activities(self.customer)
        self.assertEqual(first.user_id, collector)
        self.assertIn("firm, professional and courteous", str(first.note))
        self.call("no_answer")
        nxt = self.collection_activities(self.customer)
        self.assertEqual(nxt.user_id, collector)
        self.assertIn("firm, professional and courteous", str(nxt.note))
        # Not the note of a wrong contact: it names the wrong one.
        right = self.env["res.partner"].create({"name": "Ann", "parent_id": self.customer.id})
        self.call("wrong_contact", when=NOON + timedelta(days=1), right_contact_id=right.id)
        nxt = self.collection_activities(self.customer)
        self.assertEqual(nxt.user_id, collector)
        self.assertFalse(nxt.note)
        self.assertIn("Ann", nxt.summary)

    def test_a_collection_call_is_done_by_logging_it(self):
        """Marked done from the chatter, a call would leave no outcome and no count under the
        contact rules: it is refused, and logging the call closes it."""
        self.run_engine()
        activity = self.collection_activities(self.customer)
        with self.assertRaisesRegex(UserError, "is a collection call: log it with Log call"):
            activity.action_feedback(feedback="Called")
        self.assertTrue(activity.exists())
        # Not a call: a To-Do of the customer is marked done as ever.
        todo = self.customer.activity_schedule("mail.mail_activity_data_todo")
        todo.action_feedback(feedback="Done")
        self.assertFalse(todo.exists())
        self.call("no_answer")
        self.assertFalse(activity.exists())

    def test_a_salesperson_schedules_and_marks_done_a_call_of_their_own(self):
        """Collection calls are logged in the call dialog, by collection users. An employee who
        is not one (a salesperson) may still schedule a call of that type on a customer, and
        mark it done; and is told why a collection call cannot be logged by them."""
        salesperson = new_test_user(
            self.env, "salesperson", groups="base.group_user,base.group_partner_manager"
        )
        call_type = f"{MODULE}.mail_activity_type_collection_call"
        own = self.customer.with_user(salesperson).activity_schedule(call_type)
        self.assertFalse(own.collection_is_call)
        own.with_user(salesperson).action_feedback(feedback="Called about the new order")
        self.assertFalse(own.exists())
        self.run_engine()
        call = self.collection_activities(self.customer)
        self.assertTrue(call.collection_is_call)
        with self.assertRaisesRegex(AccessError, "Only collection users log collection calls"):
            call.with_user(salesperson).action_collection_log_call()

    def test_calls_by_hand_are_left_alone_by_the_run(self):
        """Collection calls scheduled by hand, on a customer with nothing past due yet or on
        a contact of a customer, are not the run's to close."""
        not_due = self._customer("Deco Addict")
        self._invoice(not_due, -10)
        maria = self.env["res.partner"].create({"name": "Maria", "parent_id": self.customer.id})
        call_type = f"{MODULE}.mail_activity_type_collection_call"
        calls = not_due.activity_schedule(call_type) | maria.activity_schedule(call_type)
        self.run_engine()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(calls.exists(), calls)

    def test_calls_without_a_call_stage_are_calls_to_make(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            f"{MODULE}.mail_activity_action_collection_call"
        )
        domain = safe_eval(action["domain"], {"allowed_company_ids": self.env.company.ids})
        domain += [("res_id", "=", self.customer.id)]
        # The company has no call stage: the next call has no stage either.
        self.stage["call"].action_archive()
        self.run_engine()
        self.call("no_answer")
        again = self.env["mail.activity"].search(domain)
        self.assertEqual(len(again), 1)
        self.assertFalse(again.collection_stage_id)
        # Logging the next call closes it.
        self.call("no_answer", when=NOON + timedelta(days=1))
        self.assertFalse(again.exists())
        self.assertEqual(len(self.env["mail.activity"].search(domain)), 1)
        # A collection call scheduled by hand is one to make too, or made one by hand.
        self.env["mail.activity"].search(domain).unlink()
        by_hand = self.customer.activity_schedule(f"{MODULE}.mail_activity_type_collection_call")
        self.assertEqual(self.env["mail.activity"].search(domain), by_hand)
        todo = self.customer.activity_schedule("mail.mail_activity_data_todo")
        todo.activity_type_id = self.env.ref(f"{MODULE}.mail_activity_type_collection_call")
        self.assertEqual(self.env["mail.activity"].search(domain), by_hand | todo)
        todo.unlink()
        # It stays while the invoice is held (a promise, say): there is still a debt.
        with freeze_time(NOON + timedelta(days=1)):
            action = self.move.action_collection_hold()
            pause = self.env[action["res_model"]].browse(action["res_id"])
            pause.hold_until = DAY0 + timedelta(days=20)
            pause.action_confirm()
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertTrue(by_hand.exists())
        # Once nothing is left to chase, the run closes it.
        self._pay(self.move, day=DAY0 + timedelta(days=3))
        self.run_engine(DAY0 + timedelta(days=3))
        self.assertFalse(by_hand.exists())

    def test_wrong_contact_asks_for_the_right_one(self):
        with self.assertRaisesRegex(UserError, "right contact"):
            self.call("wrong_contact")
        self.assertFalse(self.events(self.customer, "call"))
        billing = self.env["res.partner"].create(
            {
                "name": "Front Desk",
                "parent_id": self.customer.id,
                "type": "invoice",
                "phone": "+1 555 0100",
            }
        )
        # Created from the dialog, with no phone number yet.
        right = self.env["res.partner"].create(
            {"name": "Maria Payables", "parent_id": self.customer.id}
        )
        stranger = self._customer("Deco Addict")
        with self.assertRaisesRegex(UserError, "is not a contact of"):
            self.call("wrong_contact", contact_id=billing.id, right_contact_id=stranger.id)
        self.call("wrong_contact", contact_id=billing.id, right_contact_id=right.id)
        next_call = self.collection_activities(self.customer)
        self.assertIn("Maria Payables", next_call.summary)
        # Remembered on the customer: the next call's dialog, from that activity or from the
        # invoice, is to them, not to the invoice address that was the wrong one.
        self.assertEqual(self.customer.collection_contact_id, right)
        with freeze_time(NOON + timedelta(days=1)):
            for action in (
                next_call.action_collection_log_call(),
                self.move.action_collection_log_call(),
            ):
                wizard = self.env[action["res_model"]].browse(action["res_id"])
                self.assertEqual(wizard.contact_id, right)
        # Gone to work for another company, they are not called about this customer's debt.
        right.parent_id = self._customer("Deco Addict")
        self.assertEqual(self.customer._collection_call_contact(), billing)

    def test_already_paid_lists_unreconciled_payments(self):
        payment = self._unmatched_payment("inbound", 1000.0, DAY0)
        with freeze_time(NOON):
            action = self.move.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            self.assertEqual(len(wizard.unreconciled_payment_ids), 1)
            wizard.write({"outcome": "already_paid"})
            wizard.action_confirm()
        todo = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("summary", "=", "Check the customer's payment"),
            ]
        )
        self.assertIn(f"{payment.move_id.name} (03/02/2026: $&nbsp;1,000.00)", str(todo.note))
        # Said again on a later call: added to the same To-Do.
        self.call("already_paid", when=NOON + timedelta(hours=1))
        self.assertEqual(
            self.customer.activity_ids.filtered(
                lambda a: a.summary == "Check the customer's payment"
            ),
            todo,
        )
        self.assertEqual(str(todo.note).count("The customer says"), 2)

    def test_bad_promises_are_refused_and_nothing_is_written(self):
        cases = [
            ({"promise_date": DAY0 - timedelta(days=1), "promise_amount": 100.0}, "after today"),
            ({"promise_date": DAY0, "promise_amount": 100.0}, "after today"),
            ({"promise_date": DAY0 + timedelta(days=5), "promise_amount": 0.0}, "more than zero"),
            (
                {"promise_date": DAY0 + timedelta(days=5), "promise_amount": 1000.01},
                "more than the balance",
            ),
        ]
        for values, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message):
                self.call("promise_to_pay", **values)
        self.assertFalse(self.events(self.customer))
        self.assertFalse(self.move.collection_hold_until)
        with self.assertRaisesRegex(UserError, "what the customer disputes"):
            self.call("dispute", dispute_reason=" ")
        self.assertFalse(self.move.collection_disputed)
