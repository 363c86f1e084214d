from odoo import fields, models

from .collection_activity_scheduler import workers_domain


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_late_interest_rate = fields.Float(
        related="company_id.collection_late_interest_rate", readonly=False
    )
    collection_late_fee = fields.Monetary(
        related="company_id.collection_late_fee",
        readonly=False,
        currency_field="currency_id",
    )
    collection_consumer_interest_rate = fields.Float(
        related="company_id.collection_consumer_interest_rate", readonly=False
    )
    collection_default_user_id = fields.Many2one(
        related="company_id.collection_default_user_id",
        readonly=False,
        # Those the daily run gives the activities to.
        domain=lambda self: workers_domain(self.env, "company_id"),
    )
    # The company's time zone is its address's (the company's partner), as elsewhere in Odoo.
    collection_tz = fields.Selection(
        related="company_id.partner_id.tz",
        readonly=False,
        string="Time zone",
        help="The daily collection run counts days overdue in this time zone, and collection "
        "actions by hand are dated in it. When empty: the time zone of the company address's "
        "state or country, of several the one where the day starts last (Mountain time for "
        "Texas), so that no invoice counts overdue on its due date.",
    )
    collection_contact_rules = fields.Selection(
        related="company_id.collection_contact_rules", readonly=False
    )
    collection_promise_grace_days = fields.Integer(
        related="company_id.collection_promise_grace_days", readonly=False
    )
    collection_plan_grace_days = fields.Integer(
        related="company_id.collection_plan_grace_days", readonly=False
    )
    collection_charge_product_id = fields.Many2one(
        related="company_id.collection_charge_product_id", readonly=False, check_company=True
    )
    collection_charge_account_id = fields.Many2one(
        related="company_id.collection_charge_account_id",
        readonly=False,
        check_company=True,
    )
