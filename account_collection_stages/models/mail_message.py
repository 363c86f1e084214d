from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    # Read by the record rule collection_message_rule_company.
    collection_company_id = fields.Many2one(
        "res.company",
        string="Collection company",
        readonly=True,
        index="btree_not_null",
        help="Company whose collection wrote this message: a reminder, a note of its "
        "collection history, a collection activity done. On a customer the companies share, "
        "only the users of that company read it.",
    )
