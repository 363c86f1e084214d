"""Each company collects with its own ladder and settings; companies never see each other's."""

from datetime import datetime, time, timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DAY0, MODULE, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionMultiCompany(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_1 = cls.env.company
        cls.company_2 = cls.setup_other_company(name="Collections Two")["company"]
        cls.env.user.company_ids |= cls.company_2
        cls.ladder_2 = cls.env["collection.stage"].search([("company_id", "=", cls.company_2.id)])
        cls.stage_2 = {stage.kind: stage for stage in cls.ladder_2}
        cls.stage_2["call"].min_days_overdue = 10
        cls.company_2.collection_late_fee = 40.0
        cls.customer.with_company(cls.company_2).property_payment_term_id = cls.pay_terms_a

    def test_new_company_gets_its_own_ladder(self):
        self.assertEqual(
            self.ladder_2.mapped("kind"), ["reminder", "call", "negotiation", "agency", "legal"]
        )
        self.assertFalse(self.ladder_2 & self.ladder)
        self.assertEqual(self.ladder_2.mapped("name"), self.ladder.mapped("name"))

    def test_each_company_uses_its_own_ladder_and_settings(self):
        self.company_1.email = "billing@one.example.com"
        self.company_2.email = "billing@two.example.com"
        move_1 = self._invoice(self.customer, 15)
        move_2 = self._invoice(self.customer, 15, company=self.company_2)
        self.run_engine()
        self.assertEqual(move_1.collection_stage_id, self.stage["reminder"])
        self.assertEqual(move_2.collection_stage_id, self.stage_2["call"])
        self.assertEqual(
            self.customer.with_company(self.company_1).collection_stage_id, self.stage["reminder"]
        )
        self.assertEqual(
            self.customer.with_company(self.company_2).collection_stage_id, self.stage_2["call"]
        )
        reminders = self.reminders(self.customer)
        self.assertEqual(len(reminders), 2)
        by_company = {event.company_id: event for event in reminders}
        self.assertEqual(by_company[self.company_1].move_ids, move_1)
        self.assertEqual(by_company[self.company_1].finance_charge, 0.0)
        self.assertEqual(by_company[self.company_2].move_ids, move_2)
        self.assertEqual(by_company[self.company_2].finance_charge, 40.0)
        # Each company's reminder comes from that company.
        for company, event in by_company.items():
            self.assertEqual(event.mail_message_id.author_id, company.partner_id)
            self.assertIn(company.email, event.mail_message_id.email_from)
        call = self.collection_activities(self.customer)
        self.assertEqual(call.collection_stage_id, self.stage_2["call"])

    def test_days_overdue_count_in_the_company_time_zone(self):
        settings = self.env["res.config.settings"].with_company(self.company_2)
        settings.create({"collection_tz": "America/New_York"}).execute()
        self.assertEqual(self.company_2.partner_id.tz, "America/New_York")
        move_1 = self._invoice(self.customer, 1)
        move_2 = self._invoice(self.customer, 1, company=self.company_2)
        # Midnight UTC: still the due date in New York.
        self.run_engine(datetime.combine(DAY0, time(0)))
        self.assertEqual(move_1.collection_stage_id, self.stage["reminder"])
        self.assertFalse(move_2.collection_stage_id)
        self.assertEqual(self.reminders(self.customer).company_id, self.company_1)
        # The invoice forms (the OVERDUE banner, the reminder button) count alike, whatever
        # the user's time zone.
        with freeze_time(datetime.combine(DAY0, time(0))):
            self.env.user.tz = "Europe/Rome"
            self.env.invalidate_all()
            self.assertEqual((move_1.collection_overdue, move_2.collection_overdue), (True, False))
            with self.assertRaisesRegex(UserError, "no overdue invoice"):
                move_2.action_collection_send_reminder()
        # Five hours later, New York's day is over too.
        self.run_engine(datetime.combine(DAY0, time(5)))
        self.assertEqual(move_2.collection_stage_id, self.stage_2["reminder"])
        self.assertEqual(len(self.reminders(self.customer)), 2)

    def test_a_company_without_time_zone_counts_days_in_its_address_zone(self):
        """No time zone set: the company counts its days in its state's, here California's,
        whatever the user's, and the scheduled run's (UTC), when the state is in one zone."""
        self.assertFalse(self.company_2.partner_id.tz)
        self.company_2.write(
            {
                "country_id": self.env.ref("base.us").id,
                "state_id": self.env.ref("base.state_us_5").id,  # California
            }
        )
        move = self._invoice(self.customer, 1, company=self.company_2)
        # 03:00 UTC, the run's default hour: the evening of the due date in California.
        self.run_engine(datetime.combine(DAY0, time(3)))
        self.assertFalse(move.collection_stage_id)
        with freeze_time(datetime.combine(DAY0, time(3))):
            self.env.user.tz = "Europe/Rome"
            self.env.invalidate_all()
            self.assertFalse(move.collection_overdue)
        self.run_engine(datetime.combine(DAY0, time(9)))
        self.assertEqual(move.collection_stage_id, self.stage_2["reminder"])
        # A state of several zones: the one where the day starts last. At 03:00 UTC, it is
        # still the evening before in El Paso (Mountain), if not in Dallas (Central).
        self.company_2.state_id = self.env.ref("base.state_us_44")  # Texas
        with freeze_time(datetime.combine(DAY0, time(6, 30))):
            self.assertEqual(self.company_2._collection_tz(), "America/Denver")
            self.assertEqual(self.company_2._collection_today(), DAY0 - timedelta(days=1))
        # No address to tell: the user's.
        self.company_2.write({"state_id": False, "country_id": False})
        self.assertEqual(self.company_2._collection_tz(), "Europe/Rome")

    def test_actions_by_hand_are_dated_on_the_company_day(self):
        self.company_2.partner_id.tz = "America/New_York"
        move = self._invoice(self.customer, 5, company=self.company_2)
        company_2 = self.env(context=dict(self.env.context, allowed_company_ids=self.company_2.ids))
        self.env.user.tz = "Europe/Rome"
        # 03:00 UTC: the next day in Rome, still the evening before in New York.
        with freeze_time(datetime.combine(DAY0, time(3))):
            move.with_env(company_2).collection_stage_id = self.stage_2["call"]
            action = move.with_env(company_2).action_collection_hold()
            company_2[action["res_model"]].browse(action["res_id"]).write({"hold_until": DAY0})
            company_2[action["res_model"]].browse(action["res_id"]).action_confirm()
            # An event of the company, whatever company the user works in.
            note = self.env["collection.event"]._collection_create(
                {"partner_id": self.customer.id, "kind": "note", "company_id": self.company_2.id}
            )
        eve = DAY0 - timedelta(days=1)
        self.assertEqual(note.date, eve)
        self.assertEqual(move.collection_stage_date, eve)
        self.assertEqual(move.collection_hold_until, DAY0)
        self.assertEqual(set(self.events(self.customer).mapped("date")), {eve})

    def test_send_reminder_now_counts_each_company_on_its_day(self):
        self.company_2.partner_id.tz = "America/New_York"
        move_1 = self._invoice(self.customer, 1)
        move_2 = self._invoice(self.customer, 1, company=self.company_2)
        both = self.env(
            context=dict(
                self.env.context, allowed_company_ids=(self.company_1 | self.company_2).ids
            )
        )
        # Midnight UTC: move_2 falls due today in New York, move_1 fell due yesterday.
        with freeze_time(datetime.combine(DAY0, time(0))):
            (move_1 | move_2).with_env(both).action_collection_send_reminder()
        self.assertEqual(self.reminders(self.customer).move_ids, move_1)

    def test_each_company_asks_for_its_own_reminder_not_emailed(self):
        self.customer.email = False
        move_1 = self._invoice(self.customer, 3)
        self.run_engine()
        move_2 = self._invoice(self.customer, 3, company=self.company_2)
        self.run_engine(DAY0 + timedelta(days=1))
        no_email = self.env.ref(f"{MODULE}.mail_activity_type_collection_no_email")
        asked = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == no_email)
        self.assertEqual(len(asked), 2, "each company's reminder is to post")
        self.assertEqual(asked.collection_company_id, self.company_1 | self.company_2)
        for activity in asked:
            move = move_1 if activity.collection_company_id == self.company_1 else move_2
            self.assertIn(move.name, str(activity.note))
        self.run_engine(DAY0 + timedelta(days=31))
        self.assertEqual(
            self.customer.activity_ids.filtered(lambda a: a.activity_type_id == no_email), asked
        )

    def test_one_company_leaves_the_other_companys_call_alone(self):
        self._invoice(self.customer, 45)
        move_2 = self._invoice(self.customer, 45, company=self.company_2)
        self.run_engine()
        calls = self.collection_activities(self.customer)
        self.assertEqual(calls.collection_stage_id, self.stage["call"] | self.stage_2["call"])
        call_1 = calls.filtered(lambda a: a.collection_stage_id == self.stage["call"])
        self._pay(move_2, day=DAY0 + timedelta(days=1))
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(self.collection_activities(self.customer), call_1)

    def test_a_payment_takes_the_invoice_off_its_own_companys_ladder(self):
        """A payment of the second company's invoice takes it off the second company's
        ladder, and leaves the first company's alone."""
        move_1 = self._invoice(self.customer, 45)
        move_2 = self._invoice(self.customer, 45, company=self.company_2)
        self.run_engine()
        call_1 = self.collection_activities(self.customer).filtered(
            lambda a: a.collection_stage_id == self.stage["call"]
        )
        with freeze_time(DAY0):
            self._pay(move_2, day=DAY0)
        self.commit_point()
        self.assertFalse(move_2.collection_stage_id)
        self.assertFalse(self.customer.with_company(self.company_2).collection_stage_id)
        self.assertEqual(self.events(self.customer, "paid").company_id, self.company_2)
        self.assertEqual(move_1.collection_stage_id, self.stage["call"])
        self.assertEqual(
            self.customer.with_company(self.company_1).collection_stage_id, self.stage["call"]
        )
        self.assertEqual(self.collection_activities(self.customer), call_1)

    def test_a_payment_settles_the_customer_in_the_invoice_company(self):
        """The customer has nothing on the first company's ladder: paid, the second company's
        invoice takes the customer off the second company's, whichever company is current."""
        move_2 = self._invoice(self.customer, 45, company=self.company_2)
        self.run_engine()
        customer_2 = self.customer.with_company(self.company_2)
        self.assertEqual(customer_2.collection_stage_id, self.stage_2["call"])
        self.assertFalse(self.customer.with_company(self.company_1).collection_stage_id)
        payer = self.env(context={"allowed_company_ids": [self.company_1.id, self.company_2.id]})
        with freeze_time(DAY0):
            payer["account.payment.register"].with_context(
                active_model="account.move", active_ids=move_2.ids
            ).create({"payment_date": DAY0})._create_payments()
        self.commit_point()
        self.assertFalse(move_2.collection_stage_id)
        self.assertFalse(customer_2.collection_stage_id)
        self.assertFalse(self.collection_activities(self.customer))

    def test_call_about_another_company_invoice_is_logged_in_that_company(self):
        move_1 = self._invoice(self.customer, 15)
        move_2 = self._invoice(self.customer, 45, company=self.company_2)
        self.run_engine()
        call_2 = self.collection_activities(self.customer).filtered(
            lambda a: a.collection_stage_id == self.stage_2["call"]
        )
        both = self.env(
            context=dict(
                self.env.context, allowed_company_ids=(self.company_1 | self.company_2).ids
            )
        )
        self.assertEqual(both.company, self.company_1)

        def log_call(records, **values):
            with freeze_time(DAY0):
                action = records.with_env(both).action_collection_log_call()
                wizard = both[action["res_model"]].browse(action["res_id"])
                self.assertEqual(wizard.move_ids, move_2)
                wizard.write(values)
                self.result = wizard.action_confirm()
            return self.events(self.customer, "call").sorted("id")[-1]

        self.company_2.collection_promise_grace_days = 6
        call = log_call(call_2, outcome="no_answer")
        self.assertEqual(call.company_id, self.company_2)
        # The next attempt is company 2's call.
        self.assertEqual(
            self.collection_activities(self.customer).collection_stage_id, self.stage_2["call"]
        )
        promise_day = DAY0 + timedelta(days=9)
        call = log_call(
            move_2, outcome="promise_to_pay", promise_date=promise_day, promise_amount=100.0
        )
        self.assertEqual(call.company_id, self.company_2)
        # Held through company 2's grace days, not company 1's.
        self.assertEqual(
            move_2.collection_hold_until,
            promise_day + timedelta(days=self.company_2.collection_promise_grace_days + 1),
        )
        # A plan asked for on such a call is company 2's too.
        move_2.collection_hold_until = False
        log_call(move_2, outcome="plan_requested")
        plan = both["collection.payment.plan"].with_context(**self.result["context"]).create({})
        self.assertEqual(plan.company_id, self.company_2)
        self.assertEqual(plan.move_ids, move_2)
        # Each company logs its calls in order: company 1's call of the evening before comes
        # after none of its own, whichever companies the user has selected.
        with freeze_time(DAY0):
            action = move_1.with_env(both).action_collection_log_call()
            wizard = both[action["res_model"]].browse(action["res_id"])
            evening = datetime.combine(DAY0, time()) - timedelta(hours=2)
            wizard.write({"outcome": "no_answer", "inbound": True, "call_time": evening})
            wizard.action_confirm()
        calls = self.events(self.customer, "call").filtered("call_time")
        self.assertEqual(min(calls.mapped("call_time")), evening)

    def test_customer_exclusion_is_noted_in_each_company(self):
        move_1 = self._invoice(self.customer, 15)
        move_2 = self._invoice(self.customer, 15, company=self.company_2)
        self.run_engine()
        action = self.customer.action_collection_exclude()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.reason = "Insolvency"
        with freeze_time(DAY0):
            wizard.with_context(
                allowed_company_ids=(self.company_1 | self.company_2).ids
            ).action_confirm()
        notes = self.events(self.customer, "note")
        self.assertEqual(
            {note.company_id: note.move_ids for note in notes},
            {self.company_1: move_1, self.company_2: move_2},
        )
        # Resumed, the customer is collected again today in both companies.
        with freeze_time(DAY0):
            self.customer.with_context(
                allowed_company_ids=(self.company_1 | self.company_2).ids
            ).action_collection_resume()
        for company in (self.company_1, self.company_2):
            self.assertFalse(self.customer.with_company(company).collection_checked_date)

    def test_a_clerk_of_one_company_excludes_a_shared_customer_in_both(self):
        """A customer's exclusion and cease communication hold in every company: the other
        company's history records them too, with the user who did it, and the customer
        resumed is collected again in both."""
        self._invoice(self.customer, 15)
        move_2 = self._invoice(self.customer, 15, company=self.company_2)
        self.run_engine()
        clerk = self._billing_user("clerk.one", self.company_1)
        customer = self.customer.with_user(clerk)
        with freeze_time(DAY0):
            action = customer.action_collection_exclude()
            wizard = self.env[action["res_model"]].with_user(clerk).browse(action["res_id"])
            wizard.reason = "Insolvency"
            wizard.action_confirm()
            customer.action_collection_cease_communication()
            customer.action_collection_resume()
        notes = self.events(self.customer, "note").filtered(
            lambda n: n.company_id == self.company_2
        )
        self.assertEqual(len(notes), 3)
        self.assertEqual(notes.user_id, clerk)
        self.assertEqual(notes.move_ids, move_2)
        self.assertIn("Insolvency", str(notes.mapped("note")))
        self.assertFalse(self.customer.with_company(self.company_2).collection_checked_date)

    def test_collection_views_show_the_current_company(self):
        self._invoice(self.customer, 45)
        move_2 = self._invoice(self.customer, 45, company=self.company_2)
        self.run_engine()
        both = self.env["account.move"].with_context(
            allowed_company_ids=(self.company_1 | self.company_2).ids
        )
        # The Collections kanban: the current company's ladder, and the other company's
        # stages only where its invoices are.
        groups = both.web_read_group(
            [("move_type", "=", "out_invoice")], ["collection_stage_id"], ["collection_stage_id"]
        )["groups"]
        stage_ids = [
            group["collection_stage_id"][0] for group in groups if group["collection_stage_id"]
        ]
        self.assertEqual(sorted(stage_ids), sorted((self.ladder | self.stage_2["call"]).ids))
        # A card dragged to the other company's column is told why it stays.
        collector = self._billing_user("collector.both", self.company_1, self.company_2)
        with self.assertRaisesRegex(UserError, "a stage of its own company's ladder"):
            move_2.with_env(both.with_user(collector).env).write(
                {"collection_stage_id": self.stage["negotiation"].id}
            )
        self.assertEqual(move_2.collection_stage_id, self.stage_2["call"])
        # Calls to Make: those of the companies selected.
        action = self.env["ir.actions.act_window"]._for_xml_id(
            f"{MODULE}.mail_activity_action_collection_call"
        )
        for companies in (self.company_1, self.company_1 | self.company_2):
            domain = safe_eval(action["domain"], {"allowed_company_ids": companies.ids})
            calls = self.env["mail.activity"].search(domain + [("res_id", "=", self.customer.id)])
            self.assertEqual(calls.collection_stage_id.company_id, companies)

    def _billing_user(self, login, *companies):
        """A collection user (Billing) of ``companies``, working in the first."""
        return new_test_user(
            self.env,
            login,
            groups="account.group_account_invoice",
            company_id=companies[0].id,
            company_ids=[company.id for company in companies],
        )

    def test_users_see_only_their_companies(self):
        self._invoice(self.customer, 15)
        self._invoice(self.customer, 15, company=self.company_2)
        self.run_engine()
        clerk = self._billing_user("clerk.one", self.company_1)
        events = self.env["collection.event"].with_user(clerk).search([])
        self.assertTrue(events)
        self.assertEqual(events.company_id, self.company_1)
        stages = self.env["collection.stage"].with_user(clerk).search([])
        self.assertEqual(stages.company_id, self.company_1)
        other = self.reminders(self.customer).filtered(lambda e: e.company_id == self.company_2)
        self.assertTrue(other)
        with self.assertRaises(AccessError):
            other.with_user(clerk).read(["amount_claimed"])
        # Nor can the clerk, or an employee outside accounting, open the invoice PDFs the other
        # company's reminder carried, in the chatter of the customer they share.
        pdfs = other.mail_message_id.attachment_ids
        self.assertTrue(pdfs)
        storekeeper = new_test_user(self.env, "storekeeper", groups="base.group_user")
        for user in (clerk, storekeeper):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                pdfs.with_user(user).check("read")
        # Its own company's, the clerk can.
        own = self.reminders(self.customer) - other
        own.mail_message_id.attachment_ids.with_user(clerk).check("read")

    def test_a_shared_customers_collection_messages_are_its_companys(self):
        """In the chatter of a customer the companies share, the other company's collection
        messages (its reminder email, the notes of its history, its call logged) do not show
        to the clerk; the clerk's company's do, and so do the customer's other messages."""
        self._invoice(self.customer, 40)
        move_2 = self._invoice(self.customer, 40, company=self.company_2)
        self.run_engine()
        in_company_2 = self.env(
            context=dict(self.env.context, allowed_company_ids=self.company_2.ids)
        )
        with freeze_time(DAY0):
            action = move_2.with_env(in_company_2).action_collection_log_call()
            in_company_2[action["res_model"]].browse(action["res_id"]).action_confirm()
        greeting = self.customer.message_post(body="Met at the fair", message_type="comment")
        # The customer answers company 2's reminder, which the answer quotes.
        reminder_2 = self.reminders(self.customer).filtered(
            lambda e: e.company_id == self.company_2
        )
        self.env["mail.thread"].message_process(
            False,
            "From: Azure Interior <azure.interior@example.com>\r\n"
            "To: billing@company.example.com\r\n"
            f"Subject: Re: {reminder_2.mail_message_id.subject}\r\n"
            f"In-Reply-To: {reminder_2.mail_message_id.message_id}\r\n"
            "Message-Id: <answer.1@example.com>\r\n"
            "Content-Type: text/plain\r\n\r\n"
            "Paid yesterday, see our transfer.\r\n",
        )
        answer = self.env["mail.message"].search([("message_id", "=", "<answer.1@example.com>")])
        self.assertEqual((answer.model, answer.res_id), ("res.partner", self.customer.id))
        events = self.events(self.customer, "reminder") | self.events(self.customer, "call")
        theirs = events.filtered(lambda e: e.company_id == self.company_2)
        ours = events - theirs
        messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        call_done = messages.filtered(
            lambda m: m.mail_activity_type_id and m.collection_company_id == self.company_2
        )
        self.assertEqual(len(call_done), 1, "the call activity done")
        clerk = self._billing_user("clerk.one", self.company_1)
        seen = self.customer.with_user(clerk).message_ids
        self.assertFalse(seen & (theirs.mail_message_id | call_done | answer))
        self.assertEqual(seen & ours.mail_message_id, ours.mail_message_id)
        self.assertIn(greeting, seen)
        with self.assertRaises(AccessError):
            theirs.mail_message_id.with_user(clerk).read(["body"])
        # Nor can the clerk react to it or edit it, though allowed to edit the customer.
        clerk.groups_id |= self.env.ref("base.group_partner_manager")
        messages = self.env["mail.message"].with_user(clerk)
        for message in theirs.mail_message_id:
            self.assertFalse(messages._get_with_access(message.id, "create"))
        self.assertEqual(messages._get_with_access(greeting.id, "create"), greeting)

    def test_collection_activities_done_together_keep_their_companies(self):
        """A collection manager with both companies selected resolves disputes of both at
        once: each To-Do's done message is its own company's."""
        to_dos = self.env["mail.activity"]
        for company in (self.company_1, self.company_2):
            to_dos |= self.customer.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=f"Resolve the dispute of {company.name}",
                collection_company_id=company.id,
            )
        to_dos |= self.customer.activity_schedule(
            "mail.mail_activity_data_todo", summary="Send the catalogue"
        )
        summaries = to_dos.mapped("summary")
        messages, _next = to_dos.with_context(
            allowed_company_ids=(self.company_1 | self.company_2).ids
        )._action_done(feedback="Done")
        by_summary = {
            summary: messages.filtered(lambda m, summary=summary: summary in str(m.body))
            for summary in summaries
        }
        self.assertEqual(
            {summary: message.collection_company_id for summary, message in by_summary.items()},
            {
                f"Resolve the dispute of {self.company_1.name}": self.company_1,
                f"Resolve the dispute of {self.company_2.name}": self.company_2,
                "Send the catalogue": self.env["res.company"],
            },
        )

    def test_users_see_only_their_companies_activities(self):
        """The other company's call on a customer they share, with its note of amounts due,
        is hidden from the clerk, who can neither edit nor delete it; not from its assignee."""
        self._invoice(self.customer, 40)
        self._invoice(self.customer, 40, company=self.company_2)
        self.run_engine()
        calls = self.collection_activities(self.customer)
        self.assertEqual(calls.collection_company_id, self.company_1 | self.company_2)
        other = calls.filtered(lambda a: a.collection_company_id == self.company_2)
        # Who may edit contacts, as Odoo's employees may by default.
        clerk = self._billing_user("clerk.one", self.company_1)
        clerk.groups_id |= self.env.ref("base.group_partner_manager")
        seen = self.env["mail.activity"].with_user(clerk).search([("id", "in", calls.ids)])
        self.assertEqual(seen, calls - other)
        self.assertEqual(self.customer.with_user(clerk).activity_ids, calls - other)
        with self.assertRaises(AccessError):
            other.with_user(clerk).unlink()
        self.assertTrue(other.exists())
        with self.assertRaises(AccessError):
            other.with_user(clerk).write({"note": "Nothing to say"})
        self.assertNotEqual(str(other.note), "<p>Nothing to say</p>")
        # Its assignee sees it whatever companies are selected.
        collector = self._billing_user("collector.both", self.company_1, self.company_2)
        other.user_id = collector
        activities = (
            self.env["mail.activity"]
            .with_user(collector)
            .with_context(allowed_company_ids=self.company_1.ids)
        )
        self.assertIn(other, activities.search([("id", "in", calls.ids)]))
        # Its invoices would not show in the call dialog: they ask for their company.
        with self.assertRaisesRegex(UserError, "select Collections Two in the company switcher"):
            other.with_env(activities.env).action_collection_log_call()
        action = (
            other.with_user(collector)
            .with_context(allowed_company_ids=(self.company_1 | self.company_2).ids)
            .action_collection_log_call()
        )
        self.assertEqual(len(self.env[action["res_model"]].browse(action["res_id"]).move_ids), 1)

    def test_the_to_dos_a_call_leaves_are_its_companys(self):
        """A call's To-Dos (resolve a dispute, check a payment) name the company's invoices,
        the dispute's reason, the payments: hidden from the other company's clerk on a
        customer they share, and each company checks its payments in its own To-Do."""
        move_1 = self._invoice(self.customer, 15)
        disputed = self._invoice(self.customer, 45, company=self.company_2)
        move_2 = self._invoice(self.customer, 45, company=self.company_2)
        in_company_2 = self.env(
            context=dict(
                self.env.context, allowed_company_ids=(self.company_2 | self.company_1).ids
            )
        )
        before = self.customer.activity_ids

        def log_call(move, env, **values):
            with freeze_time(DAY0):
                action = move.with_env(env).action_collection_log_call()
                wizard = env[action["res_model"]].browse(action["res_id"])
                wizard.write({"move_ids": [Command.set(move.ids)], **values})
                wizard.action_confirm()

        log_call(disputed, in_company_2, outcome="dispute", dispute_reason="Damaged goods")
        log_call(move_2, in_company_2, outcome="already_paid")
        log_call(move_1, self.env, outcome="already_paid")
        to_dos = self.customer.activity_ids - before
        self.assertEqual(len(to_dos), 3)
        clerk = self._billing_user("clerk.one", self.company_1)
        clerk.groups_id |= self.env.ref("base.group_partner_manager")
        seen = self.customer.with_user(clerk).activity_ids & to_dos
        self.assertEqual(seen.mapped("summary"), ["Check the customer's payment"])
        self.assertEqual(str(seen.note).count("is paid"), 1)
        self.assertIn("Damaged goods", str((to_dos - seen).mapped("note")))

    def test_settings_offer_the_companys_finance_charge_product(self):
        """The finance charge products offered in the settings are the company's or shared:
        another company's could not be invoiced."""
        shared, other = self.env["product.product"].create(
            [
                {"name": "Late fee"},
                {"name": "Late fee (two)", "company_id": self.company_2.id},
            ]
        )
        fields = self.env["res.config.settings"].fields_get(
            ["collection_charge_product_id"], ["domain"]
        )
        domain = safe_eval(
            fields["collection_charge_product_id"]["domain"], {"company_id": self.company_1.id}
        )
        offered = self.env["product.product"].search(domain + [("id", "in", (shared | other).ids)])
        self.assertEqual(offered, shared)

    def test_responsibles_offered_are_who_can_collect(self):
        """The collection responsibles offered, the company's default in the settings and a
        customer's: employees of the company with invoicing rights, whom the run gives the
        activities to; not one of another company, nor a salesperson who could not log a
        call."""
        collector = self._billing_user("collector.one", self.company_1)
        salesperson = new_test_user(self.env, "salesperson.one", groups="base.group_user")
        other = self._billing_user("collector.two", self.company_2)
        users = collector | salesperson | other
        for model, field in (
            ("res.config.settings", "collection_default_user_id"),
            ("res.partner", "collection_responsible_id"),
        ):
            domain = safe_eval(
                self.env[model].fields_get([field], ["domain"])[field]["domain"],
                {"company_id": self.company_1.id, "allowed_company_ids": self.company_1.ids},
            )
            offered = self.env["res.users"].search(domain + [("id", "in", users.ids)])
            self.assertEqual(offered, collector, field)

    def test_work_goes_to_users_of_the_company(self):
        """Set to users of the first company only, the second company's collection responsible
        and default collector are passed over: its call goes to one of its collection
        managers, who can open its invoices."""
        outsider = self._billing_user("collector.one", self.company_1)
        self.customer.with_company(self.company_2).collection_responsible_id = outsider
        self.company_2.collection_default_user_id = outsider
        admin = self.env.ref("base.user_admin")
        self.assertNotIn(self.company_2, admin.company_ids)
        move = self._invoice(self.customer, 15, company=self.company_2, post=False)
        move.invoice_user_id = False  # no salesperson either
        move.action_post()
        self.run_engine()
        user = self.collection_activities(self.customer).user_id
        self.assertNotEqual(user, outsider)
        self.assertIn(self.company_2, user.company_ids)
        self.assertTrue(user.has_group(f"{MODULE}.group_collection_manager"))

    def test_work_goes_to_a_collection_user_when_the_company_has_no_manager(self):
        """A company with no collection manager, default collector or administrator of its
        own: its call goes to one of its collection users, not to the run's user."""
        clerk = self._billing_user("clerk.two", self.company_2)
        move = self._invoice(self.customer, 15, company=self.company_2, post=False)
        move.invoice_user_id = False  # no salesperson either
        move.action_post()
        # Its only manager leaves it.
        self.env.user.company_ids -= self.company_2
        self.run_engine()
        call = (
            self.env["mail.activity"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)])
        )
        self.assertEqual(call.user_id, clerk)

    def test_each_company_judges_the_customer_by_its_own_invoices(self):
        on_time = self._invoice(self.customer, 100)
        late = self._invoice(self.customer, 150, company=self.company_2)
        with freeze_time(DAY0):
            self._pay(on_time, day=DAY0 - timedelta(days=100))
            self._pay(late, day=DAY0 - timedelta(days=150 - 60))
        self.env.invalidate_all()
        customer_1 = self.customer.with_company(self.company_1)
        customer_2 = self.customer.with_company(self.company_2)
        self.assertEqual(customer_1.collection_on_time_ratio, 100.0)
        self.assertEqual(customer_1.collection_payment_rating, "good")
        self.assertEqual(customer_2.collection_avg_days_late, 60.0)
        self.assertEqual(customer_2.collection_payment_rating, "poor")

        # A plan of the second company's invoices, made from the first company, is judged on
        # the second company's history: it waits for a manager's approval.
        open_2 = self._invoice(self.customer, 40, company=self.company_2)
        with freeze_time(DAY0):
            plan = self.env["collection.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company_2.id,
                    "move_ids": [Command.set(open_2.ids)],
                    "first_date": DAY0 + timedelta(days=1),
                }
            )
            self.assertEqual(plan.payment_rating, "poor")
            plan.action_confirm()
        self.assertEqual(plan.state, "to_approve")

    def test_a_payment_scores_the_customer_in_the_invoice_company(self):
        """Registered from the first company, a payment of the second company's invoice
        scores the customer in the second company, on the second company's figures."""
        self.customer.with_company(self.company_1).sudo().collection_broken_promises = 9
        move_2 = self._invoice(self.customer, 30, company=self.company_2)
        with freeze_time(DAY0):
            self._pay(move_2, day=DAY0 - timedelta(days=30))
        self.env.invalidate_all()
        customer_2 = self.customer.with_company(self.company_2)
        self.assertEqual(customer_2.collection_on_time_ratio, 100.0)
        self.assertEqual(customer_2.collection_payment_score, 100)
        self.assertEqual(customer_2.collection_payment_rating, "good")
        customer_1 = self.customer.with_company(self.company_1)
        self.assertEqual(customer_1.collection_payment_rating, "none")
