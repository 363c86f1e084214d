from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    collection_charge_origin_id = fields.Many2one(
        "account.move",
        string="Finance charge for",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="The overdue invoice this finance charge line charges interest or a fee on.",
    )
    collection_charge_kind = fields.Selection(
        [("interest", "Late interest"), ("fee", "Late fee")],
        string="Finance charge type",
        copy=False,
        readonly=True,
    )
    collection_charge_to = fields.Date(string="Interest charged up to", copy=False, readonly=True)
