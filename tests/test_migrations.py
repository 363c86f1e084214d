"""The migrations mend, in databases updated from an earlier version, what that version left."""

import importlib.util
import os

from odoo import Command
from odoo.modules.module import get_module_path
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DAY0, MODULE, CollectionCase


def migration(version, script="post-migrate"):
    """The ``migrate`` function of the addon's ``script`` for ``version``."""
    path = os.path.join(get_module_path(MODULE), "migrations", version, f"{script}.py")
    spec = importlib.util.spec_from_file_location(f"{MODULE}_{version}_{script}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.migrate


@tagged("standard", "post_install", "-at_install")
class TestMigrations(CollectionCase):
    def test_a_salespersons_call_is_theirs_again(self):
        """18.0.1.8.0: a Collection call a salesperson scheduled by hand had become the
        company's, which they could neither mark done nor log. It is theirs again; calls of
        the run, of collection users (who may have lost their rights since) and those assigned
        to a collection user stay the company's."""
        salesperson = new_test_user(
            self.env, "salesperson", groups="base.group_user,base.group_partner_manager"
        )
        collector = new_test_user(
            self.env, "collector", groups="account.group_account_invoice,base.group_partner_manager"
        )
        call_type = f"{MODULE}.mail_activity_type_collection_call"
        stray = self.customer.with_user(salesperson).activity_schedule(call_type)
        stray.sudo().collection_company_id = self.env.company  # as 18.0.1.7.0 left it
        by_collector = (
            self._customer("Deco Addict").with_user(collector).activity_schedule(call_type)
        )
        for_a_collector = (
            self._customer("Lumber Inc")
            .with_user(salesperson)
            .activity_schedule(call_type, user_id=self.env.user.id)
        )
        for_a_collector.sudo().collection_company_id = self.env.company
        collector.groups_id -= self.env.ref("account.group_account_invoice")
        late = self._customer("Gemini Furniture")
        self._invoice(late, 40)
        self.run_engine()
        by_run = self.collection_activities(late)
        self.assertTrue(by_collector.collection_is_call)
        self.assertTrue(by_run.collection_is_call)
        self.env.flush_all()

        migration("18.0.1.8.0")(self.env.cr, "18.0.1.7.0")
        self.env.invalidate_all()

        self.assertFalse(stray.collection_company_id)
        stray.with_user(salesperson).action_feedback(feedback="Called about the new order")
        self.assertFalse(stray.exists())
        self.assertEqual(by_collector.collection_company_id, self.env.company)
        self.assertEqual(by_run.collection_company_id, self.env.company)
        self.assertEqual(for_a_collector.collection_company_id, self.env.company)

    def test_the_to_dos_a_call_leaves_are_its_companys(self):
        """18.0.1.8.0: the To-Dos of a dispute and of a payment to check, which name the
        invoices, the reason and the payments, had no company, and showed to the other
        companies' users. They are their company's; the customer's other To-Dos are left."""
        disputed = self._invoice(self.customer, 40)
        paid = self._invoice(self.customer, 45)
        for move, values in (
            (disputed, {"outcome": "dispute", "dispute_reason": "Damaged goods"}),
            (paid, {"outcome": "already_paid"}),
        ):
            with freeze_time(DAY0):
                action = move.action_collection_log_call()
                wizard = self.env[action["res_model"]].browse(action["res_id"])
                wizard.write({"move_ids": [Command.set(move.ids)], **values})
                wizard.action_confirm()
        to_dos = self.customer.activity_ids.filtered("collection_company_id")
        self.assertEqual(len(to_dos), 2)
        own = self.customer.activity_schedule("mail.mail_activity_data_todo")
        self.env.flush_all()
        self.env.cr.execute(  # as 18.0.1.7.0 left them
            "UPDATE mail_activity SET collection_company_id = NULL WHERE id IN %s",
            [tuple(to_dos.ids)],
        )
        # Scheduled in a transaction of its own (a test has only one).
        self.env.cr.execute(
            "UPDATE mail_activity SET create_date = create_date + INTERVAL '1 hour' WHERE id = %s",
            [own.id],
        )

        migration("18.0.1.8.0")(self.env.cr, "18.0.1.7.0")
        self.env.invalidate_all()

        for to_do in to_dos:
            self.assertEqual(to_do.collection_company_id, self.env.company, to_do.summary)
        self.assertFalse(own.collection_company_id)

    def test_a_companys_collection_messages_are_its_own(self):
        """18.0.1.8.0: the reminders and history notes written before, which any company's
        users read on a customer the companies share, are their company's."""
        self._invoice(self.customer, 40)
        self.run_engine()
        messages = self.events(self.customer).mail_message_id
        self.assertTrue(messages)
        self.env.flush_all()
        self.env.cr.execute(  # as 18.0.1.7.0 left them
            "UPDATE mail_message SET collection_company_id = NULL WHERE id IN %s",
            [tuple(messages.ids)],
        )

        migration("18.0.1.8.0")(self.env.cr, "18.0.1.7.0")
        self.env.invalidate_all()

        for message in messages:
            self.assertEqual(message.collection_company_id, self.env.company)

    def test_an_invoice_off_the_ladder_has_no_next_action(self):
        """18.0.1.9.0: an invoice taken off the ladder by hand while not past due kept its
        next collection action; the invoices on the ladder keep theirs."""
        staged = self._invoice(self.customer, 35)
        off = self._invoice(self._customer("Deco Addict"), 35)
        self.run_engine()
        self.env.flush_all()
        self.env.cr.execute(  # as 18.0.1.8.0 left a draft taken off the ladder by hand
            "UPDATE account_move SET collection_stage_id = NULL WHERE id = %s", [off.id]
        )
        self.env.invalidate_all()
        self.assertTrue(off.collection_next_action_date)

        migration("18.0.1.9.0")(self.env.cr, "18.0.1.8.0")
        self.env.invalidate_all()

        self.assertFalse(off.collection_next_action_date)
        self.assertTrue(staged.collection_next_action_date)

    def test_a_promise_not_kept_takes_its_new_translations(self):
        """18.0.1.12.0: the promise state Broken reads Not kept; the update keeps the
        translations a label has, so the old ones (of a plan's Broken) go first."""
        langs = ["es_ES", "it_IT"]
        for lang in langs:
            self.env["res.lang"]._activate_lang(lang)
        self.env["res.lang"]._activate_lang("fr_FR")
        label = self.env.ref(f"{MODULE}.selection__collection_event__promise_state__broken")
        # As 18.0.1.11.0 left it: the label of a plan's state, in every language.
        label.with_context(lang="es_ES").name = "Incumplido"
        label.with_context(lang="it_IT").name = "Non rispettato"
        label.with_context(lang="fr_FR").name = "Non tenue"
        plan = self.env.ref(f"{MODULE}.selection__collection_payment_plan__state__broken")
        plan.with_context(lang="es_ES").name = "Plan incumplido"
        self.env.flush_all()

        migration("18.0.1.12.0", "pre-migrate")(self.env.cr, "18.0.1.11.0")
        # What the update does after it: the translations a label lacks are loaded.
        self.env["ir.module.module"]._load_module_terms([MODULE], langs)
        self.env.invalidate_all()

        self.assertEqual(label.with_context(lang="es_ES").name, "Incumplida")
        self.assertEqual(label.with_context(lang="it_IT").name, "Non rispettata")
        # The other languages' translations, and the plan's, stay as they were.
        self.assertEqual(label.with_context(lang="fr_FR").name, "Non tenue")
        self.assertEqual(plan.with_context(lang="es_ES").name, "Plan incumplido")
