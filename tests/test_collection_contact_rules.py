"""Who may be called, and when: Regulation F's limits, calling hours, cease communication."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DAY0, MODULE, CollectionCase


def at(day_offset, hour, minute=0):
    return datetime.combine(DAY0 + timedelta(days=day_offset), datetime.min.time()) + timedelta(
        hours=hour, minutes=minute
    )


@tagged("standard", "post_install", "-at_install")
class TestCollectionContactRules(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consumer = cls._customer("Jane Doe", is_company=False, tz="UTC")
        cls.move = cls._invoice(cls.consumer, 40)

    def call(self, when, outcome="no_answer", partner=None, **values):
        partner = partner or self.consumer
        with freeze_time(when):
            action = partner.action_collection_log_call()
            wizard = partner.env[action["res_model"]].browse(action["res_id"])
            wizard.write({"outcome": outcome, **values})
            return wizard.action_confirm()

    def test_consumer_by_default(self):
        """Every individual is a consumer debtor until marked a business: the customer search
        finds them, to mark the sole traders."""
        self.assertTrue(self.consumer.collection_is_consumer)
        self.assertFalse(self.customer.collection_is_consumer)
        views = self.env["res.partner"].get_views([(False, "search")])["views"]
        self.assertIn('name="collection_consumer"', views["search"]["arch"])
        consumers = self.env["res.partner"].search(
            [
                ("id", "in", (self.consumer | self.customer).ids),
                ("collection_is_consumer", "=", True),
            ]
        )
        self.assertEqual(consumers, self.consumer)

    def test_seven_calls_in_seven_days(self):
        for offset, hour in ((0, 9), (0, 11), (0, 15), (1, 9), (1, 14), (2, 10), (2, 16)):
            self.call(at(offset, hour))
        with self.assertRaisesRegex(UserError, "before 03/09/2026 09:00 .UTC.: 7 calls"):
            self.call(at(3, 10))
        self.call(at(7, 9))
        self.assertEqual(len(self.events(self.consumer, "call").filtered("call_outcome")), 8)

    def test_two_calls_in_seven_days_in_massachusetts(self):
        """Massachusetts' rules reach creditors: 2 calls in 7 days about a consumer debt."""
        self.consumer.state_id = self.env["res.country.state"].search(
            [("country_id.code", "=", "US"), ("code", "=", "MA")]
        )
        self.call(at(0, 9))
        self.call(at(1, 9))
        with self.assertRaisesRegex(UserError, "before 03/09/2026 09:00 .UTC.: 2 calls"):
            self.call(at(2, 10))
        self.call(at(7, 9))
        # A business in Massachusetts is not a consumer debtor: Regulation F's cap only, if
        # the company applies the rules to all debts.
        self.env.company.collection_contact_rules = "all"
        self.customer.write({"state_id": self.consumer.state_id.id, "tz": "UTC"})
        self._invoice(self.customer, 40)
        for offset, hour in ((0, 9), (0, 11), (0, 15)):
            self.call(at(offset, hour), partner=self.customer)

    def test_seven_days_after_a_conversation(self):
        # Another company's conversation is about another debt: it does not count here, even
        # for a user who works in both.
        other = self.env["res.company"].create({"name": "Other Creditor"})
        self.env.user.company_ids |= other
        self.env["collection.event"]._collection_create(
            {
                "partner_id": self.consumer.id,
                "company_id": other.id,
                "kind": "call",
                "call_outcome": "refused",
                "call_time": at(0, 9),
                "date": DAY0,
            }
        )
        both = self.consumer.with_context(allowed_company_ids=[self.env.company.id, other.id])
        self.call(at(0, 10), "refused", partner=both)
        with self.assertRaisesRegex(
            UserError, "before 03/09/2026 08:00 .UTC.: a conversation about the debt on 03/02/2026"
        ):
            self.call(at(6, 18))
        self.call(at(7, 8))

    def test_a_call_is_judged_at_the_time_it_was_made(self):
        # Made at 20:55, logged at 21:05, after the calling hours.
        self.call(at(0, 21, 5), call_time=at(0, 20, 55))
        self.assertEqual(self.events(self.consumer, "call").call_time, at(0, 20, 55))
        with self.assertRaisesRegex(UserError, "in the future"):
            self.call(at(0, 21, 5), call_time=at(0, 21, 30))
        # Nor before the last call logged: the rules would not see that one.
        with self.assertRaisesRegex(UserError, "in the order they are made"):
            self.call(at(1, 10), call_time=at(0, 20, 50))

    def test_calls_the_customer_makes(self):
        self.call(at(0, 10), "refused")
        # The customer calls back the next day: logged, though no call may be placed to it.
        self.call(at(1, 10), "refused", inbound=True)
        self.assertTrue(self.events(self.consumer, "call").sorted("id")[-1].call_inbound)
        # That was a conversation too: 7 days from it.
        with self.assertRaisesRegex(UserError, "a conversation about the debt on 03/03/2026"):
            self.call(at(7, 9))
        self.call(at(8, 9))

    def test_only_placed_calls_count_to_seven(self):
        for offset, hour in ((0, 9), (0, 11), (0, 15), (1, 9), (1, 14), (2, 10)):
            self.call(at(offset, hour))
        self.call(at(2, 12), "left_message", inbound=True)
        self.call(at(2, 16))  # the seventh placed
        with self.assertRaisesRegex(UserError, "7 calls"):
            self.call(at(3, 10))

    def test_calling_hours_in_the_customer_time_zone(self):
        new_york = self._customer("John Roe", is_company=False, tz="America/New_York")
        self._invoice(new_york, 40)
        # 12:30 UTC is 07:30 in New York (EST in March before DST). The dialog says so as it
        # opens, before the collector dials, and refuses to log a call placed then.
        with freeze_time(at(0, 12, 30)):
            action = new_york.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            self.assertIn("before 03/02/2026 08:00", wizard.rules_warning)
            wizard.inbound = True
            self.assertFalse(wizard.rules_warning, "the customer may call at any time")
        with self.assertRaisesRegex(UserError, "before 03/02/2026 08:00 .America/New_York."):
            self.call(at(0, 12, 30), partner=new_york)
        self.call(at(0, 13, 30), partner=new_york)
        rome = self._customer("Mario Rossi", is_company=False, tz="Europe/Rome")
        self._invoice(rome, 40)
        # 20:30 UTC is 21:30 in Rome.
        with self.assertRaisesRegex(UserError, "before 03/03/2026 08:00 .Europe/Rome."):
            self.call(at(0, 20, 30), partner=rome)
        self.call(at(0, 19, 30), partner=rome)

    def test_calling_hours_in_every_zone_of_the_country_when_the_customer_has_none(self):
        """A customer of unknown time zone may be anywhere in its country: calls only when it
        is 08:00 to 21:00 all over it. In the United States in March, 18:00 to 02:00 UTC,
        from 08:00 in Hawaii to 21:00 in New York."""
        somewhere = self._customer(
            "Sam Poe", is_company=False, tz=False, country_id=self.env.ref("base.us").id
        )
        self._invoice(somewhere, 40)
        with self.assertRaisesRegex(
            UserError, "before 03/02/2026 13:00 .America/New_York.: .* every time zone of"
        ):
            self.call(at(0, 17, 30), partner=somewhere)
        self.call(at(0, 18, 0), partner=somewhere)
        with self.assertRaisesRegex(UserError, "before 03/03/2026 13:00 .America/New_York."):
            self.call(at(1, 2, 30), partner=somewhere, outcome="no_answer")
        # Shown in the company's own zone when the country has it.
        self.env.company.partner_id.tz = "America/Chicago"
        with self.assertRaisesRegex(UserError, "before 03/03/2026 12:00 .America/Chicago."):
            self.call(at(1, 2, 30), partner=somewhere, outcome="no_answer")

    def _somewhere_in(self, country, state_code):
        state = self.env["res.country.state"].search(
            [("country_id.code", "=", country), ("code", "=", state_code)]
        )
        partner = self._customer(
            f"Someone in {state.name}",
            is_company=False,
            tz=False,
            country_id=state.country_id.id,
            state_id=state.id,
        )
        self._invoice(partner, 40)
        return partner

    def test_calling_hours_in_every_zone_of_the_customer_state(self):
        """Of a customer of unknown time zone, the state narrows down where it may be: in
        California, 08:00 Pacific (16:00 UTC in March) is a calling time, hours before the
        whole country's; Texas spans Central and Mountain time."""
        california = self._somewhere_in("US", "CA")
        with self.assertRaisesRegex(
            UserError, "before 03/02/2026 08:00 .America/Los_Angeles.: .* time zone of California"
        ):
            self.call(at(0, 15, 30), partner=california)
        self.call(at(0, 16, 0), partner=california)
        texas = self._somewhere_in("US", "TX")
        with self.assertRaisesRegex(
            UserError, "before 03/02/2026 09:00 .America/Chicago.: .* every time zone of Texas"
        ):
            self.call(at(0, 14, 30), partner=texas)
        self.call(at(0, 15, 0), partner=texas)
        # Palau, listed with the US states, is on the other side of the Pacific: 18:00 UTC is
        # 03:00 there the next day.
        palau = self._somewhere_in("US", "PW")
        with self.assertRaisesRegex(UserError, "before 03/03/2026 08:00 .Pacific/Palau."):
            self.call(at(0, 18, 0), partner=palau)

    def test_calling_hours_in_spain_by_province(self):
        """Spain's Canary Islands are an hour behind the mainland: a customer in Madrid may be
        called at 08:00 there (07:00 UTC in winter), one in Las Palmas an hour later."""
        madrid = self._somewhere_in("ES", "M")
        self.call(at(0, 7, 0), partner=madrid)
        las_palmas = self._somewhere_in("ES", "GC")
        with self.assertRaisesRegex(UserError, "before 03/02/2026 08:00 .Atlantic/Canary."):
            self.call(at(0, 7, 0), partner=las_palmas)
        self.call(at(0, 8, 0), partner=las_palmas)

    def test_rules_do_not_bind_business_debts_by_default(self):
        self._invoice(self.customer, 40)
        self.customer.tz = "UTC"
        for hour in range(8, 16):
            self.call(at(0, hour), partner=self.customer)
        self.call(at(0, 22), partner=self.customer)
        self.env.company.collection_contact_rules = "all"
        with self.assertRaisesRegex(UserError, "may not be called before"):
            self.call(at(0, 23), partner=self.customer)

    def test_cease_communication(self):
        self.consumer.collection_no_contact = True
        with self.assertRaisesRegex(UserError, "cease communication"):
            self.call(at(0, 10))
        # Not even a collection manager's override lifts it (the test user is one).
        with self.assertRaisesRegex(UserError, "no override allows calling them"):
            self.call(at(0, 10), override_reason="The debt is large")
        self.assertFalse(self.events(self.consumer, "call"))
        # A call the customer makes is logged.
        self.call(
            at(0, 11),
            "promise_to_pay",
            inbound=True,
            promise_date=DAY0 + timedelta(days=5),
            promise_amount=1000.0,
        )
        self.assertEqual(len(self.events(self.consumer, "call")), 1)
        self.run_engine()
        self.assertFalse(self.reminders(self.consumer))
        self.assertFalse(self.collection_activities(self.consumer))
        # Any employee may edit contacts; only collection users lift the request, or lift the
        # consumer rules. Writing the values it has (a contact merge does) changes nothing.
        employee = new_test_user(
            self.env, "employee", groups="base.group_user,base.group_partner_manager"
        )
        as_employee = self.consumer.with_user(employee)
        with self.assertRaisesRegex(AccessError, "Cease communication, Consumer debtor"):
            as_employee.write({"collection_no_contact": False, "collection_is_consumer": False})
        as_employee.write({"collection_no_contact": True, "phone": "+1 555 0111"})
        self.assertTrue(self.consumer.collection_no_contact)
        self.assertEqual(self.consumer.phone, "+1 555 0111")

    def test_cease_communication_cancels_what_would_contact_the_customer(self):
        call_type = self.env.ref(f"{MODULE}.mail_activity_type_collection_call")
        no_email = self.env.ref(f"{MODULE}.mail_activity_type_collection_no_email")
        other = self._customer("Deco Addict")
        self._invoice(other, 40)
        self.consumer.email = False
        self.run_engine()
        self.assertEqual(
            set(self.consumer.activity_ids.activity_type_id.ids), {call_type.id, no_email.id}
        )
        by_hand = self.consumer.activity_schedule(
            activity_type_id=call_type.id, user_id=self.env.user.id
        )
        todo = self.consumer.activity_schedule(
            "mail.mail_activity_data_todo", summary="Check the contract", user_id=self.env.user.id
        )
        self.assertIn(by_hand, self.consumer.activity_ids)
        with freeze_time(DAY0):
            self.consumer.action_collection_cease_communication()
        # The calls and the reminder to post are cancelled, not marked done; the rest stays.
        self.assertEqual(self.consumer.activity_ids, todo)
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "=", self.consumer.id),
                    ("mail_activity_type_id", "in", (call_type | no_email).ids),
                ]
            )
        )
        self.assertTrue(self.collection_activities(other))
        self.assertIn("cease communication", self.events(self.consumer, "note").note)

    def test_calls_resume_once_communication_is_allowed_again(self):
        """The call cancelled when the customer asked to cease communication was never made:
        allowed again, the customer is called at the next run, not 30 days after it."""
        self.run_engine()
        call = self.collection_activities(self.consumer)
        self.assertEqual(call.collection_stage_id, self.stage["call"])
        with freeze_time(DAY0):
            self.consumer.action_collection_cease_communication()
        self.assertFalse(call.exists())
        self.assertTrue(self.events(self.consumer, "call").activity_cancelled)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertFalse(self.collection_activities(self.consumer))
        # Allowed after the day's run, on a day the run comes again.
        self.run_engine(DAY0 + timedelta(days=2))
        with freeze_time(DAY0 + timedelta(days=2)):
            self.consumer.action_collection_allow_communication()
        self.run_engine(DAY0 + timedelta(days=2))
        again = self.collection_activities(self.consumer)
        self.assertEqual(again.collection_stage_id, self.stage["call"])
        self.assertFalse(
            self.events(self.consumer, "call").filtered("activity_id").activity_cancelled
        )

    def test_engine_schedules_the_call_when_allowed(self):
        self.call(at(0, 10), "refused")
        self.run_engine(DAY0 + timedelta(days=1))
        activity = self.collection_activities(self.consumer)
        self.assertEqual(activity.date_deadline, DAY0 + timedelta(days=7))

    def test_manager_override_is_logged_and_only_for_managers(self):
        self.call(at(0, 10), "refused")
        clerk = new_test_user(self.env, "clerk", groups="account.group_account_invoice")
        with freeze_time(at(1, 10)):
            action = self.consumer.action_collection_log_call()
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            wizard.write(
                {
                    "outcome": "no_answer",
                    "note": "<p>Voicemail full</p>",
                    "override_reason": "Customer asked us to call",
                }
            )
            with self.assertRaisesRegex(AccessError, "override the contact rules"):
                wizard.with_user(clerk).action_confirm()
            wizard.action_confirm()
        logged = self.events(self.consumer, "call").filtered(
            lambda e: e.call_outcome == "no_answer"
        )
        self.assertIn("Customer asked us to call", str(logged.note))
        self.assertIn("Voicemail full", str(logged.note))
