from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

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
    what the customer was credited, late or not, it did not have to pay.
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
                "state",
                "move_type",
                "invoice_date_due",
            ]
        )
        self.env["account.move.line"].flush_model(["move_id", "journal_id"])
        self.env["account.partial.reconcile"].flush_model(
            ["debit_move_id", "credit_move_id", "max_date"]
        )
        # weight, on-time weight, weighted days late, by customer; one query for the batch.
        query = SQL(
            """
            WITH invoice AS (
                SELECT move.id,
                       move.commercial_partner_id AS partner_id,
                       ABS(move.amount_total_signed) AS weight,
                       move.invoice_date_due AS due,
                       move.payment_state IN ('paid', 'in_payment') AS paid
                  FROM account_move move
                 WHERE move.company_id = %(company)s
                   AND move.partner_id IN %(contacts)s
                   AND move.commercial_partner_id IN %(partners)s
                   AND move.move_type = 'out_invoice'
                   AND move.state = 'posted'
                   AND move.payment_state != 'reversed'
                   AND move.invoice_date_due < %(today)s
                   AND move.invoice_date_due >= %(since)s
            ), payment AS (
                -- The paid invoices' last payment, joined once: a subquery per invoice ran
                -- twice for each paid one, and its estimated cost had PostgreSQL compile the
                -- query (JIT, up to a second) for a batch of customers with a long history.
                SELECT line.move_id, MAX(part.max_date) AS paid_on
                  FROM invoice
                  JOIN account_move_line line ON line.move_id = invoice.id
                  JOIN account_partial_reconcile part ON part.debit_move_id = line.id
                  JOIN account_move_line paying ON paying.id = part.credit_move_id
                  JOIN account_move paying_move ON paying_move.id = paying.move_id
                 WHERE invoice.paid
                   AND paying_move.move_type != 'out_refund'
                   -- nor an exchange difference, dated as the match it follows
                   AND paying.journal_id IS DISTINCT FROM %(exchange_journal)s
              GROUP BY line.move_id
            ), judged AS (
                SELECT invoice.partner_id, invoice.weight, invoice.due,
                       invoice.paid AND (payment.paid_on IS NULL OR payment.paid_on <= invoice.due)
                           AS on_time,
                       CASE WHEN invoice.paid THEN COALESCE(payment.paid_on, invoice.due)
                            ELSE %(today)s END AS until
                  FROM invoice
             LEFT JOIN payment ON payment.move_id = invoice.id
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
            # Odoo books every exchange difference in the company's exchange journal.
            exchange_journal=self.env.company.currency_exchange_journal_id.id or None,
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
