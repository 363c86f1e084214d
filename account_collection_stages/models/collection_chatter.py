from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id


class CollectionChatter(models.AbstractModel):
    """Chatter notes written by the collection run, many at once.

    mail.message's create() does several queries per message (reply-to aliases, followers,
    subtypes); the daily run writes one note per invoice whose stage changes and one per
    collection event, so it inserts its notes, and their tracking values, in one statement
    each. The notes are plain internal notes by OdooBot: nobody is notified of them."""

    _name = "collection.chatter"
    _description = "Collection Chatter Notes"

    @api.model
    def _log_notes(self, notes):
        """Insert internal notes; ``notes`` is a list of dicts with ``model``, ``res_id``,
        ``body`` (Markup) and, optionally, ``record_name``, ``company_id`` and ``tracking``
        (a list of mail.tracking.value values without mail_message_id).
        Returns the mail.message records, in the order of ``notes``."""
        if not notes:
            return self.env["mail.message"]
        self.env.flush_all()
        author = self.env.ref("base.partner_root")
        subtype = self.env.ref("mail.mt_note")
        now = fields.Datetime.now()
        uid = self.env.uid
        rows = [
            SQL(
                "(%s, %s, %s, %s, 'notification', %s, %s, %s, %s, %s, TRUE, TRUE, "
                "%s, %s, %s, %s, %s)",
                note["model"],
                note["res_id"],
                note.get("record_name"),
                note.get("company_id"),
                subtype.id,
                author.id,
                author.email_formatted or None,
                generate_tracking_message_id("collection"),
                str(note.get("body") or ""),
                now,
                uid,
                now,
                uid,
                now,
            )
            for note in notes
        ]
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "INSERT INTO mail_message (model, res_id, record_name, record_company_id, "
                    "message_type, subtype_id, author_id, email_from, message_id, body, "
                    "is_internal, email_add_signature, date, create_uid, create_date, "
                    "write_uid, write_date) VALUES %s RETURNING id",
                    SQL(", ").join(rows),
                )
            )
        ]
        tracking = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                message_id,
                value["field_id"],
                value.get("old_value_integer"),
                value.get("new_value_integer"),
                value.get("old_value_char"),
                value.get("new_value_char"),
                uid,
                now,
                uid,
                now,
            )
            for message_id, note in zip(ids, notes, strict=True)
            for value in note.get("tracking", ())
        ]
        if tracking:
            self.env.execute_query(
                SQL(
                    "INSERT INTO mail_tracking_value (mail_message_id, field_id, "
                    "old_value_integer, new_value_integer, old_value_char, new_value_char, "
                    "create_uid, create_date, write_uid, write_date) VALUES %s",
                    SQL(", ").join(tracking),
                )
            )
        # The records' chatters (message_ids) were read before the notes existed.
        for model, group in self._group_by_model(notes).items():
            self.env[model].browse(group).invalidate_recordset(["message_ids"])
        return self.env["mail.message"].browse(ids)

    @api.model
    def _group_by_model(self, notes):
        groups = {}
        for note in notes:
            groups.setdefault(note["model"], []).append(note["res_id"])
        return groups
