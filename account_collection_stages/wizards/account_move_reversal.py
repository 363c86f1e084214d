from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        """The credit notes made from "Resolve dispute: customer right" end the dispute of
        the invoices they credit once they are posted (account.move's _post)."""
        if not self.env.context.get("collection_dispute_customer_right"):
            return super().reverse_moves(is_modify=is_modify)
        disputed = self.move_ids._collection_disputed()  # a collection manager's decision
        action = super().reverse_moves(is_modify=is_modify)
        credit_notes = self.new_move_ids.filtered(lambda m: m.reversed_entry_id in disputed)
        credit_notes.sudo().collection_resolves_dispute = True
        # A reversal that cancels the invoice posts its credit note at once.
        credit_notes.filtered(lambda m: m.state == "posted")._collection_end_credited_disputes()
        return action
