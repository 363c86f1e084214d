from markupsafe import Markup

from odoo import api, fields, models

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
    kind = fields.Selection(EVENT_KINDS, required=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)
    stage_id = fields.Many2one("collection.stage", check_company=True, ondelete="set null")
    mail_message_id = fields.Many2one("mail.message", string="Message", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    note = fields.Html(sanitize=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    call_outcome = fields.Selection(
        CALL_OUTCOMES,
        help="Outcome of a call that was made; empty for a call that was only scheduled.",
    )
    call_time = fields.Datetime(help="When the call was made.")
    contact_id = fields.Many2one("res.partner")
    promise_date = fields.Date()
    promise_amount = fields.Monetary()
    promise_state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Broken")], index=True
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
        help="Late interest and fees that apply to the overdue invoices."
    )

    @api.depends("kind", "partner_id", "date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for event in self:
            event.display_name = f"{kinds.get(event.kind, '')}: {event.partner_id.display_name}"

    def _collection_log_on_partner(self):
        """Write each event in its customer's chatter, all in one go."""
        if not self:
            return
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        messages = self.env["collection.chatter"]._log_notes(
            [
                {
                    "model": "res.partner",
                    "res_id": event.partner_id.id,
                    "record_name": event.partner_id.display_name,
                    "company_id": event.company_id.id,
                    "body": event._collection_summary(kinds[event.kind]),
                }
                for event in self
            ]
        )
        for event, message in zip(self, messages, strict=True):
            event.mail_message_id = message

    def _collection_summary(self, label):
        self.ensure_one()
        invoices = ", ".join(self.move_ids.mapped("name"))
        detail = self.stage_id.name or ""
        if self.note:
            detail = self.note
        return Markup("<p><b>%s</b> %s</p><p>%s</p>") % (label, detail, invoices)
