"""Insert many rows of a model's table in one statement.

The collection run writes thousands of records a day (events, chatter notes, activities) whose
values it computes itself. The ORM's create() costs a few queries and field conversions per
record; these rows need none of that, so they go in with one INSERT per table."""

from odoo import fields
from odoo.tools import SQL


def insert_rows(env, table, rows, log_access=True, returning="id"):
    """Insert ``rows`` (dicts of column values, all with the same keys) into ``table``.

    With ``log_access``, the create/write user and date columns are filled in.
    Returns the new ids (the ``returning`` column; None for a table without ids, such as a
    many2many relation) in the order of ``rows``. Values are plain column values: ids,
    dates, strings (Markup for HTML). The caller invalidates what it read before."""
    if not rows:
        return []
    columns = list(rows[0])
    extra = []
    if log_access:
        now = fields.Datetime.now()
        extra = [env.uid, now, env.uid, now]
        columns += ["create_uid", "create_date", "write_uid", "write_date"]
    keys = list(rows[0])
    template = "(" + ", ".join(["%s"] * len(columns)) + ")"
    values = SQL(", ").join(SQL(template, *[row[key] for key in keys], *extra) for row in rows)
    query = SQL(
        "INSERT INTO %s (%s) VALUES %s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(column) for column in columns),
        values,
    )
    if not returning:
        env.cr.execute(query)
        return []
    return [
        row[0]
        for row in env.execute_query(SQL("%s RETURNING %s", query, SQL.identifier(returning)))
    ]
