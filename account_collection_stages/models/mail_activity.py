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

    def action_collection_open_customer(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.res_id,
            "views": [(False, "form")],
            "view_mode": "form",
        }
