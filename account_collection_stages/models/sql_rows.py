"""Insert or update many rows of a model's table in one statement.

The collection run writes thousands of records a day (events, chatter notes, activities,
invoices' collection fields) whose values it computes itself. The ORM's create() and write()
cost queries and field conversions per record; these rows need none of that, so they are
written with one statement per table and set of columns. Each column's values go to the
database as one array (``unnest``): a statement with a parameter per value would cost a
Python object per value to build and a node per value for PostgreSQL to parse."""

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
    columns = {key: [row[key] for row in rows] for key in keys}
    if log_access:
        now = fields.Datetime.now()
        columns.update(
            create_uid=[env.uid] * len(rows),
            create_date=[now] * len(rows),
            write_uid=[env.uid] * len(rows),
            write_date=[now] * len(rows),
        )
    types = column_types(env, table, columns)
    query = SQL(
        "INSERT INTO %s (%s) SELECT * FROM unnest(%s)",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(column) for column in columns),
        SQL(", ").join(array(values, types[column]) for column, values in columns.items()),
    )
    if not returning:
        env.execute_query(query)
        return []
    # Rows are inserted, and their ids returned, in the arrays' order.
    return [
        row[0]
        for row in env.execute_query(SQL("%s RETURNING %s", query, SQL.identifier(returning)))
    ]


def update_rows(model, values):
    """Write ``values`` ({record: {field name: value}}, records of ``model``) with one UPDATE
    per set of fields written, and keep the written values in the cache. Company-dependent
    fields are written for the current company.

    For plain stored fields that nothing is computed from, the run writes thousands of
    records at a time; write() costs a query and the ORM's bookkeeping per record."""
    groups = defaultdict(dict)
    for record, vals in values.items():
        groups[tuple(sorted(vals))][record.id] = vals
    env = model.env
    now = fields.Datetime.now()
    for names, by_id in groups.items():
        arrays = [array(list(by_id), "int4")] + [
            array(
                [column_value(vals[name]) for vals in by_id.values()],
                model._fields[name]._column_type[1],
            )
            for name in names
        ]
        env.execute_query(
            SQL(
                "UPDATE %s AS t SET %s, write_uid = %s, write_date = %s "
                "FROM unnest(%s) AS v(id, %s) WHERE t.id = v.id",
                SQL.identifier(model._table),
                SQL(", ").join(assignment(model, name) for name in names),
                env.uid,
                now,
                SQL(", ").join(arrays),
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


def assignment(model, name):
    """SET clause of ``name`` from the unnested values; a company-dependent field is a jsonb
    column holding a value per company: the current company's is set, the others kept."""
    column = SQL.identifier(name)
    if model._fields[name].company_dependent:
        return SQL(
            "%s = COALESCE(t.%s, '{}'::jsonb) || jsonb_build_object(%s, v.%s)",
            column,
            column,
            str(model.env.company.id),
            column,
        )
    return SQL("%s = v.%s", column, column)


def column_types(env, table, columns):
    """{column: SQL type} of the ``columns`` of ``table``, from the fields of the model whose
    table it is; a many2many relation table, which has no model, holds ids."""
    model = next(
        (model for model in env.registry.values() if model._table == table and model._auto),
        None,
    )
    if model is None:
        return dict.fromkeys(columns, "int4")
    return {column: model._fields[column].column_type[1] for column in columns}


def array(values, sql_type):
    """``values`` as one array parameter of the given element type."""
    return SQL(f"%s::{sql_type}[]", values)


def column_value(value):
    return None if value is False else value
