"""A stage's days overdue are now required, 0 by default: the ladder goes by them. A stage
created without them (from code or an import) counts from the first day, as it did."""


def migrate(cr, version):
    cr.execute("UPDATE collection_stage SET min_days_overdue = 0 WHERE min_days_overdue IS NULL")
