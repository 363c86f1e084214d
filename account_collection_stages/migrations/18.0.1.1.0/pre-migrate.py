"""The payment score becomes company-dependent (a jsonb value per company): the old figures,
computed over all companies at once, cannot be split by company. Their columns are dropped;
post-migrate computes each company's figures again."""

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
    for column in SCORE_COLUMNS:
        if column_exists(cr, "res_partner", column):
            cr.execute(f'ALTER TABLE res_partner DROP COLUMN "{column}"')  # noqa: S608
