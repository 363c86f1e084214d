from odoo import api, fields, models
from odoo.tools.mail import generate_tracking_message_id

from .sql_rows import insert_rows


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
        ids = insert_rows(
            self.env,
            "mail_message",
            [
                {
                    "model": note["model"],
                    "res_id": note["res_id"],
                    "record_name": note.get("record_name"),
                    "record_company_id": note.get("company_id"),
                    "collection_company_id": note.get("company_id"),
                    "message_type": "notification",
                    "subtype_id": subtype.id,
                    "author_id": author.id,
                    "email_from": author.email_formatted or None,
                    "message_id": generate_tracking_message_id("collection"),
                    "body": str(note.get("body") or ""),
                    "is_internal": True,
                    "email_add_signature": True,
                    "date": now,
                }
                for note in notes
            ],
        )
        insert_rows(
            self.env,
            "mail_tracking_value",
            [
                dict(value, mail_message_id=message_id)
                for message_id, note in zip(ids, notes, strict=True)
                for value in note.get("tracking", ())
            ],
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
