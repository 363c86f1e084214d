"""The payment score becomes company-dependent (a jsonb value per company): the old figures,
computed over all companies at once, cannot be split by company. Their columns are dropped;
post-migrate computes each company's figures again.

The daily run's record of a broken promise no longer repeats the promise's state (the promise
says it was broken): without it, post-migrate counts each broken promise once. Those records
are the promise events with an overdue amount, which only the run writes."""

from odoo.tools.sql import column_exists

SCORE_COLUMNS = (
    "collection_payment_score",
    "collection_payment_rating",
    "collection_on_time_ratio",
    "collection_avg_days_late",
    "collection_broken_promises",
    "collection_broken_plans",
)


def migrate(cr, version):
    cr.execute(
        """
        UPDATE collection_event SET promise_state = NULL
         WHERE kind = 'promise' AND promise_state = 'broken' AND amount_overdue IS NOT NULL
        """
    )
    for column in SCORE_COLUMNS:
        if column_exists(cr, "res_partner", column):
            cr.execute(f'ALTER TABLE res_partner DROP COLUMN "{column}"')  # noqa: S608
