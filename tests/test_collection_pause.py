"""Exclusion, hold, resume and the manual reminder button."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import DAY0, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionPause(CollectionCase):
    def _pause(self, records, method, **values):
        action = getattr(records, method)()
        wizard = records.env[action["res_model"]].browse(action["res_id"])
        wizard.write(values)
        return wizard.action_confirm()

    def test_excluded_invoice_is_left_alone(self):
        move = self._invoice(self.customer, 10)
        with self.assertRaisesRegex(UserError, "Say why"):
            self._pause(move, "action_collection_exclude", reason="  ")
        self.assertFalse(move.collection_excluded)
        self._pause(
            move, "action_collection_exclude", reason=" Goods returned, credit note coming\n"
        )
        self.assertTrue(move.collection_excluded)
        self.assertEqual(move.collection_exclusion_reason, "Goods returned, credit note coming")
        self.run_engine()
        self.assertEqual(self.events(self.customer).mapped("kind"), ["note"])
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

    def test_a_hold_that_has_ended_shows_no_more(self):
        move = self._invoice(self.customer, 10)
        with freeze_time(DAY0):
            self._pause(move, "action_collection_hold", hold_until=DAY0 + timedelta(days=7))
        with freeze_time(DAY0 + timedelta(days=6)):
            move.invalidate_recordset()
            self.assertTrue(move.collection_on_hold, "the form shows the hold and Resume")
        with freeze_time(DAY0 + timedelta(days=7)):
            move.invalidate_recordset()
            self.assertFalse(move.collection_on_hold, "chased again: no hold, no Resume")
            # Nothing to resume any more: nothing logged.
            move.action_collection_resume()
        self.assertFalse(self.events(self.customer, "note").filtered(lambda e: "resumed" in e.note))

    def test_customer_keeps_the_stage_of_its_invoices_on_hold(self):
        """Invoices collection pauses keep their stage, and weigh on their customer's: a
        customer whose invoices are all on hold is still on their stage."""
        called = self._invoice(self.customer, 45)
        self.run_engine()
        self.assertEqual(self.customer.collection_stage_id, self.stage["call"])
        with freeze_time(DAY0):
            self._pause(called, "action_collection_hold", hold_until=DAY0 + timedelta(days=10))
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(called.collection_stage_id, self.stage["call"])
        self.assertEqual(self.customer.collection_stage_id, self.stage["call"])
        # Another invoice, chased on a lower stage: the customer stays on the firmer one.
        self._invoice(self.customer, 5)
        self.run_engine(DAY0 + timedelta(days=2))
        self.assertEqual(self.customer.collection_stage_id, self.stage["call"])
        # An excluded invoice weighs no more.
        self._pause(called, "action_collection_exclude", reason="Goods returned")
        self.run_engine(DAY0 + timedelta(days=3))
        self.assertEqual(self.customer.collection_stage_id, self.stage["reminder"])

    def test_invoice_with_payment_blocked_is_left_alone(self):
        blocked = self._invoice(self.customer, 10)
        blocked.action_toggle_block_payment()
        self.run_engine()
        self.assertFalse(self.reminders(self.customer))
        self.assertFalse(blocked.collection_stage_id)
        for records in (blocked, self.customer):
            with freeze_time(DAY0), self.assertRaisesRegex(UserError, "no overdue invoice"):
                records.action_collection_send_reminder()
        with freeze_time(DAY0):
            self.assertFalse(blocked.collection_overdue, "no OVERDUE banner on its PDF")
            self.assertEqual(self.customer.collection_overdue_amount, 0.0)
        blocked.action_toggle_block_payment()
        with freeze_time(DAY0):
            self.env.invalidate_all()
            self.assertEqual(self.customer.collection_overdue_amount, 1000.0)
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(self.reminders(self.customer).move_ids, blocked)

    def test_excluded_customer_is_left_alone(self):
        self._invoice(self.customer, 50)
        self._pause(self.customer, "action_collection_exclude", reason="Insolvency proceedings")
        self.assertTrue(self.customer.collection_excluded)
        self.run_engine()
        self.assertEqual(self.events(self.customer).mapped("kind"), ["note"])
        self.assertFalse(self.collection_activities(self.customer))
        with self.assertRaisesRegex(UserError, "excluded from collection"):
            self.customer.action_collection_send_reminder()

    def test_send_now_is_not_offered_on_an_invoice_of_an_excluded_customer(self):
        move = self._invoice(self.customer, 50)
        with freeze_time(DAY0):
            self.assertTrue(self._shows_send_now(move))
        self._pause(self.customer, "action_collection_exclude", reason="Insolvency proceedings")
        with freeze_time(DAY0):
            self.assertFalse(self._shows_send_now(move))
            with self.assertRaisesRegex(UserError, "excluded from collection"):
                move.action_collection_send_reminder()

    def test_send_reminder_now(self):
        move = self._invoice(self.customer, 10)
        self.run_engine()
        self.assertEqual(move.collection_reminder_count, 1)
        with freeze_time(DAY0 + timedelta(days=3)):
            result = move.action_collection_send_reminder()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(len(self.reminders(self.customer)), 2)
        self.assertEqual(len(self.queued_mails(self.customer)), 2)
        sent = self.reminders(self.customer).sorted("id")[-1].mail_message_id
        self.assertEqual(sent.partner_ids, self.customer)
        self.assertEqual(len(sent.attachment_ids), 1)
        self.assertEqual(move.collection_reminder_count, 2)
        self.assertEqual(move.collection_last_reminder_date, DAY0 + timedelta(days=3))
        # The daily run counts 30 days from that reminder.
        self.run_engine(DAY0 + timedelta(days=31))
        self.assertEqual(len(self.reminders(self.customer)), 2)
        self.run_engine(DAY0 + timedelta(days=33))
        self.assertEqual(len(self.reminders(self.customer)), 3)

    def test_send_reminder_now_then_the_daily_run_the_same_day(self):
        move = self._invoice(self.customer, 10)
        with freeze_time(DAY0):
            self.customer.action_collection_send_reminder()
        self.run_engine()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(len(self.reminders(self.customer)), 1)
        self.assertEqual(len(self.queued_mails(self.customer)), 1)
        self.assertEqual(move.collection_stage_id, self.stage["reminder"])
        self.run_engine(DAY0 + timedelta(days=30))
        self.assertEqual(len(self.reminders(self.customer)), 2)

    def test_send_reminder_now_sends_no_invoice_twice_a_day(self):
        reminded = self._invoice(self.customer, 10)
        with freeze_time(DAY0):
            self.assertTrue(self._shows_send_now(self.customer))
            self.assertTrue(self._shows_send_now(reminded))
        self.run_engine()
        for records in (reminded, self.customer):
            with freeze_time(DAY0), self.assertRaisesRegex(UserError, "today already"):
                records.action_collection_send_reminder()
        # Nor do their forms offer it.
        with freeze_time(DAY0):
            self.assertFalse(self._shows_send_now(self.customer))
            self.assertFalse(self._shows_send_now(reminded))
        # The next day, the customer's button leaves out the invoice reminded by hand then.
        newer = self._invoice(self.customer, 0)
        with freeze_time(DAY0 + timedelta(days=1)):
            newer.action_collection_send_reminder()
            self.customer.action_collection_send_reminder()
        self.assertEqual(self.reminders(self.customer)[0].move_ids, reminded)
        self.assertEqual(len(self.queued_mails(self.customer)), 3)

    def test_send_reminder_now_needs_an_email_address(self):
        move = self._invoice(self.customer, 10)
        self.customer.email = False
        for records in (move, self.customer):
            with freeze_time(DAY0), self.assertRaisesRegex(UserError, "no valid email address"):
                records.action_collection_send_reminder()
            with freeze_time(DAY0):
                self.assertFalse(self._shows_send_now(records))
        self.assertFalse(self.reminders(self.customer))

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
        reminder = self.reminders(self.customer)
        self.assertEqual(reminder.move_ids, moves)
        # Not on the ladder yet: the first stage's email.
        self.assertEqual(reminder.stage_id, self.stage["reminder"])

    def test_send_reminder_now_respects_cease_communication(self):
        move = self._invoice(self.customer, 10)
        self.customer.collection_no_contact = True
        for records in (move, self.customer):
            with freeze_time(DAY0), self.assertRaisesRegex(UserError, "cease communication"):
                records.action_collection_send_reminder()
            with freeze_time(DAY0):
                self.assertFalse(self._shows_send_now(records))
        self.assertFalse(self.reminders(self.customer))

    def test_partner_send_reminder_now_leaves_paused_invoices_out(self):
        claimed = self._invoice(self.customer, 10)
        excluded = self._invoice(self.customer, 20)
        held = self._invoice(self.customer, 30)
        self._pause(excluded, "action_collection_exclude", reason="Credit note coming")
        with freeze_time(DAY0):
            self._pause(held, "action_collection_hold", hold_until=DAY0 + timedelta(days=7))
            self.customer.action_collection_send_reminder()
        self.assertEqual(self.reminders(self.customer).move_ids, claimed)
        self._pause(claimed, "action_collection_exclude", reason="Paid by cheque")
        with freeze_time(DAY0 + timedelta(days=1)):
            # Its invoices overdue all excluded or held, its form no longer offers it.
            self.assertFalse(self._shows_send_now(self.customer))
            with self.assertRaisesRegex(UserError, "no overdue invoice"):
                self.customer.action_collection_send_reminder()

    def test_send_reminder_now_past_the_stages_with_an_email(self):
        move = self._invoice(self.customer, 100)
        self.run_engine()
        self.assertEqual(move.collection_stage_id, self.stage["agency"])
        self.assertFalse(self.stage["agency"].mail_template_id)
        with freeze_time(DAY0 + timedelta(days=1)):
            self.customer.action_collection_send_reminder()
        reminder = self.reminders(self.customer).sorted("id")[-1]
        self.assertEqual(reminder.stage_id, self.stage["negotiation"])
        self.assertEqual(reminder.move_ids, move)

    def test_send_reminder_now_on_an_archived_stage_sends_its_email(self):
        call_template = self.stage["call"].mail_template_id.copy({"name": "Call stage reminder"})
        self.stage["call"].mail_template_id = call_template
        move = self._invoice(self.customer, 40)
        self.run_engine()
        self.assertEqual(self.reminders(self.customer).stage_id, self.stage["call"])
        self.stage["call"].action_archive()
        # The daily run keeps the invoice on its archived stage, and so its email: so does
        # the button.
        with freeze_time(DAY0 + timedelta(days=1)):
            move.action_collection_send_reminder()
        reminder = self.reminders(self.customer).sorted("id")[-1]
        self.assertEqual(reminder.stage_id, self.stage["call"])

    def test_only_collection_users_send_reminders_now(self):
        move = self._invoice(self.customer, 10)
        auditor = self.env["res.users"].create(
            {
                "name": "Auditor",
                "login": "auditor",
                "groups_id": [(6, 0, self.env.ref("account.group_account_readonly").ids)],
            }
        )
        # (unittest's assertRaisesRegex: Odoo's assertRaises would roll back what was sent.)
        with self.assertRaisesRegex(AccessError, "Only collection users can send"):
            move.with_user(auditor).action_collection_send_reminder()
        with self.assertRaisesRegex(AccessError, "Only collection users can send"):
            self.customer.with_user(auditor).action_collection_send_reminder()
        self.assertFalse(self.reminders(self.customer))
        self.assertFalse(self.queued_mails(self.customer))

    def test_exclude_wizard_form(self):
        move = self._invoice(self.customer, 10)
        action = move.action_collection_exclude()
        self.assertEqual(action["target"], "new")
        with Form(self.env[action["res_model"]].browse(action["res_id"])) as form:
            form.reason = "Disputed by phone"
        form.record.action_confirm()
        self.assertTrue(move.collection_excluded)
        self.assertEqual(move.collection_exclusion_reason, "Disputed by phone")

    # ------------------------------------------------------------------ history
    def assertLogged(self, partner, text, moves):
        """The last note on ``partner`` says ``text``, is about ``moves`` and is in the
        customer's chatter, invoices named. Returns the event."""
        event = self.events(partner, "note").sorted("id")[-1:]
        self.assertIn(text, str(event.note))
        self.assertEqual(event.move_ids, moves)
        self.assertEqual(event.user_id, self.env.user)
        self.assertIn(event.mail_message_id, partner.message_ids)
        body = str(event.mail_message_id.body)
        self.assertIn(text, body)
        for name in moves.mapped("name"):
            self.assertIn(name, body)
        return event

    def test_invoice_exclusion_is_logged_on_each_customer(self):
        contact = self.env["res.partner"].create(
            {"name": "Azure Accounts", "parent_id": self.customer.id, "type": "invoice"}
        )
        other = self._customer("Deco Addict")
        mine = self._invoice(self.customer, 10) | self._invoice(contact, 20)
        theirs = self._invoice(other, 10)
        self._pause(mine | theirs, "action_collection_exclude", reason="Goods returned")
        self.assertEqual(len(self.events(self.customer, "note")), 1)
        self.assertLogged(self.customer, "Excluded from collection: Goods returned", mine)
        self.assertLogged(other, "Excluded from collection: Goods returned", theirs)
        self.assertFalse(self.events(contact))

    def test_hold_is_logged_with_the_date_in_the_user_language(self):
        move, spanish_move = self._invoice(self.customer, 10), self._invoice(self.customer, 20)
        self.env["res.lang"]._activate_lang("es_ES")
        until = DAY0 + timedelta(days=7)
        with freeze_time(DAY0):
            self._pause(move, "action_collection_hold", hold_until=until)
            self.assertLogged(self.customer, "On hold until 03/09/2026", move)
            self._pause(
                spanish_move.with_context(lang="es_ES"), "action_collection_hold", hold_until=until
            )
        # The note may be translated; the date is in the Spanish format either way.
        spanish = self.events(self.customer, "note").sorted("id")[-1]
        self.assertEqual(spanish.move_ids, spanish_move)
        self.assertIn("09/03/2026", str(spanish.note))
        self.assertIn("09/03/2026", str(spanish.mail_message_id.body))
        self.assertEqual(len(self.events(self.customer, "note")), 2)

    def test_invoice_resume_is_logged(self):
        excluded, held, running = (self._invoice(self.customer, days) for days in (10, 20, 30))
        self._pause(excluded, "action_collection_exclude", reason="Goods returned")
        with freeze_time(DAY0):
            self._pause(held, "action_collection_hold", hold_until=DAY0 + timedelta(days=7))
        with freeze_time(DAY0):
            (excluded | held | running).action_collection_resume()
        self.assertFalse(excluded.collection_excluded or held.collection_hold_until)
        self.assertLogged(self.customer, "Collection resumed.", excluded | held)
        self.assertEqual(len(self.events(self.customer, "note")), 3)
        # Nothing was paused: nothing to resume, nothing logged.
        running.action_collection_resume()
        self.assertEqual(len(self.events(self.customer, "note")), 3)

    def test_customer_exclusion_and_resume_are_logged(self):
        overdue = self._invoice(self.customer, 50)
        self._invoice(self.customer, -5)  # not due yet on DAY0
        with freeze_time(DAY0):
            self._pause(self.customer, "action_collection_exclude", reason="Insolvency")
            self.assertLogged(self.customer, "Excluded from collection: Insolvency", overdue)
            self.customer.action_collection_resume()
        self.assertFalse(self.customer.collection_excluded)
        self.assertLogged(self.customer, "Collection resumed.", overdue)
        self.assertEqual(len(self.events(self.customer, "note")), 2)

    def test_customer_without_invoices_is_logged_too(self):
        other = self._customer("Deco Addict")
        contact = self.env["res.partner"].create({"name": "Jo", "parent_id": other.id})
        self._pause(contact, "action_collection_exclude", reason="Closed down")
        self.assertTrue(other.collection_excluded)
        self.assertLogged(other, "Excluded from collection: Closed down", self.env["account.move"])
        self.assertFalse(self.events(contact))

    # --------------------------------------------------------------- permissions
    def test_only_collection_users_exclude_hold_and_resume(self):
        move = self._invoice(self.customer, 10)
        self.customer.write({"collection_excluded": True, "collection_exclusion_reason": "Old"})
        # Reads invoices and edits contacts, but does not collect.
        outsider = new_test_user(
            self.env,
            "outsider",
            groups="base.group_user,base.group_partner_manager,account.group_account_readonly",
        )
        denied = "Only collection users can"
        for records, method in (
            (move, "action_collection_exclude"),
            (move, "action_collection_hold"),
            (move, "action_collection_resume"),
            (self.customer, "action_collection_exclude"),
            (self.customer, "action_collection_resume"),
        ):
            with self.subTest(model=records._name, method=method):
                with self.assertRaisesRegex(AccessError, denied):
                    getattr(records.with_user(outsider), method)()
        # Nor through a wizard run in sudo.
        action = move.action_collection_exclude()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.reason = "Outsider's reason"
        with self.assertRaisesRegex(AccessError, denied):
            wizard.with_user(outsider).sudo().action_confirm()
        self.assertFalse(move.collection_excluded)
        self.assertTrue(self.customer.collection_excluded)
        self.assertFalse(self.events(self.customer))
        # Nor by creating a customer excluded, or an individual who is not a consumer.
        Partner = self.env["res.partner"].with_user(outsider)
        for vals in (
            {"name": "Excluded Ltd", "is_company": True, "collection_excluded": True},
            {"name": "Jane Roe", "collection_is_consumer": False},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, denied):
                Partner.create(vals)
        company = Partner.create(
            {"name": "Plain Ltd", "is_company": True, "collection_is_consumer": False}
        )
        self.assertFalse(company.collection_excluded)
        # Duplicating the excluded customer gives a new customer, not excluded; duplicating an
        # individual who is no consumer, a consumer, as any new individual.
        self.customer.collection_no_contact = True
        duplicate = self.customer.with_user(outsider).copy()
        self.assertFalse(duplicate.collection_excluded or duplicate.collection_no_contact)
        person = self._customer("John Roe", is_company=False)
        person.collection_is_consumer = False
        self.assertTrue(person.with_user(outsider).copy().collection_is_consumer)

    def test_collection_user_excludes_holds_and_resumes(self):
        move = self._invoice(self.customer, 10)
        clerk = new_test_user(
            self.env,
            "clerk",
            groups="account.group_account_invoice,base.group_partner_manager",
            company_id=self.env.company.id,
            company_ids=self.env.company.ids,
        )
        self.env = self.env(user=clerk)
        move, customer = move.with_env(self.env), self.customer.with_env(self.env)
        self._pause(move, "action_collection_exclude", reason="Goods returned")
        self.assertLogged(customer, "Excluded from collection: Goods returned", move)
        move.action_collection_resume()
        with freeze_time(DAY0):
            self._pause(move, "action_collection_hold", hold_until=DAY0 + timedelta(days=7))
            self.assertLogged(customer, "On hold until 03/09/2026", move)
            self._pause(customer, "action_collection_exclude", reason="Insolvency")
            customer.action_collection_resume()
        self.assertLogged(customer, "Collection resumed.", move)
        self.assertEqual(len(self.events(customer, "note")), 5)
        self.assertEqual(self.events(customer, "note").user_id, clerk)
