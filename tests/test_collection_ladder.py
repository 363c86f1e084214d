"""The daily run puts overdue invoices on the ladder and does what each stage asks."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import DAY0, MODULE, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionLadder(CollectionCase):
    def test_default_ladder(self):
        self.assertEqual(
            [(s.kind, s.min_days_overdue, s.auto_execute) for s in self.ladder],
            [
                ("reminder", 1, True),
                ("call", 30, True),
                ("negotiation", 60, False),
                ("agency", 90, False),
                ("legal", 120, False),
            ],
        )

    def test_stage_executing_needs_an_activity(self):
        Stage = self.env["collection.stage"]
        agency = Stage.create({"name": "Second agency", "kind": "agency", "sequence": 45})
        self.assertFalse(agency.auto_execute, "firmer stages are proposed by default")
        with self.assertRaisesRegex(ValidationError, "no activity to schedule"):
            agency.auto_execute = True
        agency.write(
            {
                "auto_execute": True,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            }
        )
        self.assertTrue(agency.auto_execute)
        with self.assertRaisesRegex(ValidationError, "no activity to schedule"):
            Stage.create({"name": "Second call", "kind": "call", "sequence": 25})

    def test_placement_at_each_boundary(self):
        expected = {
            0: False,
            1: "reminder",
            29: "reminder",
            30: "call",
            59: "call",
            60: "negotiation",
            89: "negotiation",
            90: "agency",
            119: "agency",
            120: "legal",
            240: "legal",
        }
        moves = {days: self._invoice(self.customer, days) for days in expected}
        self.run_engine()
        for days, kind in expected.items():
            with self.subTest(days=days):
                stage = moves[days].collection_stage_id
                self.assertEqual(stage.kind if stage else False, kind)
        self.assertEqual(self.customer.collection_stage_id, self.stage["legal"])
        with freeze_time(DAY0):
            self.assertEqual(self.customer.collection_overdue_amount, 1000.0 * (len(expected) - 1))

    def test_min_amount_keeps_small_invoices_back(self):
        self.stage["call"].min_amount = 500
        small = self._invoice(self.customer, 40, amount=100)
        big = self._invoice(self.customer, 40, amount=800)
        self.run_engine()
        self.assertEqual(small.collection_stage_id, self.stage["reminder"])
        self.assertEqual(big.collection_stage_id, self.stage["call"])

    def test_the_ladder_goes_by_days_overdue(self):
        """A stage added from its form, on the default sequence, takes its place on the ladder
        by its days overdue."""
        final = self.env["collection.stage"].create(
            {"name": "Final demand", "kind": "reminder", "min_days_overdue": 45}
        )
        # Created without its days (as from an import), a stage counts from the first day.
        self.env["collection.stage"].create({"name": "Courtesy note", "kind": "reminder"})
        before, on_it = self._invoice(self.customer, 44), self._invoice(self.customer, 50)
        self.run_engine()
        self.assertEqual(before.collection_stage_id, self.stage["call"])
        self.assertEqual(on_it.collection_stage_id, final)

    def test_a_stage_in_use_is_archived_not_deleted(self):
        move = self._invoice(self.customer, 40)
        self.run_engine()
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.stage["call"].unlink()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        unused = self.env["collection.stage"].create({"name": "Unused", "min_days_overdue": 200})
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_stage_never_moves_back(self):
        move = self._invoice(self.customer, 65)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])
        self.stage["negotiation"].min_days_overdue = 70
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])

    def test_archived_stage_keeps_its_invoices_until_they_move_on(self):
        move = self._invoice(self.customer, 40)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.stage["call"].action_archive()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.run_engine(DAY0 + timedelta(days=20))
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])
        self.assertEqual(
            self.events(self.customer, "stage_change").stage_id,
            self.stage["call"] | self.stage["negotiation"],
        )

    def test_stage_set_by_hand_is_logged_and_kept(self):
        move = self._invoice(self.customer, 10)
        self.run_engine()
        with freeze_time(DAY0 + timedelta(days=1)):
            move.collection_stage_id = self.stage["negotiation"]
        self.assertEqual(move.collection_stage_date, DAY0 + timedelta(days=1))
        self.assertEqual(move.collection_last_action_date, DAY0 + timedelta(days=1))
        change = self.events(self.customer, "stage_change").filtered(
            lambda e: e.stage_id == self.stage["negotiation"]
        )
        self.assertEqual(change.move_ids, move)
        self.assertIn("by hand", str(change.note))
        self.assertIn("by hand", str(change.mail_message_id.body))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])

    def test_no_stage_by_hand_for_a_paid_invoice(self):
        """The form keeps the stage of a paid invoice read-only; dragging its card in the
        Collections kanban, before the daily run took it off the ladder, is refused too."""
        move = self._invoice(self.customer, 35)
        self.run_engine()
        self._pay(move, day=DAY0)
        with self.assertRaisesRegex(UserError, "paid"):
            move.collection_stage_id = self.stage["negotiation"]
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        # Taking it off the ladder is still allowed.
        move.collection_stage_id = False
        self.assertFalse(move.collection_stage_id)

    def test_invoice_reset_to_draft_keeps_its_stage(self):
        move = self._invoice(self.customer, 10)
        self.run_engine()
        with freeze_time(DAY0 + timedelta(days=1)):
            move.collection_stage_id = self.stage["negotiation"]
            move.button_draft()
        # A daily run while it is corrected: not chased, still on its stage, no action due.
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])
        self.assertFalse(self.customer.collection_stage_id)
        self.assertFalse(move.collection_next_action_date)
        with freeze_time(DAY0 + timedelta(days=2)):
            move.action_post()
        self.run_engine(DAY0 + timedelta(days=3))
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])
        self.assertTrue(move.collection_stage_manual)
        self.assertEqual(self.customer.collection_stage_id, self.stage["negotiation"])
        self.assertTrue(move.collection_next_action_date)

    def test_customer_stage_follows_a_stage_set_by_hand(self):
        """When the change is committed, not at the next daily run; the activities of a stage
        firmer than the new one close then too, and those of the new stage come with the
        run."""
        move = self._invoice(self.customer, 45)
        self.run_engine()
        call = self.collection_activities(self.customer)
        self.assertEqual(call.collection_stage_id, self.stage["call"])
        with freeze_time(DAY0 + timedelta(days=1)):
            move.collection_stage_id = self.stage["negotiation"]
        self.commit_point()
        self.assertEqual(self.customer.collection_stage_id, self.stage["negotiation"])
        self.assertEqual(self.collection_activities(self.customer), call)
        with freeze_time(DAY0 + timedelta(days=1)):
            move.collection_stage_id = self.stage["reminder"]
        self.commit_point()
        self.assertEqual(self.customer.collection_stage_id, self.stage["reminder"])
        self.assertFalse(call.exists())

    def test_draft_taken_off_the_ladder_by_hand_has_no_next_action(self):
        move = self._invoice(self.customer, 35)
        self.run_engine()
        self.assertTrue(move.collection_next_action_date)
        with freeze_time(DAY0 + timedelta(days=1)):
            move.button_draft()
            move.collection_stage_id = False
        self.assertFalse(move.collection_next_action_date)

    def test_invoice_corrected_in_draft_starts_over(self):
        postponed = self._invoice(self.customer, 40)
        other = self._customer("Deco Addict")
        moved = self._invoice(self.customer, 40)
        self.run_engine()
        self.assertEqual((postponed | moved).collection_stage_id, self.stage["call"])
        call = self.collection_activities(self.customer)
        self.assertTrue(call)
        with freeze_time(DAY0 + timedelta(days=1)):
            (postponed | moved).button_draft()
            postponed.write(
                {"invoice_payment_term_id": False, "invoice_date_due": DAY0 + timedelta(days=20)}
            )
            moved.partner_id = other
            (postponed | moved).action_post()
        # Not past due any more, or another customer's: off the ladder, and noted for the
        # customer whose stage it was.
        self.assertFalse(postponed.collection_stage_id)
        self.assertFalse(moved.collection_stage_id)
        notes = self.events(self.customer, "note")
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.move_ids, postponed | moved)
        self.assertIn("another due date or customer", notes.note)
        # Placed again by its days overdue, like any invoice.
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(moved.collection_stage_id, self.stage["call"])
        self.assertFalse(postponed.collection_stage_id)
        # The reminder it got went to the first customer: the new one is reminded at once. The
        # first customer, reminded on DAY0, is not again before DAY0 + 30.
        self.assertEqual(self.reminders(other).move_ids, moved)
        self.assertEqual(moved.collection_reminder_count, 1)
        self.assertEqual(postponed.collection_last_reminder_date, DAY0)
        # The first customer has nothing left to chase: its stage and its call go.
        self.assertFalse(self.customer.collection_stage_id)
        self.assertFalse(call.exists())
        self.run_engine(DAY0 + timedelta(days=21))
        self.assertEqual(postponed.collection_stage_id, self.stage["reminder"])

    def test_invoice_created_on_a_stage_is_on_it_by_hand(self):
        with freeze_time(DAY0):
            move = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": DAY0 - timedelta(days=100),
                    "collection_stage_id": self.stage["call"].id,
                    "invoice_line_ids": [
                        Command.create({"name": "Imported", "quantity": 1, "price_unit": 500})
                    ],
                }
            )
        self.assertEqual(move.collection_stage_date, DAY0)
        self.assertTrue(move.collection_stage_manual)
        change = self.events(self.customer, "stage_change")
        self.assertEqual(change.move_ids, move)
        self.assertEqual(change.stage_id, self.stage["call"])
        self.assertIn("by hand", str(change.note))
        # A run while it is a draft leaves it alone; posted, it goes on from its stage: still on
        # Call the next day, 101 days overdue.
        self._invoice(self.customer, 35)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        move.action_post()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(move.collection_stage_id, self.stage["call"])

    def test_stage_moved_back_by_hand_restarts_from_it(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        with freeze_time(DAY0):
            move.collection_stage_id = self.stage["reminder"]
        self.assertTrue(move.collection_stage_manual)
        # Call starts 29 days after the first day of Overdue reminder: the invoice stays on it
        # that long, although it is 45 days and more overdue.
        self.run_engine(DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=28))
        self.assertEqual(move.collection_stage_id, self.stage["reminder"])
        self.run_engine(DAY0 + timedelta(days=29))
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        # And so on, stage after stage: Negotiation 30 days after Call, not at once although
        # the invoice is 74 days overdue.
        self.run_engine(DAY0 + timedelta(days=30))
        self.run_engine(DAY0 + timedelta(days=58))
        self.assertEqual(move.collection_stage_id, self.stage["call"])
        self.run_engine(DAY0 + timedelta(days=59))
        self.assertEqual(move.collection_stage_id, self.stage["negotiation"])
        # Paid, then unpaid again (the payment cancelled): back on the ladder by its days
        # overdue, 106: Collection agency.
        payment = self._pay(move, day=DAY0 + timedelta(days=60))
        self.run_engine(DAY0 + timedelta(days=60))
        self.assertFalse(move.collection_stage_manual)
        payment.move_id.button_draft()
        self.run_engine(DAY0 + timedelta(days=61))
        self.assertEqual(move.collection_stage_id, self.stage["agency"])

    def test_reminder_every_30_days(self):
        move = self._invoice(self.customer, 0)
        sent_on = []
        for offset in (1, 2, 30, 31, 32, 60, 61):
            before = len(self.reminders(self.customer))
            self.run_engine(DAY0 + timedelta(days=offset))
            if len(self.reminders(self.customer)) > before:
                sent_on.append(offset)
        self.assertEqual(sent_on, [1, 31, 61])
        # Each reminder's copy of the invoice is kept on the invoice under its own, dated name.
        stem = move._get_invoice_report_filename().removesuffix(".pdf")
        copies = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", move.id)]
        )
        self.assertEqual(
            sorted(copies.mapped("name")),
            [
                f"{stem} - overdue reminder {DAY0 + timedelta(days=offset)}.html"
                for offset in sent_on
            ],
        )
        self.assertEqual(move.collection_reminder_count, 3)
        self.assertEqual(move.collection_last_reminder_date, DAY0 + timedelta(days=61))
        # The next reminder would be on day 91, but the invoice reaches the agency stage,
        # which has no email, on day 90.
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=90))

    def test_next_action_follows_the_ladder(self):
        move = self._invoice(self.customer, 0)
        expected = {1: 30, 30: 31, 31: 60, 60: 61, 90: 120, 120: False}
        for offset, following in expected.items():
            self.run_engine(DAY0 + timedelta(days=offset))
            self.assertEqual(
                move.collection_next_action_date,
                following and DAY0 + timedelta(days=following),
                f"day {offset}",
            )
            self.assertEqual(move.collection_last_action_date, DAY0 + timedelta(days=offset))
        # Moved back by hand to the first stage on day 125: its last reminder was on day 31,
        # so one is due at once; then it reaches Call again 29 days later.
        with freeze_time(DAY0 + timedelta(days=125)):
            move.collection_stage_id = self.stage["reminder"]
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=125))
        self.run_engine(DAY0 + timedelta(days=126))
        self.assertEqual(move.collection_last_reminder_date, DAY0 + timedelta(days=126))
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=154))

    def test_no_next_action_while_nothing_is_planned(self):
        """An invoice the run no longer places (collection paused, or the customer's credits
        pay it) shows no next action; it gets one again once it is chased."""
        held = self._invoice(self.customer, 10)
        blocked = self._invoice(self.customer, 10)
        other = self._customer("Deco Addict")
        credited = self._invoice(other, 10)
        self.run_engine()
        for move in held | blocked | credited:
            self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=20))
        held.collection_hold_until = DAY0 + timedelta(days=40)
        blocked.action_toggle_block_payment()
        self.init_invoice(
            "out_refund", partner=other, invoice_date=DAY0, amounts=[1000.0], taxes=[], post=True
        )
        self.run_engine(DAY0 + timedelta(days=1))
        for move in held | blocked | credited:
            self.assertFalse(move.collection_next_action_date)
        self.assertEqual(held.collection_stage_id, self.stage["reminder"])
        # The hold over, the run dates its next action again: it reached Call on day 20 and
        # got its reminder of that stage at once.
        self.run_engine(DAY0 + timedelta(days=40))
        self.assertEqual(held.collection_stage_id, self.stage["call"])
        self.assertEqual(held.collection_next_action_date, DAY0 + timedelta(days=50))

    def test_no_next_action_for_an_excluded_customer(self):
        move = self._invoice(self.customer, 10)
        self.run_engine()
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=20))
        self.customer.write(
            {"collection_excluded": True, "collection_exclusion_reason": "Insolvency proceedings"}
        )
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(move.collection_next_action_date)

    def test_next_reminder_on_the_last_stage_is_dated_again_after_a_hold(self):
        """A ladder whose last stage emails: the hold over, the invoice's next reminder is
        dated again, though no stage follows and none is due that day."""
        (self.ladder - self.stage["reminder"]).active = False
        move = self._invoice(self.customer, 10)
        self.run_engine()
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=30))
        move.collection_hold_until = DAY0 + timedelta(days=5)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(move.collection_next_action_date)
        self.run_engine(DAY0 + timedelta(days=5))
        self.assertEqual(len(self.reminders(self.customer)), 1)
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=30))

    def test_invoice_with_no_next_action_is_dated_by_the_run(self):
        """As an invoice reminded before next actions counted the stages: on Call, with no
        date, it gets one the next day, without any other change."""
        move = self._invoice(self.customer, 35)
        self.run_engine()
        self.env["collection.engine"]._collection_write_moves(
            {move: {"collection_next_action_date": False}}
        )
        self.run_engine(DAY0 + timedelta(days=1))
        # Reminded on day 0; Negotiation on day 25.
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=25))

    def test_next_action_of_a_stage_set_by_hand_before_any_reminder(self):
        move = self._invoice(self.customer, 5)
        with freeze_time(DAY0):
            move.collection_stage_id = self.stage["call"]
        # Never reminded: the next run reminds it, with the Call stage's email.
        self.assertEqual(move.collection_next_action_date, DAY0)
        self.run_engine()
        self.assertEqual(self.reminders(self.customer).stage_id, self.stage["call"])
        self.assertEqual(move.collection_next_action_date, DAY0 + timedelta(days=30))

    def test_one_email_per_customer(self):
        moves = self._invoice(self.customer, 3) | self._invoice(self.customer, 10)
        other = self._customer("Deco Addict")
        self._invoice(other, 5)
        self.run_engine()
        reminder = self.reminders(self.customer)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.move_ids, moves)
        self.assertEqual(reminder.amount_overdue, 2000.0)
        self.assertEqual(len(self.queued_mails(self.customer)), 1)
        message = reminder.mail_message_id
        self.assertEqual(message.model, "res.partner")
        self.assertEqual(message.res_id, self.customer.id)
        self.assertIn("OVERDUE", message.subject)
        for move in moves:
            self.assertIn(move.name, str(message.body))
        self.assertEqual(len(message.attachment_ids), 2)
        self.assertEqual(len(self.reminders(other)), 1)

    def test_reminder_goes_to_invoice_contacts(self):
        billing = self.env["res.partner"].create(
            {
                "name": "Accounts payable",
                "type": "invoice",
                "email": "ap@azure.example.com",
                "parent_id": self.customer.id,
            }
        )
        self._invoice(self.customer, 3)
        self.run_engine()
        message = self.reminders(self.customer).mail_message_id
        self.assertEqual(message.partner_ids, billing)
        self.assertEqual(self.queued_mails(self.customer).recipient_ids, billing)

    def test_customer_without_email_is_not_emailed_and_it_is_noted(self):
        self.customer.write({"email": False, "collection_responsible_id": self.env.user.id})
        self._invoice(self.customer, 3)
        self.run_engine()
        reminder = self.reminders(self.customer)
        self.assertIn("Not emailed", str(reminder.note))
        self.assertFalse(reminder.mail_message_id.partner_ids)
        self.assertFalse(reminder.mail_message_id.mail_ids)
        # The collection responsible is asked to post it, or to add an address: once.
        no_email = self.env.ref(f"{MODULE}.mail_activity_type_collection_no_email")
        asked = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == no_email)
        self.assertEqual(asked.user_id, self.env.user)
        self.assertIn(reminder.move_ids.name, str(asked.note))
        self.run_engine(DAY0 + timedelta(days=30))
        self.assertEqual(len(self.reminders(self.customer)), 2)
        self.assertEqual(
            self.customer.activity_ids.filtered(lambda a: a.activity_type_id == no_email), asked
        )
        # The customer's Collection tab warns of it, until an invoice address has an email.
        self.assertTrue(self.customer.collection_unreachable)
        self.env["res.partner"].create(
            {
                "name": "Accounts payable",
                "type": "invoice",
                "email": "ap@azure.example.com",
                "parent_id": self.customer.id,
            }
        )
        self.assertFalse(self.customer.collection_unreachable)

    def test_reminder_not_emailed_is_closed_once_nothing_is_owed(self):
        """The task of posting a reminder goes once the customer has paid: left open, it
        would also keep the next reminder's task from being given."""
        self.customer.write({"email": False, "collection_responsible_id": self.env.user.id})
        move = self._invoice(self.customer, 3)
        self.run_engine()
        no_email = self.env.ref(f"{MODULE}.mail_activity_type_collection_no_email")
        asked = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == no_email)
        self.assertTrue(asked)
        # Still owed, if on hold: the reminder still has to reach the customer.
        move.collection_hold_until = DAY0 + timedelta(days=10)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertTrue(asked.exists())
        self._pay(move, day=DAY0 + timedelta(days=2))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertFalse(asked.exists())
        done = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(any("Nothing to collect for now" in str(m.body) for m in done))

    def assert_not_emailed(self, customer):
        """The customer's reminder reached no one, and its collection responsible is asked
        to post it."""
        self.assertIn("Not emailed", str(self.reminders(customer).note))
        self.assertFalse(self.queued_mails(customer))
        no_email = self.env.ref(f"{MODULE}.mail_activity_type_collection_no_email")
        self.assertTrue(customer.activity_ids.filtered(lambda a: a.activity_type_id == no_email))
        self.assertTrue(customer.collection_unreachable)

    def test_archived_contacts_are_not_counted_on_to_receive_reminders(self):
        """Odoo emails no archived partner: a reminder to one would be recorded as sent and
        reach nobody."""
        self.customer.collection_responsible_id = self.env.user
        self._invoice(self.customer, 3)
        self.customer.active = False
        self.run_engine()
        self.assert_not_emailed(self.customer)

    def test_an_invalid_email_address_is_no_address(self):
        """Odoo sends nothing to "n/a": the reminder would be counted as sent, and fail."""
        self.customer.collection_responsible_id = self.env.user
        self.customer.email = "n/a"
        self._invoice(self.customer, 3)
        self.run_engine()
        self.assert_not_emailed(self.customer)
        # An invoice address with a valid one mends it.
        self.customer.child_ids = [
            Command.create({"name": "AP", "type": "invoice", "email": "ap@azure.example.com"})
        ]
        self.assertFalse(self.customer.collection_unreachable)

    def test_stage_that_reminds_once(self):
        self.stage["agency"].write(
            {
                "mail_template_id": self.stage["reminder"].mail_template_id.id,
                "repeat_days": 0,
            }
        )
        self.stage["legal"].min_days_overdue = 300  # stays on the agency stage
        move = self._invoice(self.customer, 80)
        self.run_engine()
        self.run_engine(DAY0 + timedelta(days=10))  # 90 days overdue: the agency stage
        self.assertEqual(move.collection_stage_id, self.stage["agency"])
        agency_reminders = self.reminders(self.customer).filtered(
            lambda r: r.stage_id == self.stage["agency"]
        )
        self.assertEqual(len(agency_reminders), 1)
        for offset in (40, 70):
            self.run_engine(DAY0 + timedelta(days=offset))
        self.assertEqual(move.collection_stage_id, self.stage["agency"])
        self.assertEqual(len(self.reminders(self.customer)), 2)

    def test_second_run_same_day_does_nothing(self):
        self._invoice(self.customer, 3)
        self._invoice(self.customer, 45)
        self.run_engine()
        counts = (
            len(self.events(self.customer)),
            len(self.queued_mails(self.customer)),
            len(self.collection_activities(self.customer)),
        )
        self.assertEqual(counts[1], 1)
        self.assertEqual(counts[2], 1)
        self.run_engine()
        self.assertEqual(
            counts,
            (
                len(self.events(self.customer)),
                len(self.queued_mails(self.customer)),
                len(self.collection_activities(self.customer)),
            ),
        )

    def test_one_call_activity_per_customer(self):
        self._invoice(self.customer, 35)
        self._invoice(self.customer, 40, amount=250)
        self.customer.phone = "+1 555 0100"
        self.run_engine()
        activity = self.collection_activities(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("account_collection_stages.mail_activity_type_collection_call"),
        )
        self.assertEqual(activity.activity_type_id.category, "phonecall")
        note = str(activity.note)
        self.assertIn("+1 555 0100", note)
        self.assertIn("firm, professional and courteous", note)
        self.assertIn("1,250.00", note)
        self.assertEqual(self.events(self.customer, "call").activity_id, activity)
        self.run_engine(DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=5))
        self.assertEqual(len(self.collection_activities(self.customer)), 1)

    def test_never_a_second_open_call(self):
        call_type = self.env.ref(f"{MODULE}.mail_activity_type_collection_call")
        # A call scheduled by hand, from the customer's chatter.
        self._invoice(self.customer, 35)
        by_hand = self.customer.activity_schedule(
            activity_type_id=call_type.id, user_id=self.env.user.id, date_deadline=DAY0
        )
        self.run_engine()
        calls = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        self.assertEqual(calls, by_hand)
        # A firmer stage that calls too, while the Call stage's call is still open.
        other = self._customer("Deco Addict")
        self._invoice(other, 55)
        self.stage["negotiation"].write({"auto_execute": True, "activity_type_id": call_type.id})
        self.run_engine()
        self.run_engine(DAY0 + timedelta(days=5))
        self.assertEqual(other.collection_stage_id, self.stage["negotiation"])
        calls = other.activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        self.assertEqual(calls.collection_stage_id, self.stage["call"])

    def test_calls_of_a_user_who_leaves_go_to_the_next_in_charge(self):
        """Odoo deletes an archived user's activities, and the run, which scheduled the call
        lately, would not schedule it again before the stage's 30 days: the collection ones
        are handed over first, to whom the run would give them now."""
        billing = self.env.ref("account.group_account_invoice")
        leaving, salesperson = self.env["res.users"].create(
            [
                {"name": name, "login": name.lower(), "groups_id": [(4, billing.id)]}
                for name in ("Leaving", "Salesperson")
            ]
        )
        self.customer.collection_responsible_id = leaving
        move = self._invoice(self.customer, 35, post=False)
        move.invoice_user_id = salesperson
        move.action_post()
        self.run_engine()
        call = self.collection_activities(self.customer)
        self.assertEqual(call.user_id, leaving)
        leaving.action_archive()
        self.assertTrue(call.exists())
        self.assertEqual(call.user_id, salesperson)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(self.collection_activities(self.customer), call)

    def test_call_goes_to_responsible_then_salesperson(self):
        accountant = self.env.user
        billing = self.env.ref("account.group_account_invoice")
        salesperson = self.env["res.users"].create(
            {
                "name": "Sales Rep",
                "login": "sales.rep",
                "email": "rep@example.com",
                "groups_id": [(4, billing.id)],
            }
        )
        move = self._invoice(self.customer, 35, post=False)
        move.invoice_user_id = salesperson
        move.action_post()
        self.run_engine()
        self.assertEqual(self.collection_activities(self.customer).user_id, salesperson)
        other = self._customer("Gemini Furniture", collection_responsible_id=accountant.id)
        other_move = self._invoice(other, 35, post=False)
        other_move.invoice_user_id = salesperson
        other_move.action_post()
        self.run_engine()
        self.assertEqual(self.collection_activities(other).user_id, accountant)
        # A responsible who left the company (archived) is passed over.
        gone = self.env["res.users"].create({"name": "Gone", "login": "gone"})
        third = self._customer("Lumber Inc", collection_responsible_id=gone.id)
        gone.active = False
        third_move = self._invoice(third, 35, post=False)
        third_move.invoice_user_id = salesperson
        third_move.action_post()
        self.run_engine()
        self.assertEqual(self.collection_activities(third).user_id, salesperson)
        # A salesperson who may not log collection calls is passed over too.
        seller = self.env["res.users"].create(
            {
                "name": "Seller",
                "login": "seller",
                "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
            }
        )
        fourth = self._customer("Ready Mat")
        fourth_move = self._invoice(fourth, 35, post=False)
        fourth_move.invoice_user_id = seller
        fourth_move.action_post()
        self.run_engine()
        self.assertNotEqual(self.collection_activities(fourth).user_id, seller)
        # So is a responsible with the collection rights but no invoicing rights: the call
        # dialog reads the customer's invoices.
        no_billing = self.env["res.users"].create(
            {
                "name": "Collector Without Billing",
                "login": "collector.no.billing",
                "groups_id": [(6, 0, self.env.ref(f"{MODULE}.group_collection_user").ids)],
            }
        )
        fifth = self._customer("Wood Corner", collection_responsible_id=no_billing.id)
        fifth_move = self._invoice(fifth, 35, post=False)
        fifth_move.invoice_user_id = salesperson
        fifth_move.action_post()
        self.run_engine()
        self.assertEqual(self.collection_activities(fifth).user_id, salesperson)

    def test_call_falls_back_to_the_company_collector(self):
        collector = self.env["res.users"].create(
            {
                "name": "Collector",
                "login": "collector",
                "groups_id": [(6, 0, self.env.ref("account.group_account_invoice").ids)],
            }
        )
        self.env.company.collection_default_user_id = collector
        move = self._invoice(self.customer, 35, post=False)
        move.invoice_user_id = False
        move.action_post()
        self.run_engine()
        self.assertEqual(self.collection_activities(self.customer).user_id, collector)

    def test_firmer_stages_are_proposed(self):
        self._invoice(self.customer, 95)
        self.run_engine()
        activity = self.collection_activities(self.customer)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertIn("Collection agency", activity.summary)
        self.assertEqual(activity.collection_stage_id, self.stage["agency"])
        self.assertTrue(self.events(self.customer, "agency"))

    def test_a_proposal_is_about_the_invoices_that_reached_its_stage(self):
        """Handing the debt to an agency is about the invoice 95 days past due, not the one of
        3 days; the proposal claims what it owes, less the customer's credits."""
        old = self._invoice(self.customer, 95, amount=6000.0)
        newer = self._invoice(self.customer, 3, amount=200.0)
        self._credit_note(self.customer, 2000.0)
        self.run_engine()
        proposal = self.events(self.customer, "agency")
        self.assertEqual(proposal.move_ids, old)
        self.assertEqual(
            (proposal.amount_overdue, proposal.amount_credit, proposal.amount_claimed),
            (6000.0, 2000.0, 4000.0),
        )
        note = str(self.collection_activities(self.customer).note)
        self.assertIn(old.name, note)
        self.assertNotIn(newer.name, note)
        self.assertIn("4,000.00", note)

    def test_finance_charge_is_stated_only_when_set(self):
        self._invoice(self.customer, 3)
        self.run_engine()
        self.assertNotIn("finance charge", str(self.reminders(self.customer).mail_message_id.body))
        self.env.company.collection_late_interest_rate = 10.0
        self.env.company.collection_late_fee = 40.0
        other = self._customer("Lumber Inc")
        self._invoice(other, 73, amount=3650.0)
        self.run_engine()
        reminder = self.reminders(other)
        # 3,650 × 10 % × 73 / 365 = 73.00 interest, plus the 40.00 fee
        self.assertEqual(reminder.finance_charge, 113.0)
        self.assertIn("113.00", str(reminder.mail_message_id.body))

    def test_every_action_is_in_the_partner_chatter(self):
        move = self._invoice(self.customer, 45)
        self.run_engine()
        events = self.events(self.customer)
        self.assertEqual(set(events.mapped("kind")), {"stage_change", "reminder", "call"})
        for event in events:
            with self.subTest(kind=event.kind):
                self.assertEqual(event.mail_message_id.model, "res.partner")
                self.assertEqual(event.mail_message_id.res_id, self.customer.id)
        # The stage change and the call are one entry of the customer's chatter; the reminder
        # is its email.
        logged = events.filtered(lambda e: e.kind != "reminder")
        self.assertEqual(len(logged.mail_message_id), 1)
        self.assertIn("Call", str(logged.mail_message_id.body))
        # The call's entry says who is to make it.
        call = events.filtered(lambda e: e.kind == "call")
        self.assertIn(f"Scheduled for {call.activity_id.user_id.name}", str(call.note))
        self.assertIn(str(call.note), str(logged.mail_message_id.body))
        self.assertIn(move.name, str(logged.mail_message_id.body))
        tracking = move.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "collection_stage_id"
        )
        self.assertEqual(tracking.new_value_char, self.stage["call"].display_name)

    def test_one_email_when_stages_have_emails_of_their_own(self):
        final_notice = self.env.ref(f"{MODULE}.mail_template_collection_reminder").copy(
            {"subject": "FINAL NOTICE from {{ object.company_id.name }}"}
        )
        self.stage["call"].mail_template_id = final_notice
        moves = self._invoice(self.customer, 3) | self._invoice(self.customer, 35)
        self.run_engine()
        reminder = self.reminders(self.customer)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.move_ids, moves)
        self.assertEqual(len(self.queued_mails(self.customer)), 1)
        # The firmest stage's email speaks for all of them.
        self.assertIn("FINAL NOTICE", reminder.mail_message_id.subject)

    def test_proposal_marked_done_is_not_made_again(self):
        self._invoice(self.customer, 95)
        self.run_engine()
        proposal = self.collection_activities(self.customer)
        self.assertEqual(proposal.collection_stage_id, self.stage["agency"])
        proposal.action_feedback(feedback="Not worth an agency yet")
        for days in (1, 10):
            self.run_engine(DAY0 + timedelta(days=days))
            self.assertFalse(self.collection_activities(self.customer))
        self.assertEqual(len(self.events(self.customer, "agency")), 1)
        # The next stage is proposed in its time.
        self.run_engine(DAY0 + timedelta(days=25))
        self.assertEqual(
            self.collection_activities(self.customer).collection_stage_id, self.stage["legal"]
        )

    def test_proposal_is_made_again_for_new_invoices_after_the_old_ones_are_paid(self):
        old = self._invoice(self.customer, 95)
        self.run_engine()
        self.collection_activities(self.customer).action_feedback(feedback="Agency called")
        self._pay(old, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(self.customer.collection_stage_id)
        self._invoice(self.customer, 100)
        self.run_engine(DAY0 + timedelta(days=2))
        proposal = self.collection_activities(self.customer)
        self.assertEqual(proposal.collection_stage_id, self.stage["agency"])
        self.assertEqual(len(self.events(self.customer, "agency")), 2)

    def test_call_done_comes_back_after_the_stage_repeat_days(self):
        self.stage["call"].repeat_days = 10
        self._invoice(self.customer, 35)
        self.run_engine()
        # Done (as logging the call does it).
        self.collection_activities(self.customer).with_context(
            collection_closing=True
        ).action_feedback(feedback="Called")
        self.run_engine(DAY0 + timedelta(days=5))
        self.assertFalse(self.collection_activities(self.customer))
        self.run_engine(DAY0 + timedelta(days=10))
        call = self.collection_activities(self.customer)
        self.assertEqual(call.collection_stage_id, self.stage["call"])
        self.assertEqual(len(self.events(self.customer, "call")), 2)

    def test_call_note_names_the_invoice_contact_to_call(self):
        self.env["res.partner"].create(
            {
                "name": "Accounts payable",
                "type": "invoice",
                "phone": "+1 555 0199",
                "parent_id": self.customer.id,
            }
        )
        self._invoice(self.customer, 35)
        self.run_engine()
        note = str(self.collection_activities(self.customer).note)
        self.assertIn("Accounts payable", note)
        self.assertIn("+1 555 0199", note)
        # An invoice address without a name of its own: ask for the customer's.
        other = self._customer("Gemini Furniture")
        self.env["res.partner"].create(
            {"type": "invoice", "phone": "+1 555 0142", "parent_id": other.id}
        )
        self._invoice(other, 35)
        self.run_engine()
        note = str(self.collection_activities(other).note)
        self.assertIn("Ask for <strong>Gemini Furniture</strong>", note)
        self.assertIn("+1 555 0142", note)
        # Invoices addressed to a person: that person, before any invoice address.
        third = self._customer("Lumber Inc")
        self.env["res.partner"].create(
            {"type": "invoice", "phone": "+1 555 0177", "parent_id": third.id}
        )
        jane = self.env["res.partner"].create(
            {"name": "Jane Payer", "phone": "+1 555 0123", "parent_id": third.id}
        )
        self._invoice(jane, 35)
        self.run_engine()
        note = str(self.collection_activities(third).note)
        self.assertIn("Ask for <strong>Jane Payer</strong>", note)
        self.assertIn("+1 555 0123", note)
