from odoo import api, fields, models


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

    @api.model
    def _get_with_access(self, message_id, operation, **kwargs):
        """Odoo lets whoever may act on a message's document react to the message or edit
        it, whatever the record rules: not to another company's collection message, hidden
        from them."""
        message = super()._get_with_access(message_id, operation, **kwargs)
        company = message.sudo().collection_company_id
        if company and not self.env.su and company not in self.env.companies:
            return self.browse()
        return message
