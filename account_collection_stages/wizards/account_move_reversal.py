from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        """A credit note made from "Resolve dispute: customer right" ends the dispute."""
        action = super().reverse_moves(is_modify=is_modify)
        if self.env.context.get("collection_dispute_customer_right"):
            disputed = self.move_ids.filtered("collection_disputed")
            if disputed:
                disputed._collection_resolve_dispute(
                    self.env._("Dispute resolved: the customer is right.")
                )
        return action
