from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    collection_stage_id = fields.Many2one(
        "collection.stage",
        string="Collection stage",
        index="btree_not_null",
        ondelete="set null",
        help="Stage of the collection ladder that scheduled this activity.",
    )

    def action_collection_log_call(self):
        self.ensure_one()
        partner = self.env["res.partner"].browse(self.res_id)
        return self.env["collection.call.wizard"]._open_for(
            partner.commercial_partner_id, activity=self
        )
