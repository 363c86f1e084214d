from odoo import fields, models


class CollectionPromisePayment(models.Model):
    """What a kept promise counted of a payment nobody had matched with an invoice yet. A
    promise judged later counts only what is left of it: one payment keeps one promise, on
    whatever day each is judged. Once the payment is matched with the promise's invoices,
    the count is given back: the payment shows in their balance instead."""

    _name = "collection.promise.payment"
    _description = "Payment counted by a promise"

    event_id = fields.Many2one(
        "collection.event", string="Promise", required=True, ondelete="cascade", index=True
    )
    line_id = fields.Many2one(
        "account.move.line", string="Payment", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="event_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(string="Counted", help="What the promise counted of the payment.")
    matched_then = fields.Monetary(
        string="Matched with its invoices then",
        help="What of the payment was matched with the promise's invoices when the promise "
        "counted it.",
    )
