from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

from .account_move import SETTLED_STATES
from .sql_rows import update_rows

HISTORY_MONTHS = 24
# Points taken off the score.
PER_DAY_LATE = 0.5
PER_BROKEN_PROMISE = 10
PER_BROKEN_PLAN = 15


class CollectionPaymentScore(models.AbstractModel):
    """How well a customer pays a company, from its invoices of the last 24 months in that
    company: each company of a database sees its own figures (company-dependent fields).

    score = 100 x on-time ratio - 0.5 x average days late - 10 x broken promises
            - 15 x broken plans, kept between 0 and 100;
    both the ratio and the days late are weighted by the invoices' amounts. An invoice counts
    once it is due: on time when paid in full by its due date, late otherwise (days late up to
    its payment, or up to today while unpaid). Its last payment dates it, not a credit note:
    what the customer was credited, late or not, it did not have to pay (the invoice's
    collection_paid_date, kept as payments are matched, so that the daily run reads no
    payment).
    """

    _name = "collection.payment.score"
    _description = "Collection Payment Score"

    @api.model
    def _recompute(self, partners, today=None, writes=None):
        """The score of ``partners`` in the current company, on ``today`` (by default the
        company's); with ``writes`` ({partner: {field: value}}), the figures that change are
        added there for the caller to write, else written."""
        # Their figures of this company, whatever environment they come in.
        partners = partners.with_env(self.env).commercial_partner_id
        if not partners:
            return
        today = today or self.env.company._collection_today()
        self.env["account.move"].flush_model(
            [
                "partner_id",
                "commercial_partner_id",
                "amount_total_signed",
                "payment_state",
                "collection_paid_date",
                "state",
                "move_type",
                "invoice_date_due",
            ]
        )
        # weight, on-time weight, weighted days late, by customer; one query for the batch.
        query = SQL(
            """
            WITH judged AS (
                SELECT move.commercial_partner_id AS partner_id,
                       ABS(move.amount_total_signed) AS weight,
                       move.invoice_date_due AS due,
                       move.payment_state IN %(settled)s
                           AND (move.collection_paid_date IS NULL
                                OR move.collection_paid_date <= move.invoice_date_due)
                           AS on_time,
                       CASE WHEN move.payment_state IN %(settled)s
                            THEN COALESCE(move.collection_paid_date, move.invoice_date_due)
                            ELSE %(today)s END AS until
                  FROM account_move move
                 WHERE move.company_id = %(company)s
                   AND move.partner_id IN %(contacts)s
                   AND move.commercial_partner_id IN %(partners)s
                   AND move.move_type = 'out_invoice'
                   AND move.state = 'posted'
                   AND move.payment_state != 'reversed'
                   AND move.invoice_date_due < %(today)s
                   AND move.invoice_date_due >= %(since)s
            )
            SELECT partner_id,
                   SUM(weight),
                   COALESCE(SUM(weight) FILTER (WHERE on_time), 0),
                   COALESCE(SUM(weight * GREATEST(until - due, 0)) FILTER (WHERE NOT on_time), 0)
              FROM judged
          GROUP BY partner_id
            """,
            contacts=tuple(partners._collection_contact_ids()),
            partners=tuple(partners.ids),
            company=self.env.company.id,
            settled=SETTLED_STATES,
            today=today,
            since=today - relativedelta(months=HISTORY_MONTHS),
        )
        totals = {
            partner_id: (float(weight), float(on_time), float(days))
            for partner_id, weight, on_time, days in self.env.execute_query(query)
        }
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
        if writes is not None:
            for partner, changed in values.items():
                writes.setdefault(partner, {}).update(changed)
            return
        # Plain figures, computed for many customers at once: one UPDATE, not a write() each.
        update_rows(self.env["res.partner"], values)

    @api.model
    def _rating(self, score):
        if score >= 70:
            return "good"
        return "fair" if score >= 40 else "poor"
