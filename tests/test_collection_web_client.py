"""The web client, in a real browser: what the chatter offers on a collection call."""

from odoo.tests import HttpCase, tagged

from .common import MODULE, CollectionCase


@tagged("standard", "post_install", "-at_install")
class TestCollectionWebClient(CollectionCase, HttpCase):
    def test_collection_call_is_logged_not_marked_done(self):
        """The chatter offers Log call, not Mark Done, on a collection call (the server
        refuses Mark Done on it); another activity keeps Mark Done."""
        admin = self.env.ref("base.user_admin")
        admin.write(
            {
                "company_ids": [(4, self.env.company.id)],
                "company_id": self.env.company.id,
                "groups_id": [(4, self.env.ref(f"{MODULE}.group_collection_user").id)],
            }
        )
        self.customer.activity_schedule(
            f"{MODULE}.mail_activity_type_collection_call",
            summary="Call the customer",
            user_id=admin.id,
        )
        self.customer.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Check the contract",
            user_id=admin.id,
        )
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "account_collection_stages_call_activity",
            login="admin",
        )
