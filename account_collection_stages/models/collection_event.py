from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html

from .sql_rows import insert_rows

CALL_OUTCOMES = [
    ("no_answer", "No answer"),
    ("left_message", "Left a message"),
    ("promise_to_pay", "Promise to pay"),
    ("plan_requested", "Payment plan requested"),
    ("dispute", "Dispute"),
    ("wrong_contact", "Wrong contact"),
    ("refused", "Refused to pay"),
    ("already_paid", "Says already paid"),
]
EVENT_KINDS = [
    ("reminder", "Overdue reminder"),
    ("call", "Call"),
    ("promise", "Promise to pay"),
    ("plan", "Payment plan"),
    ("dispute", "Dispute"),
    ("agency", "Collection agency"),
    ("legal", "Legal action"),
    ("note", "Note"),
    ("stage_change", "Stage change"),
    ("paid", "Paid"),
]


class CollectionEvent(models.Model):
    """One collection action on a customer: the history shown on partners and invoices."""

    _name = "collection.event"
    _description = "Collection Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    move_ids = fields.Many2many(
        "account.move",
        "collection_event_account_move_rel",
        "event_id",
        "move_id",
        string="Invoices",
        check_company=True,
    )
    kind = fields.Selection(EVENT_KINDS, string="Type", required=True, index=True)
    # By default the event's company's day (see create()).
    date = fields.Date(required=True, index=True)
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)
    stage_id = fields.Many2one("collection.stage", check_company=True, ondelete="set null")
    mail_message_id = fields.Many2one("mail.message", string="Message", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null", index="btree_not_null")
    activity_cancelled = fields.Boolean(
        string="Activity cancelled",
        readonly=True,
        help="The activity this entry scheduled was cancelled before anyone did it (the "
        "customer asked to cease communication): the next one is not put off for it.",
    )
    note = fields.Html(sanitize=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    call_outcome = fields.Selection(
        CALL_OUTCOMES,
        help="Outcome of a call that was made; empty for a call that was only scheduled.",
    )
    call_time = fields.Datetime(string="Call at", help="When the call was made.")
    call_inbound = fields.Boolean(
        string="Customer called",
        help="The customer made the call. The contact rules limit the calls placed to the "
        "customer, not those it makes; a conversation counts either way.",
    )
    contact_id = fields.Many2one("res.partner")
    promise_date = fields.Date(string="Promised date")
    promise_amount = fields.Monetary(string="Promised amount")
    promise_state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Not kept"), ("superseded", "Superseded")],
        string="Promise status",
        index=True,
        help="Superseded: what was left unpaid went into a payment plan or was disputed, or "
        "the customer put the promise off, before its date, with a new one.",
    )
    amount_overdue = fields.Monetary(
        string="Overdue amount", help="Overdue amount of the invoices, in the company currency."
    )
    amount_credit = fields.Monetary(
        string="Credits", help="Credit notes and unreconciled payments of the customer."
    )
    amount_claimed = fields.Monetary(
        string="Claimed", help="What the customer was asked to pay: overdue minus credits."
    )
    finance_charge = fields.Monetary(
        string="Finance charge",
        help="Late interest and fees that apply to the overdue invoices.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """An event is dated, unless told otherwise, on the day of its company, in its time
        zone: the daily run's day."""
        for vals in vals_list:
            if not vals.get("date"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                vals["date"] = (company or self.env.company)._collection_today()
        return super().create(vals_list)

    @api.depends("kind", "partner_id", "date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for event in self:
            event.display_name = f"{kinds.get(event.kind, '')}: {event.partner_id.display_name}"

    def write(self, vals):
        """The history records what was done, by whom and when: the actions that make it
        complete it (as superuser), nobody edits it."""
        if not self.env.su:
            raise UserError(
                self.env._(
                    "The collection history records what was done and is not edited. Add a note "
                    "in the customer's chatter instead."
                )
            )
        return super().write(vals)

    def _collection_log_on_partner(self):
        """Write each event in its customer's chatter, all in one go."""
        messages = self._collection_post_notes(
            [
                (
                    event.partner_id,
                    event.company_id.id,
                    event.kind,
                    event.note or event.stage_id.name,
                )
                for event in self
            ],
            [event.move_ids for event in self],
        )
        for event, message in zip(self.sudo(), messages, strict=True):
            event.mail_message_id = message

    def _collection_totals(self):
        """What a reminder's email states, per currency (see collection.engine's
        _collection_currency_totals): the event's own amounts when all its invoices are in the
        company currency."""
        self.ensure_one()
        if self.move_ids.currency_id <= self.currency_id:
            return [
                {
                    "currency": self.currency_id,
                    "overdue": self.amount_overdue,
                    "credit": self.amount_credit,
                    "claimed": self.amount_claimed,
                }
            ]
        claimable, parts = self._collection_claimable()
        return (
            self.env["collection.engine"]
            .with_company(self.company_id)
            ._collection_currency_totals(self.move_ids, claimable, parts)
        )

    def _collection_balance(self):
        """What a reminder's email states of the customer's whole balance past due, per
        currency (as _collection_totals): its invoices and the others the run chases on the
        reminder's day, less the customer's credits. Empty when the reminder lists them all:
        an invoice gets a reminder every 30 days from its own last one, so a customer whose
        invoices fell due on different days gets emails that list part of them."""
        self.ensure_one()
        chased = self._collection_chased()
        if not set(chased) - set(self.move_ids):
            return []
        claimable, parts = self._collection_claimable(chased)
        return (
            self.env["collection.engine"]
            .with_company(self.company_id)
            ._collection_currency_totals(
                self.env["account.move"].union(*claimable), claimable, parts
            )
        )

    def _collection_chased(self):
        """_collection_overdue of the invoices the run chases for the reminder's customer on
        its day."""
        engine = self.env["collection.engine"].with_company(self.company_id)
        return engine._collection_overdue(
            engine._collection_line_domain(self.date, self.partner_id)
        )

    def _collection_claimable(self, chased=None):
        """(claimable, parts) of the reminder's day: _collection_overdue of the invoices the
        run chases (``chased``, if read already) and of the reminder's own (chosen by hand,
        maybe), and the credit that pays each (Credits.split): the customer's credits pay its
        invoices as when the reminder was decided."""
        engine = self.env["collection.engine"].with_company(self.company_id)
        claimable = dict(self._collection_chased() if chased is None else chased)
        claimable.update(engine._collection_past_due(self.move_ids, self.date))
        credits = engine._collection_credits(self.partner_id, self.date)[self.partner_id]
        return claimable, credits.split(claimable, claimable)

    @api.model
    def _collection_create(self, vals_list):
        """Create events for the collection actions, which check who may take them: nobody
        creates history directly (see the access rights). The user is still the events' and
        their records' author."""
        return self.sudo().create(vals_list).sudo(False)

    @api.model
    def _collection_check_user(self, message):
        """Raise ``message`` as an AccessError unless the user is a collection user. Collection
        actions write partly as superuser, so the check is on the user: it holds in sudo too."""
        if not self.env.user.has_group("account_collection_stages.group_collection_user"):
            raise AccessError(message)

    @api.model
    def _collection_check_manager(self, message):
        """Raise ``message`` as an AccessError unless the user is a collection manager."""
        if not self.env.user.has_group("account_collection_stages.group_collection_manager"):
            raise AccessError(message)

    @api.model
    def _collection_log_action(self, kind, note, moves=None, partners=None, stage=None):
        """Record an action taken by hand: one event of ``kind`` with ``note`` (text or Markup)
        per company and customer of ``moves``, linked to them, and, for each customer of
        ``partners`` without such invoices, one in the current company with no invoice; with
        ``stage``, the stage it is about. Each event is written in its customer's chatter.
        Returns the events."""
        moves = moves or self.env["account.move"]
        groups = dict(moves.grouped(lambda m: (m.company_id, m.commercial_partner_id)))
        for partner in (partners or self.env["res.partner"]).commercial_partner_id:
            groups.setdefault((self.env.company, partner), moves.browse())
        if not isinstance(note, Markup):
            note = plaintext2html(note)
        by_company = {}
        for (company, partner), group in groups.items():
            by_company.setdefault(company, []).append(
                {
                    "partner_id": partner.id,
                    "kind": kind,
                    "move_ids": [fields.Command.set(group.ids)],
                    "note": note,
                    "company_id": company.id,
                    "stage_id": stage.id if stage else False,
                }
            )
        events = self.browse()
        for company, vals_list in by_company.items():
            # As superuser: a customer's settings hold in companies the user may not work in,
            # whose history records them all the same.
            created = self.sudo().with_company(company)._collection_create(vals_list)
            created.sudo()._collection_log_on_partner()
            events |= created
        return events.with_env(self.env)

    @api.model
    def _collection_post_notes(self, entries, invoices):
        """The chatter notes of events on their customers: ``entries`` are (partner, company id,
        kind, detail) and ``invoices`` the events' invoices. The events of one customer and
        company share one note, a paragraph each: a day's run is one entry in the chatter.
        Returns the mail.message of each entry."""
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        paragraphs = {}  # (partner, company id) -> the paragraphs of its note
        for (partner, company_id, kind, detail), moves in zip(entries, invoices, strict=True):
            if detail and not isinstance(detail, Markup):
                detail = plaintext2html(detail)  # a stage's name
            paragraphs.setdefault((partner, company_id), []).append(
                # The event's note is HTML paragraphs already.
                Markup("<p><b>%s</b></p>%s<p>%s</p>")
                % (kinds[kind], detail or "", ", ".join(m.name or m.display_name for m in moves))
            )
        messages = self.env["collection.chatter"]._log_notes(
            [
                {
                    "model": "res.partner",
                    "res_id": partner.id,
                    "record_name": partner.display_name,
                    "company_id": company_id,
                    "body": Markup("").join(parts),
                }
                for (partner, company_id), parts in paragraphs.items()
            ]
        )
        by_key = dict(zip(paragraphs, messages, strict=True))
        return [by_key[partner, company_id] for partner, company_id, _kind, _detail in entries]

    @api.model
    def _collection_record(self, vals_list):
        """Create the collection run's events, each logged in its customer's chatter unless it
        is a reminder (the reminder's email is its log), in a few statements for all of them.

        ``vals_list``: dicts of stored fields, ``move_ids`` an account.move recordset, ``note``
        text or Markup. Returns the events in the order of ``vals_list``."""
        if not vals_list:
            return self
        # Browsed together, the customers and stages are read together.
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list})
        stages = self.env["collection.stage"].browse(
            {vals["stage_id"] for vals in vals_list if vals.get("stage_id")}
        )
        rows = []
        for vals in vals_list:
            row = {key: value for key, value in vals.items() if key != "move_ids"}
            if row.get("note") and not isinstance(row["note"], Markup):
                row["note"] = plaintext2html(row["note"])
            rows.append(row)
        logged = [
            (row, vals)
            for row, vals in zip(rows, vals_list, strict=True)
            if row["kind"] != "reminder"
        ]
        messages = self._collection_post_notes(
            [
                (
                    partners.browse(row["partner_id"]),
                    row["company_id"],
                    row["kind"],
                    row.get("note") or stages.browse(row.get("stage_id") or ()).name,
                )
                for row, _vals in logged
            ],
            [vals["move_ids"] for _row, vals in logged],
        )
        for (row, _vals), message in zip(logged, messages, strict=True):
            row["mail_message_id"] = message.id
        columns = sorted({column for row in rows for column in row})
        ids = insert_rows(
            self.env,
            self._table,
            [{column: row.get(column) for column in columns} for row in rows],
        )
        insert_rows(
            self.env,
            "collection_event_account_move_rel",
            [
                {"event_id": event_id, "move_id": move_id}
                for event_id, vals in zip(ids, vals_list, strict=True)
                for move_id in vals["move_ids"].ids
            ],
            log_access=False,
            returning=None,
        )
        self.env["account.move"].invalidate_model(["collection_event_ids"])
        self.env["res.partner"].invalidate_model(["collection_event_ids"])
        return self.browse(ids)
