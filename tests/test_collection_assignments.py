"""The daily run tells the users it assigned collection activities to: once per run."""

from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .common import DAY0, MODULE, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionAssignments(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms([MODULE], ["es_ES"], overwrite=True)
        cls.collector = new_test_user(
            cls.env,
            login="collector",
            name="Carla Collector",
            email="carla@company.example.com",
            groups="account.group_account_invoice",
            notification_type="email",
            lang="es_ES",
        )
        cls.customer.collection_responsible_id = cls.collector
        cls.other = cls._customer("Gemini Furniture", collection_responsible_id=cls.collector.id)

    def told(self, user=None):
        """The notifications the collector (or ``user``) got, newest first."""
        return (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("message_type", "=", "user_notification"),
                    ("partner_ids", "in", (user or self.collector).partner_id.ids),
                ]
            )
        )

    def test_one_notification_per_run_for_all_the_activities(self):
        self._invoice(self.customer, 35)  # a call
        self._invoice(self.other, 95)  # a collection agency proposal
        self.run_engine()
        told = self.told()
        self.assertEqual(len(told), 1)
        body = str(told.body)
        self.assertIn("Azure Interior", body)
        self.assertIn("Gemini Furniture", body)
        self.assertIn(f"res_id={self.other.id}", body)
        # In the collector's language, by email as the collector chose.
        self.assertEqual(told.subject, "Actividades de cobro asignadas a usted (2)")
        self.assertIn("Cliente", body)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", told.id)])
        self.assertEqual(mail.recipient_ids, self.collector.partner_id)

        self.run_engine()
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(self.told(), told, "nothing new assigned: nothing new said")

        # A new customer to call, a week later: only it is in the new notification.
        third = self._customer("Lumber Inc", collection_responsible_id=self.collector.id)
        self._invoice(third, 28)
        self.run_engine(DAY0 + timedelta(days=7))
        new = self.told() - told
        self.assertEqual(len(new), 1)
        self.assertIn("Lumber Inc", str(new.body))
        self.assertNotIn("Azure Interior", str(new.body))

    def test_a_call_whose_assignee_lost_the_rights_to_log_it_is_handed_over(self):
        """An assignee who, still active, can no longer log the call (invoicing rights
        taken away, another company): the run gives it to whom it would give it now, and
        tells them, instead of leaving the customer uncalled behind an open call."""
        self._invoice(self.customer, 35)
        self.run_engine()
        call = self.collection_activities(self.customer)
        self.assertEqual(call.user_id, self.collector)
        salesperson = new_test_user(
            self.env, login="sales.rep", groups="account.group_account_invoice", name="Sam Sales"
        )
        self.customer.invoice_ids.sudo().invoice_user_id = salesperson
        self.collector.groups_id = [(3, self.env.ref("account.group_account_invoice").id)]
        self.run_engine(DAY0 + timedelta(days=1))
        self.assertEqual(self.collection_activities(self.customer), call)
        self.assertEqual(call.user_id, salesperson)
        self.assertIn("Azure Interior", str(self.told(salesperson).body))

    def test_nobody_is_told_of_their_own_activities_or_of_done_ones(self):
        third = self._customer("Lumber Inc", collection_responsible_id=self.collector.id)
        for customer in (self.customer, self.other, third):
            self._invoice(customer, 35)
        # The run's own user is not told; an activity done before the end of the run is left
        # out (here: marked done between the decision and the notification).
        self.customer.collection_responsible_id = self.env.ref("base.user_root")
        Activity = type(self.env["mail.activity"])
        notify = Activity._collection_notify_assigned

        def done_first(activities):
            self.collection_activities(self.other).with_context(
                collection_closing=True
            ).action_feedback("Called already")
            return notify(activities)

        self.patch(Activity, "_collection_notify_assigned", done_first)
        self.run_engine()
        told = self.told()
        self.assertEqual(len(told), 1)
        self.assertIn("Lumber Inc", str(told.body))
        self.assertNotIn("Gemini Furniture", str(told.body))
        self.assertNotIn("Azure Interior", str(told.body))
        self.assertEqual(told.subject, "Actividades de cobro asignadas a usted (1)")
        self.assertFalse(
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search_count([("collection_notify_pending", "=", True)])
        )

    def notifying_fails(self, fails):
        """Two customers to call, for the collector and another collector, with the
        notification of a user failing where ``fails(activities, user)`` raises (the two
        activities come from the next run). Returns the other collector."""
        other_collector = new_test_user(
            self.env, login="other.collector", groups="account.group_account_invoice"
        )
        self.other.collection_responsible_id = other_collector
        self._invoice(self.customer, 35)
        self._invoice(self.other, 35)
        Activity = type(self.env["mail.activity"])
        notify = Activity._collection_notify

        def failing(activities, user):
            fails(activities, user)
            return notify(activities, user)

        self.patch(Activity, "_collection_notify", failing)
        return other_collector

    def test_a_notification_timing_out_stops_no_other(self):
        """A query the database cancels at its time limit fails that user's notification
        only, as any other error does."""

        def timing_out(activities, user):
            if user == self.collector:
                activities.env.cr.execute("SET LOCAL statement_timeout = 10; SELECT pg_sleep(1)")

        other_collector = self.notifying_fails(timing_out)
        with self.assertLogs(
            "odoo.addons.account_collection_stages.models.mail_activity", "ERROR"
        ) as logs:
            self.run_engine()
        self.assertIn("statement timeout", "\n".join(logs.output))
        self.assertFalse(self.told())
        self.assertEqual(len(self.told(other_collector)), 1)

    def test_a_failing_notification_stops_no_other_and_is_tried_again(self):
        broken = {self.collector}

        def failing(activities, user):
            if user in broken:
                raise ValueError("cannot render")

        other_collector = self.notifying_fails(failing)
        with self.assertLogs(
            "odoo.addons.account_collection_stages.models.mail_activity", "ERROR"
        ) as logs:
            self.run_engine()
        self.assertIn("Carla Collector", logs.output[0])
        self.assertFalse(self.told())
        other_told = self.told(other_collector)
        self.assertEqual(len(other_told), 1)
        self.assertEqual(len(self.collection_activities(self.other)), 1)

        # Mended by the next day: the collector is told of the call, the other collector is
        # not told again.
        broken.clear()
        self.run_engine(DAY0 + timedelta(days=1))
        told = self.told()
        self.assertEqual(len(told), 1)
        self.assertIn("Azure Interior", str(told.body))
        self.assertEqual(self.told(other_collector), other_told)
