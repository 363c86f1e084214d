from odoo import api, fields, models

from .res_partner import PAYMENT_RATINGS, SCORE_FIELDS

# Field of the record: the customer's company-dependent field it shows.
HISTORY_FIELDS = {name.removeprefix("collection_"): name for name in sorted(SCORE_FIELDS)}


class CollectionPaymentHistory(models.AbstractModel):
    """The payment history of a record's customer with the record's company (a plan, a call),
    whichever company the user works in."""

    _name = "collection.payment.history"
    _description = "Collection Payment History"

    payment_score = fields.Integer(string="Payment score", compute="_compute_payment_history")
    payment_rating = fields.Selection(
        PAYMENT_RATINGS, string="Payment rating", compute="_compute_payment_history"
    )
    on_time_ratio = fields.Float(
        string="Paid on time (%)", digits=(16, 2), compute="_compute_payment_history"
    )
    avg_days_late = fields.Float(
        string="Average days late", digits=(16, 2), compute="_compute_payment_history"
    )
    broken_promises = fields.Integer(string="Broken promises", compute="_compute_payment_history")
    broken_plans = fields.Integer(string="Broken payment plans", compute="_compute_payment_history")

    @api.depends(
        "company_id", "partner_id", *(f"partner_id.{name}" for name in HISTORY_FIELDS.values())
    )
    def _compute_payment_history(self):
        for record in self:
            partner = record.partner_id.commercial_partner_id.with_company(
                record.company_id or self.env.company
            )
            for name, partner_field in HISTORY_FIELDS.items():
                record[name] = partner[partner_field]
