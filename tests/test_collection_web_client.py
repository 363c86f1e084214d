"""The web client, in a real browser: what the chatter, the activity popover and the invoice
form offer."""

from datetime import date, timedelta

from odoo.tests import HttpCase, new_test_user, tagged

from .common import MODULE, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionWebClient(CollectionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Admin works in the test company, as a collection user.
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.write(
            {
                "company_ids": [(4, cls.env.company.id)],
                "company_id": cls.env.company.id,
                "groups_id": [(4, cls.env.ref(f"{MODULE}.group_collection_user").id)],
            }
        )

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        # The first tour of a run also builds the web client's assets: on a busy machine that
        # alone can take most of Odoo's default minute.
        kwargs.setdefault("timeout", 180)
        return super().start_tour(url_path, tour_name, step_delay, **kwargs)

    def _call_and_todo(self):
        self.customer.activity_schedule(
            f"{MODULE}.mail_activity_type_collection_call",
            summary="Call the customer",
            user_id=self.admin.id,
        )
        self.customer.activity_schedule(
            "mail.mail_activity_data_todo", summary="Check the contract", user_id=self.admin.id
        )

    def test_collection_call_is_logged_not_marked_done(self):
        """The chatter, and the activity's Edit dialog, offer Log call, not Mark Done, on a
        collection call (the server refuses Mark Done on it); another activity keeps it."""
        self._call_and_todo()
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "account_collection_stages_call_activity",
            login="admin",
        )

    def test_collection_call_in_the_activity_popover(self):
        """The activity popover of the customers' kanban offers Log call, not Mark Done."""
        self._invoice(self.customer, 40)  # a customer, in the Customers menu
        self._call_and_todo()
        self.start_tour(
            "/odoo/action-account.res_partner_action_customer",
            "account_collection_stages_call_activity_popover",
            login="admin",
        )

    def test_collection_call_in_the_activity_list(self):
        """The activity list (Activity Overview) offers Log call, not Done, on a collection
        call's row."""
        self._call_and_todo()
        self.start_tour(
            "/odoo/action-mail.mail_activity_action",
            "account_collection_stages_call_activity_list",
            login="admin",
        )

    def test_send_now_is_not_offered_on_an_invoice_on_hold(self):
        """The invoice form offers Send overdue reminder now on an overdue invoice, not while
        it is on hold (Send now refuses it then)."""
        move = self._invoice(self.customer, 40)
        url = f"/odoo/action-account.action_move_out_invoice_type/{move.id}"
        self.start_tour(url, "account_collection_stages_send_now_offered", login="admin")
        move.collection_hold_until = date.today() + timedelta(days=5)
        self.start_tour(url, "account_collection_stages_send_now_hidden", login="admin")

    def test_a_customers_responsible_is_one_who_can_take_its_calls(self):
        """The customer's Collection tab offers as collection responsible the employees who
        can take its calls, not a salesperson; its domain is evaluated by the web client."""
        new_test_user(self.env, "sally", name="Sally Sales", groups="base.group_user")
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "account_collection_stages_responsible_offered",
            login="admin",
        )
