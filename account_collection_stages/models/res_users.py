from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def action_archive(self):
        # Before Odoo deletes their activities (mail's action_archive): the collection ones
        # go to someone else.
        self.env["mail.activity"]._collection_hand_over(self)
        return super().action_archive()
