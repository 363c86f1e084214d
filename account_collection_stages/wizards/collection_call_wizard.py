from datetime import time, timedelta

import pytz
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, format_datetime, formatLang

from ..models.account_move import PAID_STATES, unapplied_credit_line_domain
from ..models.collection_contact_rules import CALL_WINDOW
from ..models.collection_event import CALL_OUTCOMES


class CollectionCallWizard(models.TransientModel):
    """Log a collection call and act on its outcome."""

    _name = "collection.call.wizard"
    _inherit = ["collection.payment.history"]
    _description = "Log a collection call"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
        help="The company whose invoices the call is about: its history, rules and stages.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Spoke with",
        domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
        "('company_id', '=', company_id), ('state', '=', 'posted'), "
        "('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]",
    )
    activity_id = fields.Many2one("mail.activity", string="Call activity")
    call_time = fields.Datetime(
        string="Call at",
        required=True,
        default=fields.Datetime.now,
        help="When the call was made: the contact rules are those of that moment.",
    )
    inbound = fields.Boolean(
        string="The customer called",
        help="The contact rules limit the calls placed to the customer: a call the customer "
        "makes is logged whatever they say.",
    )
    no_contact = fields.Boolean(related="partner_id.commercial_partner_id.collection_no_contact")
    rules_warning = fields.Char(
        string="Contact rules warning",
        compute="_compute_rules_warning",
        help="Why the contact rules forbid placing this call at its time, said as the dialog "
        "opens: before dialling, not only when the call is logged.",
    )
    outcome = fields.Selection(CALL_OUTCOMES, required=True)
    promise_date = fields.Date(string="Promised date")
    promise_amount = fields.Monetary(string="Promised amount", currency_field="company_currency_id")
    dispute_reason = fields.Char(string="Dispute reason")
    right_contact_id = fields.Many2one(
        "res.partner",
        string="Right contact",
        domain="[('parent_id', '=', partner_id)]",
        help="The person in charge of payments, to call next time.",
    )
    note = fields.Html()
    override_reason = fields.Char(
        string="Override the contact rules because",
        help="Collection managers only: why this call is made although the contact rules "
        "forbid it now. The reason is logged.",
    )
    currency_id = fields.Many2one(related="partner_id.company_id.currency_id")
    company_currency_id = fields.Many2one("res.currency", compute="_compute_balance")
    balance = fields.Monetary(
        string="Balance of the invoices",
        compute="_compute_balance",
        currency_field="company_currency_id",
    )
    unreconciled_payment_ids = fields.Many2many(
        "account.move.line",
        string="Unreconciled payments",
        compute="_compute_unreconciled_payment_ids",
    )

    @api.depends("partner_id", "company_id", "call_time", "inbound")
    def _compute_rules_warning(self):
        rules = self.env["collection.contact.rules"]
        for wizard in self:
            wizard.rules_warning = False
            if wizard.inbound or not wizard.partner_id or not wizard.call_time:
                continue
            try:
                rules.with_company(wizard.company_id)._check_call(
                    wizard.partner_id.commercial_partner_id, wizard.call_time
                )
            except UserError as error:
                wizard.rules_warning = error.args[0]

    @api.depends("move_ids", "company_id")
    def _compute_balance(self):
        for wizard in self:
            wizard.company_currency_id = wizard.company_id.currency_id
            wizard.balance = sum(wizard.move_ids.mapped("amount_residual_signed"))

    @api.depends("partner_id", "company_id")
    def _compute_unreconciled_payment_ids(self):
        for wizard in self:
            wizard.unreconciled_payment_ids = self.env["account.move.line"].search(
                [
                    ("partner_id", "child_of", wizard.partner_id.ids),
                    ("company_id", "=", wizard.company_id.id),
                    *unapplied_credit_line_domain(),
                ]
            )

    @api.model
    def _open_for(self, partner, moves=None, activity=None):
        """The wizard, in the company of ``moves`` or of the call ``activity``."""
        company = (
            moves.company_id
            if moves
            else activity and activity.collection_company_id or self.env.company
        )
        if len(company) > 1:
            raise UserError(self.env._("Log a call about the invoices of one company at a time."))
        if company not in self.env.companies:
            # Its invoices would not show: the dialog reads them in the companies selected.
            raise UserError(
                self.env._(
                    "This call is about the invoices of %(company)s: select %(company)s in the "
                    "company switcher to log it.",
                    company=company.name,
                )
            )
        if moves is None:
            moves = partner.with_company(company)._collection_overdue_moves()
        contact = partner._collection_call_contact(moves)
        wizard = self.with_company(company).create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "contact_id": contact.id,
                "move_ids": [Command.set(moves.ids)],
                "activity_id": activity and activity.id,
                "outcome": "no_answer",
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a collection call"),
            "res_model": self._name,
            "res_id": wizard.id,
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------ checks
    def _check_input(self):
        if self.activity_id:
            self.activity_id._collection_check_call(self.partner_id, self.company_id)
        today = self.company_id._collection_today()
        if self.call_time > fields.Datetime.now():
            raise UserError(self.env._("Log a call once it is made: its time is in the future."))
        last = self.env["collection.event"].search(
            [
                ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("kind", "=", "call"),
                ("call_time", "!=", False),
            ],
            order="call_time desc",
            limit=1,
        )
        if last and self.call_time < last.call_time:
            raise UserError(
                self.env._(
                    "Calls are logged in the order they are made: this one is before the last "
                    "call logged for the customer, on %(time)s.",
                    time=format_datetime(self.env, last.call_time),
                )
            )
        if not self.move_ids and self.outcome in ("promise_to_pay", "plan_requested", "dispute"):
            raise UserError(self.env._("Choose the invoices the call was about."))
        if self.move_ids.commercial_partner_id - self.partner_id.commercial_partner_id:
            raise UserError(self.env._("All the invoices must be the customer's."))
        foreign = self.move_ids.filtered(
            lambda m: m.state != "posted" or m.company_id != self.company_id
        )
        if foreign:
            raise UserError(
                self.env._(
                    "A call is about posted invoices of %(company)s: %(invoices)s is not one.",
                    company=self.company_id.name,
                    invoices=", ".join(foreign.mapped("display_name")),
                )
            )
        # Paid since the dialog was opened, say: the call is still logged, but nothing
        # is promised, disputed or planned on a paid invoice.
        paid = self.move_ids.filtered(lambda m: m.payment_state in PAID_STATES)
        if paid and self.outcome in ("promise_to_pay", "dispute", "plan_requested"):
            raise UserError(
                self.env._(
                    "%(invoices)s is paid: leave it out of a promise, a dispute or a plan.",
                    invoices=", ".join(paid.mapped("display_name")),
                )
            )
        if self.outcome == "promise_to_pay":
            if not self.promise_date or self.promise_date <= today:
                raise UserError(self.env._("The promised payment date must be after today."))
            currency = self.company_currency_id
            if currency.compare_amounts(self.promise_amount, 0) <= 0:
                raise UserError(self.env._("The promised amount must be more than zero."))
            if currency.compare_amounts(self.promise_amount, self.balance) > 0:
                raise UserError(
                    self.env._(
                        "The promised amount cannot be more than the balance of the invoices."
                    )
                )
        if self.outcome == "dispute" and not (self.dispute_reason or "").strip():
            raise UserError(self.env._("Say what the customer disputes."))
        disputed = self.move_ids.filtered("collection_disputed")
        if self.outcome == "dispute" and disputed:
            raise UserError(
                self.env._(
                    "%(invoices)s is disputed already (%(reason)s): a collection manager "
                    "resolves that dispute first.",
                    invoices=", ".join(disputed.mapped("display_name")),
                    reason="; ".join(sorted(set(disputed.mapped("collection_dispute_reason")))),
                )
            )
        if self.outcome == "wrong_contact" and not self.right_contact_id:
            raise UserError(
                self.env._("Who is the right contact? Choose them under Right contact.")
            )
        right = self.right_contact_id
        if right and right.commercial_partner_id != self.partner_id.commercial_partner_id:
            raise UserError(
                self.env._(
                    "%(contact)s is not a contact of %(customer)s: choose one of the "
                    "customer's contacts, or create one, as the right contact.",
                    contact=right.display_name,
                    customer=self.partner_id.commercial_partner_id.display_name,
                )
            )

    def _check_contact_rules(self):
        if self.inbound:
            return
        partner = self.partner_id.commercial_partner_id
        override = self.override_reason and self.override_reason.strip()
        if override and partner.collection_no_contact:
            # The customer's written request binds everyone (FDCPA 15 U.S.C. 1692c(c)); the
            # override is for the calling limits and hours.
            raise UserError(
                self.env._(
                    "%(partner)s asked to cease communication: no override allows calling "
                    "them. If they withdrew the request in writing, click 'Allow "
                    "communication' on the customer's Collection tab first.",
                    partner=partner.display_name,
                )
            )
        if override:
            self.env["collection.event"]._collection_check_manager(
                self.env._("Only a collection manager can override the contact rules.")
            )
            return
        self.env["collection.contact.rules"]._check_call(partner, self.call_time)

    # ------------------------------------------------------------------ confirm
    def action_confirm(self):
        self.ensure_one()
        return self.with_company(self.company_id)._confirm()

    def _confirm(self):
        self._check_input()
        self._check_contact_rules()
        partner = self.partner_id.commercial_partner_id
        note = self.note or Markup()
        if self.override_reason and not self.inbound:
            # Added to the call's own note, which stays.
            note += Markup("<p>%s</p>") % self.env._(
                "Contact rules overridden by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=self.override_reason,
            )
        day = self.company_id._collection_today(self.call_time)
        # What is past due of the invoices on the call's day, as the run's entries record it
        # (not their installments due later).
        past_due = self.env["collection.engine"]._collection_past_due(self.move_ids, day)
        call = self.env["collection.event"]._collection_create(
            {
                "partner_id": partner.id,
                "kind": "call",
                "move_ids": [Command.set(self.move_ids.ids)],
                "call_outcome": self.outcome,
                "call_time": self.call_time,
                "call_inbound": self.inbound,
                "date": day,
                "contact_id": self.contact_id.id,
                "note": note,
                "amount_overdue": sum(amount for _due, amount, _in_currency in past_due.values()),
            }
        )
        call._collection_log_on_partner()
        activity = self.activity_id or self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_category", "=", "phonecall"),
                ("collection_company_id", "=", self.env.company.id),
            ],
            limit=1,
        )
        # The next attempt, if any, is the call's: for its assignee (not whoever answered an
        # inbound call), with its note (whom to call, what to ask for, in what tone).
        wizard = self.with_context(
            collection_next_call={"user_id": activity.user_id.id, "note": activity.note}
        )
        if activity:
            outcome = dict(self._fields["outcome"]._description_selection(self.env))
            activity.sudo().with_context(collection_closing=True).action_feedback(
                feedback=outcome[self.outcome]
            )
        return getattr(wizard, f"_outcome_{self.outcome}")(partner, call) or {
            "type": "ir.actions.act_window_close"
        }

    # ----------------------------------------------------------------- outcomes
    def _outcome_promise_to_pay(self, partner, call):
        # Held through the last day of grace: the day after, the promise is judged.
        # A longer hold stays.
        hold = self.promise_date + timedelta(
            days=self.env.company.collection_promise_grace_days + 1
        )
        self.move_ids.filtered(
            lambda m: not m.collection_hold_until or m.collection_hold_until < hold
        ).write({"collection_hold_until": hold})
        # The customer puts off a promise whose date has not come, or repeats it: a later date,
        # or the same, for all its invoices still to pay. The new promise replaces it, so that
        # one default is not counted twice. One whose date has passed is judged, kept or
        # broken, as made; so is one a promise about other invoices, or sooner, comes beside.
        put_off = (
            self.env["collection.event"]
            .search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("partner_id", "=", partner.id),
                    ("kind", "=", "promise"),
                    ("promise_state", "=", "open"),
                    ("promise_date", ">=", call.date),
                    ("promise_date", "<=", self.promise_date),
                ]
            )
            .filtered(lambda promise: self._puts_off(promise))
        )
        put_off.sudo().promise_state = "superseded"
        self.env["collection.event"]._collection_create(
            {
                "partner_id": partner.id,
                "kind": "promise",
                "note": self.env._(
                    "Replaces the promise to pay by %(dates)s.",
                    dates=", ".join(
                        format_date(self.env, date)
                        for date in sorted(set(put_off.mapped("promise_date")))
                    ),
                )
                if put_off
                else False,
                # Made on the day of the call: what is paid from then on counts.
                "date": call.date,
                "move_ids": [Command.set(self.move_ids.ids)],
                "promise_date": self.promise_date,
                "promise_amount": self.promise_amount,
                "promise_state": "open",
                # What is paid from the call's day on counts towards the promise: the balance
                # then, with what was matched with the invoices since (a call logged later).
                "amount_overdue": self.balance + self._matched_since(call.date, self.call_time),
                "contact_id": self.contact_id.id,
            }
        )._collection_log_on_partner()

    def _matched_since(self, day, moment):
        """What was matched with the invoices after ``moment`` (the call, a UTC datetime) of
        payments and credit notes dated ``day`` or later, in the company currency: what the
        customer paid since a call logged later."""
        partials = self.env["account.partial.reconcile"].search(
            [
                ("debit_move_id.move_id", "in", self.move_ids.ids),
                ("debit_move_id.account_type", "=", "asset_receivable"),
                ("max_date", ">=", day),
                ("create_date", ">", moment),
            ]
        )
        return sum(partials.mapped("amount"))

    def _puts_off(self, promise):
        """Whether this call's promise is about all of ``promise``'s invoices still to pay
        (unpaid and not cancelled: a cancelled one, reissued maybe, owes nothing; one reset to
        draft to be corrected still owes it)."""
        unpaid = promise.move_ids.filtered(
            lambda m: m.state != "cancel" and m.payment_state not in PAID_STATES
        )
        return bool(unpaid) and unpaid <= self.move_ids

    def _outcome_dispute(self, partner, call):
        self.move_ids.sudo().write(
            {"collection_disputed": True, "collection_dispute_reason": self.dispute_reason}
        )
        activity = partner.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Resolve a dispute"),
            note=self.env._(
                "%(invoices)s disputed: %(reason)s",
                invoices=", ".join(self.move_ids.mapped("name")),
                reason=self.dispute_reason,
            ),
            user_id=self.env.company._collection_manager().id,
            collection_company_id=self.env.company.id,
        )
        self.env["collection.event"]._collection_create(
            {
                "partner_id": partner.id,
                "kind": "dispute",
                "move_ids": [Command.set(self.move_ids.ids)],
                "activity_id": activity.id,
                "note": self.dispute_reason,
            }
        )._collection_log_on_partner()

    def _outcome_plan_requested(self, partner, call):
        self.env["collection.payment.plan"]._collection_request(partner, self.move_ids, call.date)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment plan"),
            "res_model": "collection.payment.plan",
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": self.company_id.id,
                "default_move_ids": [Command.set(self.move_ids.ids)],
            },
        }

    def _outcome_no_answer(self, partner, call):
        self._schedule_next_call(partner, self.contact_id)

    def _outcome_left_message(self, partner, call):
        self._schedule_next_call(partner, self.contact_id)

    def _outcome_wrong_contact(self, partner, call):
        # The next calls, the daily run's included, are to them; the call's note names the
        # wrong one.
        partner.sudo().collection_contact_id = self.right_contact_id
        self._schedule_next_call(partner, self.right_contact_id, keep_note=False)

    def _outcome_refused(self, partner, call):
        # As a broken promise: not the invoices held, disputed, in a plan or excluded.
        engine = self.env["collection.engine"]
        escalated = engine._collection_escalate(
            engine._collection_moving_on(self.move_ids, call.date)
        )
        # The customer's stage follows, as after a stage set by hand.
        self.env["collection.settlement"]._collection_settle_later(
            self.env["account.move"].union(*escalated)
        )

    def _outcome_already_paid(self, partner, call):
        payments = self.unreconciled_payment_ids
        lines = ", ".join(
            self.env._(
                "%(payment)s (%(date)s: %(amount)s)",
                payment=line.move_id.name,
                date=format_date(self.env, line.date),
                amount=formatLang(
                    self.env, -line.amount_residual, currency_obj=line.company_currency_id
                ),
            )
            for line in payments
        ) or self.env._("none found")
        summary = self.env._("Check the customer's payment")
        note = self.env._(
            "The customer says %(invoices)s is paid. Unreconciled payments: %(payments)s",
            invoices=", ".join(self.move_ids.mapped("name")),
            payments=lines,
        )
        # One such To-Do at a time in the company: a second call saying so is added to the
        # open one.
        todo_type = self.env.ref("mail.mail_activity_data_todo")
        todo = partner.activity_ids.filtered(
            lambda a: (
                a.activity_type_id == todo_type
                and a.summary == summary
                and a.user_id == self.env.user
                and a.collection_company_id == self.env.company
            )
        )[:1]
        if todo:
            todo.sudo().note = (todo.note or Markup()) + Markup("<p>%s</p>") % note
        else:
            partner.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=note,
                user_id=self.env.user.id,
                collection_company_id=self.env.company.id,
            )

    def _schedule_next_call(self, partner, contact, keep_note=True):
        """A new call activity on the first day the contact rules allow, tomorrow at the
        earliest: for the call's assignee, with its note unless not ``keep_note``
        (``collection_next_call`` in the context), else for the current user."""
        rules = self.env["collection.contact.rules"]
        tz = rules._partner_tz(partner)
        tomorrow = pytz.utc.localize(fields.Datetime.now()).astimezone(tz).date() + timedelta(
            days=1
        )
        when, _reason = rules._next_call(partner, rules._to_utc(tz, tomorrow, time(CALL_WINDOW[0])))
        if when is None:
            return
        deadline = pytz.utc.localize(when).astimezone(tz).date()
        stage = self.env["collection.stage"].search(
            [("company_id", "=", self.env.company.id), ("kind", "=", "call")], limit=1
        )
        activity_type = stage.activity_type_id or self.env.ref(
            "account_collection_stages.mail_activity_type_collection_call"
        )
        previous = self.env.context.get("collection_next_call", {})
        user = self.env["collection.activity.scheduler"]._collection_workers(
            self.env["res.users"].browse(previous.get("user_id"))
        )
        partner.sudo().activity_schedule(
            activity_type_id=activity_type.id,
            date_deadline=deadline,
            summary=self.env._("Call %(contact)s again", contact=contact.name or partner.name),
            note=(keep_note and previous.get("note")) or "",
            user_id=(user or self.env.user).id,
            collection_stage_id=stage.id,
            collection_company_id=self.env.company.id,
        )
