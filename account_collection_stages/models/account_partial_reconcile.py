from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # A payment reconciled with customer invoices updates those customers' payment score.
        invoices = partials._collection_invoices()
        partials._collection_recompute_scores(invoices)
        # And those it pays leave the ladder at once, not at the next daily run.
        self.env["collection.settlement"]._collection_settle_later(
            invoices.filtered("collection_stage_id")
        )
        return partials

    def unlink(self):
        # So does a payment taken back from them (a bounced cheque, a payment unmatched).
        invoices = self._collection_invoices()
        result = super().unlink()
        self._collection_recompute_scores(invoices.exists())
        return result

    def _collection_invoices(self):
        """The customer invoices these matches pay."""
        return self.debit_move_id.move_id.filtered(lambda m: m.move_type == "out_invoice")

    @api.model
    def _collection_recompute_scores(self, invoices):
        for company, moves in invoices.grouped("company_id").items():
            self.env["collection.payment.score"].with_company(company)._recompute(
                moves.commercial_partner_id
            )
