from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .sql_rows import update_rows

HISTORY_MONTHS = 24
# Points taken off the score.
PER_DAY_LATE = 0.5
PER_BROKEN_PROMISE = 10
PER_BROKEN_PLAN = 15


class CollectionPaymentScore(models.AbstractModel):
    """How well a customer pays, from its invoices of the last 24 months.

    score = 100 x on-time ratio - 0.5 x average days late - 10 x broken promises
            - 15 x broken plans, kept between 0 and 100;
    both the ratio and the days late are weighted by the invoices' amounts. An invoice counts
    once it is due: on time when paid in full by its due date, late otherwise (days late up to
    its payment, or up to today while unpaid).
    """

    _name = "collection.payment.score"
    _description = "Collection Payment Score"

    @api.model
    def _recompute(self, partners):
        partners = partners.commercial_partner_id
        if not partners:
            return
        today = fields.Date.context_today(self)
        moves = (
            self.env["account.move"]
            .sudo()
            .search_fetch(
                [
                    ("commercial_partner_id", "in", partners.ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "!=", "reversed"),
                    ("invoice_date_due", "<", today),
                    ("invoice_date_due", ">=", today - relativedelta(months=HISTORY_MONTHS)),
                ],
                [
                    "amount_total_signed",
                    "payment_state",
                    "invoice_date_due",
                    "commercial_partner_id",
                ],
            )
        )
        paid_on = self._payment_dates(moves)
        totals = defaultdict(lambda: [0.0, 0.0, 0.0])  # weight, on-time weight, weighted days
        for move in moves:
            weight = abs(move.amount_total_signed)
            paid = move.payment_state in ("paid", "in_payment")
            end = paid_on.get(move.id) if paid else None
            on_time = paid and end is not None and end <= move.invoice_date_due
            late_days = 0 if on_time else max(((end or today) - move.invoice_date_due).days, 0)
            total = totals[move.commercial_partner_id.id]
            total[0] += weight
            total[1] += weight if on_time else 0.0
            total[2] += weight * late_days
        values = {}
        for partner in partners:
            weight, on_time, days = totals.get(partner.id, (0.0, 0.0, 0.0))
            if not weight:
                vals = {
                    "collection_payment_score": 0,
                    "collection_payment_rating": "none",
                    "collection_on_time_ratio": 0.0,
                    "collection_avg_days_late": 0.0,
                }
            else:
                ratio = on_time / weight
                avg_late = days / weight
                score = (
                    100 * ratio
                    - PER_DAY_LATE * avg_late
                    - PER_BROKEN_PROMISE * partner.collection_broken_promises
                    - PER_BROKEN_PLAN * partner.collection_broken_plans
                )
                score = min(max(round(score), 0), 100)
                vals = {
                    "collection_payment_score": score,
                    "collection_payment_rating": self._rating(score),
                    "collection_on_time_ratio": round(ratio * 100, 2),
                    "collection_avg_days_late": round(avg_late, 2),
                }
            changed = {name: value for name, value in vals.items() if partner[name] != value}
            if changed:
                values[partner] = changed
        # Plain figures, computed for many customers at once: one UPDATE, not a write() each.
        update_rows(self.env["res.partner"], values)

    @api.model
    def _rating(self, score):
        if score >= 70:
            return "good"
        return "fair" if score >= 40 else "poor"

    @api.model
    def _payment_dates(self, moves):
        """{move id: date of the last payment reconciled with its receivable lines}."""
        if not moves:
            return {}
        groups = (
            self.env["account.partial.reconcile"]
            .sudo()
            ._read_group(
                [("debit_move_id.move_id", "in", moves.ids)],
                ["debit_move_id"],
                ["max_date:max"],
            )
        )
        dates = {}
        for line, day in groups:
            move_id = line.move_id.id
            dates[move_id] = max(day, dates.get(move_id, day))
        return dates
