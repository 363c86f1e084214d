from odoo import api, fields, models


class CollectionPaymentPlanLine(models.Model):
    _name = "collection.payment.plan.line"
    _description = "Payment Plan Installment"
    _order = "date, id"

    plan_id = fields.Many2one(
        "collection.payment.plan", required=True, ondelete="cascade", index=True
    )
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    amount_paid = fields.Monetary(compute="_compute_amount_paid", store=True)
    state = fields.Selection(
        [("open", "Open"), ("partial", "Partly paid"), ("paid", "Paid")],
        string="Status",
        compute="_compute_amount_paid",
        store=True,
    )

    _sql_constraints = [
        ("amount_not_negative", "CHECK(amount >= 0)", "An installment cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.plan_id._check_terms_open()
        return lines

    def write(self, vals):
        plans = self.plan_id
        if vals.get("plan_id"):
            plans |= self.env["collection.payment.plan"].browse(vals["plan_id"])
        plans._check_terms_open()
        return super().write(vals)

    def unlink(self):
        self.plan_id._check_terms_open()
        return super().unlink()

    @api.depends(
        "amount",
        "plan_id.amount_total",
        "plan_id.move_ids.amount_residual",
        "plan_id.move_ids.state",
    )
    def _compute_amount_paid(self):
        """What was paid on the plan's invoices since it was made fills the installments in
        date order."""
        for plan in self.plan_id:
            paid = plan.amount_total - plan._collection_left_to_pay()
            for line in plan.line_ids.sorted(lambda line: (line.date, line.id)):
                line.amount_paid = min(max(paid, 0.0), line.amount)
                paid -= line.amount_paid
                if plan.currency_id.compare_amounts(line.amount_paid, line.amount) >= 0:
                    line.state = "paid"
                elif plan.currency_id.is_zero(line.amount_paid):
                    line.state = "open"
                else:
                    line.state = "partial"
