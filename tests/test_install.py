"""The addon is real: it installs, its actions and menus open, and its records are guarded."""

from odoo.exceptions import AccessError
from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, new_test_user, tagged

MODULE = "account_collection_stages"
OUR_MODELS = (
    "collection.stage",
    "collection.event",
    "collection.pause",
    "collection.promise.payment",
)
# Written by the collection actions only.
RECORDS = ("collection.event", "collection.promise.payment")


@tagged("standard", "post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(cls.env, "acs_billing", groups="account.group_account_invoice")
        cls.admin_user = new_test_user(
            cls.env, "acs_admin", groups="account.group_account_manager,base.group_system"
        )
        cls.internal = new_test_user(cls.env, "acs_internal", groups="base.group_user")

    def _our_records(self, model):
        data = self.env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", model)])
        return self.env[model].browse(data.mapped("res_id")).exists()

    def test_installed(self):
        module = self.env["ir.module.module"].search([("name", "=", MODULE)])
        self.assertEqual(module.state, "installed")
        # The database runs the version of the code: its migrations ran.
        self.assertEqual(module.latest_version, get_manifest(MODULE)["version"])

    def test_actions_open(self):
        actions = self._our_records("ir.actions.act_window")
        self.assertGreaterEqual(len(actions), 3)
        for user in (self.admin_user, self.billing):
            env = self.env(user=user)
            for action in actions.with_env(env):
                data = env["ir.actions.act_window"]._for_xml_id(action.get_external_id()[action.id])
                model = env[data["res_model"]]
                if not model.has_access("read"):
                    continue
                views = [(view_id, mode) for view_id, mode in data["views"]]
                with self.subTest(action=data["name"], user=user.login):
                    result = model.get_views(views, {"load_filters": True})
                    for _view_id, mode in views:
                        self.assertIn(mode, result["views"])
                    model.search([], limit=1)

    def test_menus_open(self):
        menus = self._our_records("ir.ui.menu")
        self.assertGreaterEqual(len(menus), 3)
        visible = self.env["ir.ui.menu"].with_user(self.admin_user)._visible_menu_ids()
        for menu in menus:
            with self.subTest(menu=menu.complete_name):
                self.assertIn(menu.id, visible)
                self.assertTrue(menu.action)
        billing_visible = self.env["ir.ui.menu"].with_user(self.billing)._visible_menu_ids()
        history = self.env.ref(f"{MODULE}.collection_event_menu")
        self.assertIn(history.id, billing_visible)

    def test_groups(self):
        user_group = self.env.ref(f"{MODULE}.group_collection_user")
        manager_group = self.env.ref(f"{MODULE}.group_collection_manager")
        self.assertIn(user_group, self.billing.groups_id)
        self.assertNotIn(manager_group, self.billing.groups_id)
        self.assertIn(manager_group, self.admin_user.groups_id)
        self.assertNotIn(user_group, self.internal.groups_id)

    def test_access_rules(self):
        user_group = self.env.ref(f"{MODULE}.group_collection_user")
        manager_group = self.env.ref(f"{MODULE}.group_collection_manager")
        access = self.env["ir.model.access"]
        for model in OUR_MODELS:
            with self.subTest(model=model):
                rules = access.search([("model_id.model", "=", model)])
                self.assertIn(user_group, rules.group_id)
                self.assertTrue(self.env[model].with_user(self.billing).has_access("read"))
                self.assertEqual(
                    self.env[model].with_user(self.admin_user).has_access("create"),
                    model not in RECORDS,
                )
        stage_rules = access.search([("model_id.model", "=", "collection.stage")])
        self.assertIn(manager_group, stage_rules.group_id)
        self.assertFalse(self.env["collection.stage"].with_user(self.billing).has_access("write"))
        for model in ("collection.stage", *RECORDS):
            rule = self.env["ir.rule"].search([("model_id.model", "=", model)])
            self.assertIn("company_ids", rule.domain_force)

    def test_plain_user_reads_nothing(self):
        stage = self.env.ref(f"{MODULE}.collection_stage_reminder")
        for model in ("collection.stage", "collection.event"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.internal).search([])
        with self.assertRaises(AccessError):
            stage.with_user(self.internal).read(["name"])

    def test_portal_customer_reads_no_collection_data(self):
        # The customer's own contact and invoice, as a portal user may read them: their stage,
        # score and the accountants' reasons stay internal.
        portal = new_test_user(self.env, "acs_portal", groups="base.group_portal")
        customer = portal.partner_id
        customer.sudo().write(
            {"collection_excluded": True, "collection_exclusion_reason": "Friend of the CEO"}
        )
        self.assertEqual(customer.with_user(portal).read(["email"])[0]["id"], customer.id)
        for name in ("collection_exclusion_reason", "collection_payment_rating"):
            with self.subTest(name=name), self.assertRaises(AccessError):
                customer.with_user(portal).read([name])
        self.assertNotIn("collection_stage_id", customer.with_user(portal).fields_get())
        invoice_fields = self.env["account.move"].with_user(portal).fields_get()
        self.assertIn("amount_residual", invoice_fields)
        self.assertFalse([name for name in invoice_fields if name.startswith("collection_")])
