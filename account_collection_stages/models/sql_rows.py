"""Insert or update many rows of a model's table in one statement.

The collection run writes thousands of records a day (events, chatter notes, activities,
invoices' collection fields) whose values it computes itself. The ORM's create() and write()
cost queries and field conversions per record; these rows need none of that, so they are
written with one statement per table and set of columns."""

from collections import defaultdict

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
    keys = list(rows[0])
    columns, extra = keys, []
    if log_access:
        now = fields.Datetime.now()
        columns = [*keys, "create_uid", "create_date", "write_uid", "write_date"]
        extra = [env.uid, now, env.uid, now]
    values = value_rows([[*(row[key] for key in keys), *extra] for row in rows])
    query = SQL(
        "INSERT INTO %s (%s) VALUES %s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(column) for column in columns),
        values,
    )
    if not returning:
        env.execute_query(query)
        return []
    return [
        row[0]
        for row in env.execute_query(SQL("%s RETURNING %s", query, SQL.identifier(returning)))
    ]


def update_rows(model, values):
    """Write ``values`` ({record: {field name: value}}, records of ``model``) with one UPDATE
    per set of fields written, and keep the written values in the cache.

    For plain stored fields that nothing is computed from, the run writes thousands of
    records at a time; write() costs a query and the ORM's bookkeeping per record."""
    groups = defaultdict(dict)
    for record, vals in values.items():
        groups[tuple(sorted(vals))][record.id] = vals
    env = model.env
    now = fields.Datetime.now()
    for names, by_id in groups.items():
        rows = value_rows(
            [
                [record_id, *(column_value(vals[name]) for name in names)]
                for record_id, vals in by_id.items()
            ]
        )
        assignments = SQL(", ").join(
            SQL(
                f"%s = v.%s::{model._fields[name].column_type[1]}",
                SQL.identifier(name),
                SQL.identifier(name),
            )
            for name in names
        )
        env.execute_query(
            SQL(
                "UPDATE %s AS t SET %s, write_uid = %s, write_date = %s "
                "FROM (VALUES %s) AS v(id, %s) WHERE t.id = v.id",
                SQL.identifier(model._table),
                assignments,
                env.uid,
                now,
                rows,
                SQL(", ").join(SQL.identifier(name) for name in names),
            )
        )
        records = model.browse(by_id)
        for name in names:
            field = model._fields[name]
            env.cache.update(
                records,
                field,
                [field.convert_to_cache(vals[name], records) for vals in by_id.values()],
            )
        records.invalidate_recordset(["write_uid", "write_date"])


def value_rows(rows):
    """``(%s, ...), (%s, ...)`` for a VALUES list: one SQL object for all the rows."""
    row = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    return SQL(", ".join([row] * len(rows)), *(value for values in rows for value in values))


def column_value(value):
    return None if value is False else value
