from odoo import fields, models


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
    collection_default_user_id = fields.Many2one(
        related="company_id.collection_default_user_id", readonly=False
    )
