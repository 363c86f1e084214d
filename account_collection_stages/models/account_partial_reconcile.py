from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # A payment reconciled with customer invoices updates those customers' payment score.
        invoices = partials.debit_move_id.move_id.filtered(lambda m: m.move_type == "out_invoice")
        for company, moves in invoices.grouped("company_id").items():
            self.env["collection.payment.score"].with_company(company)._recompute(
                moves.commercial_partner_id
            )
        return partials
