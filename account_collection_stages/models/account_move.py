from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, create_index

# Payment states of an invoice its payments settled (which the payment score dates).
SETTLED_STATES = ("paid", "in_payment")
# Payment states of an invoice with nothing left to collect.
PAID_STATES = (*SETTLED_STATES, "reversed")
# Payment states of the invoices nobody is chased for: the paid ones, and, as Odoo leaves
# them out of a customer's overdue invoices (account/controllers/portal.py), those whose
# payment is blocked and those of Invoicing before Accounting was installed.
UNCHASED_STATES = (*PAID_STATES, "blocked", "invoicing_legacy")
# The invoice's collection bookkeeping: written by the collection actions that check who may
# take them (calls, dispute resolutions, payment plans, the daily run), never directly.
BOOKKEEPING_FIELDS = {
    "collection_plan_id",
    "collection_disputed",
    "collection_dispute_reason",
    "collection_stage_date",
    "collection_stage_manual",
    "collection_last_action_date",
    "collection_last_reminder_date",
    "collection_next_action_date",
    "collection_reminder_count",
    "collection_event_ids",
    "collection_resolves_dispute",
}


def past_due_line_domain(today):
    """Receivable lines, still open, whose maturity is before ``today``."""
    return [
        ("account_type", "=", "asset_receivable"),
        ("reconciled", "=", False),
        ("amount_residual", ">", 0),
        ("date_maturity", "<", today),
    ]


def past_due_invoice_line_domain(today):
    """The past-due lines (past_due_line_domain) of the posted customer invoices that are
    chased: not those of UNCHASED_STATES."""
    return [
        ("parent_state", "=", "posted"),
        ("move_id.move_type", "=", "out_invoice"),
        ("move_id.payment_state", "not in", UNCHASED_STATES),
        *past_due_line_domain(today),
    ]


def payment_line_domain(since):
    """Open receivable lines of journal entries (payments, refunds paid out, bounced payments:
    not invoices nor credit notes) dated ``since`` or later: what the customer paid from then
    on that nobody matched with an invoice yet."""
    return [
        ("parent_state", "=", "posted"),
        ("account_type", "=", "asset_receivable"),
        ("reconciled", "=", False),
        ("move_id.move_type", "=", "entry"),
        ("date", ">=", since),
    ]


def open_non_invoice_line_domain(today):
    """Open receivable lines of anything but customer invoices: credit notes and payments not
    yet applied (in the customer's favour), and what offsets them and is due by ``today`` (a
    refund paid out to the customer, an opening balance). A line without a due date (a journal
    entry written by hand) is due on its date, as Odoo's reconciliation takes it."""
    return [
        ("parent_state", "=", "posted"),
        ("account_type", "=", "asset_receivable"),
        ("reconciled", "=", False),
        ("move_id.move_type", "!=", "out_invoice"),
        "|",
        "|",
        ("amount_residual", "<", 0),
        ("date_maturity", "<=", today),
        "&",
        ("date_maturity", "=", False),
        ("date", "<=", today),
    ]


def unapplied_credit_line_domain():
    """Receivable lines of credit notes and payments not yet applied to an invoice."""
    return [
        ("parent_state", "=", "posted"),
        ("account_type", "=", "asset_receivable"),
        ("reconciled", "=", False),
        ("amount_residual", "<", 0),
    ]


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_stage_id = fields.Many2one(
        "collection.stage",
        string="Collection stage",
        tracking=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        group_expand="_read_group_collection_stage_ids",
        domain="[('company_id', '=', company_id)]",
        groups="base.group_user",
    )
    collection_stage_date = fields.Date(
        string="On stage since", copy=False, readonly=True, groups="base.group_user"
    )
    collection_stage_manual = fields.Boolean(
        string="Stage set by hand",
        copy=False,
        readonly=True,
        help="Since a stage was set by hand, the invoice moves on the ladder by the days spent "
        "on each stage, as if it had reached that stage on the day it was set, not by its days "
        "overdue.",
        groups="base.group_user",
    )
    collection_last_action_date = fields.Date(
        string="Last collection action",
        copy=False,
        readonly=True,
        help="The last day the invoice got an overdue reminder or a new stage.",
        groups="base.group_user",
    )
    collection_last_reminder_date = fields.Date(
        string="Last overdue reminder", copy=False, readonly=True, groups="base.group_user"
    )
    collection_next_action_date = fields.Date(
        string="Next collection action",
        copy=False,
        readonly=True,
        help="The day of the invoice's next overdue reminder, or of the day it reaches a later "
        "stage, whichever comes first; empty when neither is planned, and while collection is "
        "paused for the invoice or the customer's credits pay it.",
        groups="base.group_user",
    )
    collection_reminder_count = fields.Integer(
        string="Overdue reminders", copy=False, readonly=True, groups="base.group_user"
    )
    collection_excluded = fields.Boolean(
        string="Excluded from collection", copy=False, tracking=True, groups="base.group_user"
    )
    collection_exclusion_reason = fields.Char(
        string="Exclusion reason", copy=False, tracking=True, groups="base.group_user"
    )
    collection_hold_until = fields.Date(
        string="Collection on hold until",
        copy=False,
        tracking=True,
        help="No collection action on this invoice before this date.",
        groups="base.group_user",
    )
    collection_disputed = fields.Boolean(
        string="Disputed", copy=False, tracking=True, readonly=True, groups="base.group_user"
    )
    collection_dispute_reason = fields.Char(
        string="Dispute reason", copy=False, tracking=True, readonly=True, groups="base.group_user"
    )
    collection_resolves_dispute = fields.Boolean(
        string="Resolves a dispute",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="A credit note a collection manager made for a dispute the customer was right "
        "in: posting it ends the dispute of the invoice it credits.",
    )
    collection_plan_id = fields.Many2one(
        "collection.payment.plan",
        string="Payment plan",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The active payment plan this invoice is paid by; no reminders or calls meanwhile.",
        groups="base.group_user",
    )
    collection_event_ids = fields.Many2many(
        "collection.event",
        "collection_event_account_move_rel",
        "move_id",
        "event_id",
        string="Collection history",
        copy=False,
        groups="base.group_user",
    )
    collection_paid_date = fields.Date(
        string="Paid on",
        compute="_compute_collection_paid_date",
        store=True,
        copy=False,
        help="The date of the last payment of a paid customer invoice, which the payment score "
        "compares with its due date; empty while unpaid, and when credit notes alone paid it.",
        groups="base.group_user",
    )
    collection_overdue = fields.Boolean(
        string="Overdue", compute="_compute_collection_overdue", groups="base.group_user"
    )
    collection_overdue_since = fields.Date(
        string="Overdue since",
        compute="_compute_collection_overdue",
        help="Maturity of the oldest unpaid installment that is past due.",
        groups="base.group_user",
    )
    collection_days_overdue = fields.Integer(
        string="Days overdue", compute="_compute_collection_overdue", groups="base.group_user"
    )
    collection_amount_overdue = fields.Monetary(
        string="Amount overdue",
        compute="_compute_collection_overdue",
        help="What is unpaid of the installments past due, in the invoice's currency.",
        groups="base.group_user",
    )
    collection_on_hold = fields.Boolean(
        string="On hold",
        compute="_compute_collection_overdue",
        help="No collection action before the hold date (in the company's time zone); a hold "
        "that has ended shows no more.",
        groups="base.group_user",
    )
    collection_can_remind = fields.Boolean(
        string="Can be reminded now",
        compute="_compute_collection_can_remind",
        help="Send overdue reminder now would send a reminder about the invoice: it is overdue "
        "and owed, not excluded, held, disputed or paid by a plan, not reminded today, and its "
        "customer can be written to.",
        groups="account_collection_stages.group_collection_user",
    )

    def _auto_init(self):
        # The paid invoices' payment dates, by one UPDATE on the first install or update, not
        # by the ORM invoice by invoice.
        created = not column_exists(self.env.cr, self._table, "collection_paid_date")
        if created:
            create_column(self.env.cr, self._table, "collection_paid_date", "date")
        result = super()._auto_init()
        if created:
            self._collection_init_paid_dates()
        return result

    def init(self):
        super().init()
        # The daily run's invoices on the ladder, by customer.
        create_index(
            self.env.cr,
            "account_move_collection_staged_partner_index",
            self._table,
            ["commercial_partner_id"],
            where="collection_stage_id IS NOT NULL",
        )
        # Of those, the few collection pauses (on hold, disputed, in a payment plan), which
        # weigh on their customer's stage all the same.
        create_index(
            self.env.cr,
            "account_move_collection_paused_partner_index",
            self._table,
            ["commercial_partner_id"],
            where="collection_stage_id IS NOT NULL AND (collection_hold_until IS NOT NULL "
            "OR collection_disputed OR collection_plan_id IS NOT NULL)",
        )

    @api.model
    def _read_group_collection_stage_ids(self, stages, domain):
        """The current company's ladder: each company has its own stages, often of the same
        names, and other companies' invoices still show on the stages they are on."""
        return stages.search([("company_id", "=", self.env.company.id)])

    @api.depends_context("collection_date")
    @api.depends(
        "line_ids.date_maturity",
        "line_ids.amount_residual",
        "line_ids.amount_residual_currency",
        "payment_state",
        "state",
        "collection_last_reminder_date",
        "collection_hold_until",
    )
    def _compute_collection_overdue(self):
        # A reminder's day, when its email and PDFs are rendered; else today.
        day = self.env.context.get("collection_date")
        days = {company: day or company._collection_today() for company in self.company_id}
        for move in self:
            today = days.get(move.company_id) or fields.Date.context_today(self)
            lines = move._collection_past_due_lines(today)
            due = min(lines.mapped("date_maturity"), default=None)
            move.collection_overdue = bool(due)
            move.collection_overdue_since = due
            move.collection_days_overdue = (today - due).days if due else 0
            move.collection_amount_overdue = sum(lines.mapped("amount_residual_currency"))
            move.collection_on_hold = self.env["collection.engine"]._collection_on_hold(move, today)

    @api.depends("payment_state", "line_ids.matched_credit_ids")
    def _compute_collection_paid_date(self):
        paid = self.filtered(
            lambda move: (
                move.id and move.move_type == "out_invoice" and move.payment_state in SETTLED_STATES
            )
        )
        dates = {}
        if paid:
            # The query takes the invoices by id, not by payment state, which is computed but
            # may not be written yet; their type and company are written as they are created.
            self.env["account.move.line"].flush_model(["move_id", "journal_id"])
            self.env["account.partial.reconcile"].flush_model(
                ["debit_move_id", "credit_move_id", "max_date"]
            )
            self.env["res.company"].flush_model(["currency_exchange_journal_id"])
            dates = dict(
                self.env.execute_query(
                    self._collection_paid_dates_query(SQL("move.id IN %s", tuple(paid.ids)))
                )
            )
        for move in self:
            move.collection_paid_date = dates.get(move.id, False)

    @api.model
    def _collection_paid_dates_query(self, invoices):
        """(invoice id, date of its last payment) of the paid customer invoices ``invoices``
        (an SQL condition on ``move``): the latest match of each with anything but a credit
        note (what the customer was credited, it did not have to pay) or an exchange difference
        (dated as the match it follows; Odoo books every one in the company's exchange
        journal)."""
        return SQL(
            """
            SELECT line.move_id, MAX(part.max_date)
              FROM account_move move
              JOIN res_company company ON company.id = move.company_id
              JOIN account_move_line line ON line.move_id = move.id
              JOIN account_partial_reconcile part ON part.debit_move_id = line.id
              JOIN account_move_line paying ON paying.id = part.credit_move_id
              JOIN account_move paying_move ON paying_move.id = paying.move_id
             WHERE %s
               AND paying_move.move_type != 'out_refund'
               AND paying.journal_id IS DISTINCT FROM company.currency_exchange_journal_id
          GROUP BY line.move_id
            """,
            invoices,
        )

    @api.model
    def _collection_init_paid_dates(self):
        """Store every paid invoice's payment date (_compute_collection_paid_date), at once."""
        self.env.execute_query(
            SQL(
                "UPDATE account_move SET collection_paid_date = paid.date "
                "FROM (%s) AS paid(move_id, date) WHERE account_move.id = paid.move_id",
                self._collection_paid_dates_query(
                    SQL(
                        "move.move_type = 'out_invoice' AND move.payment_state IN %s",
                        SETTLED_STATES,
                    )
                ),
            )
        )
        self.invalidate_model(["collection_paid_date"])

    def _compute_collection_can_remind(self):
        reminder = self.env["collection.reminder"]
        for move in self:
            move.collection_can_remind = bool(
                move.id
                and move.move_type == "out_invoice"
                and move.collection_overdue
                and reminder._collection_would_send(move)
            )

    def _collection_reminded_since(self, day):
        """Whether the invoice got an overdue reminder on ``day`` or later: none is reminded
        twice a day, by the run or by hand."""
        last = self.collection_last_reminder_date
        return bool(last and last >= day)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            defaults = {key[8:] for key in self.env.context if key.startswith("default_")}
            for vals in vals_list:
                self._check_bookkeeping(set(vals) | defaults)
        moves = super().create(vals_list)
        # An invoice created on a stage (imported from another system, say) is on it by hand.
        # Checked on the values first: invoices are created by the thousand, on no stage.
        if any(vals.get("collection_stage_id") for vals in vals_list):
            staged = moves.filtered("collection_stage_id")
            for stage, group in staged.grouped("collection_stage_id").items():
                group._collection_stage_set_by_hand(stage)
        return moves

    def write(self, vals):
        """A stage set by hand (the invoice form, the Collections kanban) is dated and logged
        in the collection history like the stages the daily run sets, which writes them
        directly."""
        if not self.env.su:
            self._check_bookkeeping(vals)
            if "reversed_entry_id" in vals:
                self._check_dispute_credit_note(vals["reversed_entry_id"])
        if "collection_stage_id" not in vals:
            return super().write(vals)
        stage = self.env["collection.stage"].browse(vals["collection_stage_id"] or ())
        moved = self.filtered(lambda m: m.collection_stage_id != stage)
        if stage and not self.env.su:
            moved._collection_check_stageable(stage)
        result = super().write(vals)
        if moved:
            moved._collection_stage_set_by_hand(stage)
        return result

    def _check_dispute_credit_note(self, reversed_entry_id):
        """A credit note a collection manager made to end a dispute stays the credit note of
        the disputed invoice: posting it ends that dispute (see _post)."""
        moved = self.sudo().filtered(
            lambda m: m.collection_resolves_dispute and m.reversed_entry_id.id != reversed_entry_id
        )
        if moved:
            raise UserError(
                self.env._(
                    "%(credit_notes)s ends the dispute of %(invoices)s, as a collection manager "
                    "decided: it stays the credit note of that invoice.",
                    credit_notes=", ".join(moved.mapped("display_name")),
                    invoices=", ".join(moved.reversed_entry_id.mapped("display_name")),
                )
            )

    def _check_bookkeeping(self, names):
        """Refuse to write the collection bookkeeping directly (see BOOKKEEPING_FIELDS)."""
        written = BOOKKEEPING_FIELDS.intersection(names)
        if written:
            raise UserError(
                self.env._(
                    "%(fields)s: kept by the collection actions (logging a call, resolving a "
                    "dispute, a payment plan's buttons, the daily run), not written directly.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in written)
                    ),
                )
            )

    def _collection_check_stageable(self, stage):
        """Refuse ``stage`` set by hand on a cancelled invoice, or one paid or credited in
        full: the ladder has no place for them (the form keeps their stage read-only); or on an
        invoice of another company (a card dragged to another company's column, in the
        Collections view with several companies selected)."""
        strangers = self.filtered(lambda m: m.company_id != stage.company_id)
        if strangers:
            raise UserError(
                self.env._(
                    "%(invoices)s: an invoice goes on a stage of its own company's ladder, not "
                    "on %(stage)s of %(company)s.",
                    invoices=", ".join(strangers.mapped("display_name")),
                    stage=stage.name,
                    company=stage.company_id.name,
                )
            )
        done = self.filtered(lambda m: m.state == "cancel" or m.payment_state in PAID_STATES)
        if done:
            raise UserError(
                self.env._(
                    "%(invoices)s: paid, credited in full or cancelled, off the collection "
                    "ladder: no stage to set.",
                    invoices=", ".join(done.mapped("display_name")),
                )
            )

    def _collection_stage_set_by_hand(self, stage):
        """Date and log ``stage`` (or none), just set by hand on these invoices."""
        for company, moves in self.grouped("company_id").items():
            # Dated on the company's day: the daily run counts days on the stage from it.
            today = company._collection_today()
            vals = {"collection_stage_date": today if stage else False}
            if stage:
                # A new stage is a collection action, as the daily run's are.
                vals["collection_last_action_date"] = today
            else:
                # Off the ladder, past due or not: no next action.
                vals["collection_next_action_date"] = False
            moves.sudo().write({**vals, "collection_stage_manual": bool(stage)})
            if stage:
                writes = {}
                self.env["collection.next.action"].sudo().with_company(company)._collection_replan(
                    moves.sudo(), today, writes
                )
                self.env["collection.engine"].sudo()._collection_write_moves(writes)
        # The customer's stage follows when this is done (all of an import's invoices at
        # once), and the activities of a firmer stage close; what the new stage calls for
        # comes with the daily run.
        self.env["collection.settlement"]._collection_settle_later(self)
        self.env["collection.event"]._collection_log_action(
            "stage_change",
            self.env._("Stage set by hand.")
            if stage
            else self.env._("Taken off the collection ladder by hand."),
            moves=self,
            stage=stage,
        )

    def _collection_past_due_lines(self, today):
        """The invoice's unpaid receivable lines past due on ``today``."""
        self.ensure_one()
        if (
            self.state != "posted"
            or self.move_type != "out_invoice"
            or self.payment_state in UNCHASED_STATES
        ):
            return self.env["account.move.line"]
        return self.line_ids.filtered_domain(past_due_line_domain(today))

    def _collection_check_customer_invoices(self):
        for move in self:
            if move.move_type != "out_invoice":
                raise UserError(
                    self.env._(
                        "%(move)s is not a customer invoice: only customer invoices are collected.",
                        move=move.display_name,
                    )
                )

    def action_collection_send_reminder(self):
        self._collection_check_customer_invoices()
        return self.env["collection.reminder"]._collection_send_now(self)

    def action_collection_exclude(self):
        self._collection_check_customer_invoices()
        return self.env["collection.pause"]._open_for(self, "exclude")

    def action_collection_hold(self):
        self._collection_check_customer_invoices()
        return self.env["collection.pause"]._open_for(self, "hold")

    def action_collection_resume(self):
        """Back into collection: no more exclusion nor hold, logged on the customers."""
        self.env["collection.pause"]._check_collection_user()
        paused = self.filtered(lambda m: m.collection_excluded or m.collection_on_hold)
        paused.write(
            {
                "collection_excluded": False,
                "collection_exclusion_reason": False,
                "collection_hold_until": False,
            }
        )
        self.env["collection.event"]._collection_log_action(
            "note", self.env._("Collection resumed."), moves=paused
        )
        paused.commercial_partner_id._collection_requeue()
        return True

    def action_collection_log_call(self):
        self._collection_check_customer_invoices()
        return self.env["collection.call.wizard"]._open_for(self.commercial_partner_id, self)

    def action_collection_dispute_customer_right(self):
        """The customer was right: propose a credit note. The dispute ends with the credit
        note (account.move.reversal), not before: closing the dialog leaves it open."""
        disputed = self._collection_disputed()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_view_account_move_reversal"
        )
        action.update(
            views=[(action.get("view_id") and action["view_id"][0], "form")],
            view_mode="form",
            context={
                "active_model": "account.move",
                "active_ids": disputed.ids,
                "collection_dispute_customer_right": True,
            },
        )
        return action

    def action_collection_dispute_confirmed(self):
        """The debt is confirmed: end the dispute and resume collection."""
        self._collection_resolve_dispute(self.env._("Dispute resolved: the debt is confirmed."))
        return True

    def _collection_disputed(self):
        """The disputed ones of these invoices, for a collection manager to decide."""
        self.env["collection.event"]._collection_check_manager(
            self.env._("Only a collection manager can resolve a dispute.")
        )
        disputed = self.filtered("collection_disputed")
        if not disputed:
            raise UserError(self.env._("These invoices are not disputed."))
        return disputed

    def _collection_resolve_dispute(self, note):
        """End the dispute of these invoices; the dispute went to a collection manager, who
        alone decides it."""
        return self._collection_disputed()._collection_end_dispute(note)

    def _post(self, soft=True):
        reposting = self.filtered("posted_before")
        posted = super()._post(soft)
        # Read as superuser: payments are posted for portal users too, who read no collection
        # field.
        resolving = posted.sudo().filtered("collection_resolves_dispute")
        if resolving:
            resolving.with_env(self.env)._collection_end_credited_disputes()
        corrected = (posted & reposting).sudo().filtered("collection_stage_id")
        if corrected:
            self.env["collection.engine"].sudo()._collection_check_corrected(corrected)
        return posted

    def _collection_end_credited_disputes(self):
        """These posted credit notes, made for disputes the customer was right in, end the
        dispute of the invoices they credit: the manager decided it when making them, and
        whoever posts them needs no manager's rights."""
        for credit_note in self:
            credit_note.reversed_entry_id.filtered("collection_disputed")._collection_end_dispute(
                self.env._(
                    "Dispute resolved: the customer is right (credit note %(credit_note)s).",
                    credit_note=credit_note.name,
                )
            )

    def _collection_end_dispute(self, note):
        """End the dispute of these disputed invoices, logged with ``note``. A hold (a
        promise's, say) stays: the dispute set none."""
        if not self:
            return self
        self.sudo().write({"collection_disputed": False, "collection_dispute_reason": False})
        self.env["collection.event"]._collection_log_action("dispute", note, moves=self)
        # The manager's "Resolve a dispute" activities that no disputed invoice keeps open.
        disputes = self.env["collection.event"].search(
            [
                ("kind", "=", "dispute"),
                ("move_ids", "in", self.ids),
                ("activity_id", "!=", False),
            ]
        )
        disputes.filtered(
            lambda e: not any(e.move_ids.mapped("collection_disputed"))
        ).activity_id.exists().sudo().action_feedback(feedback=note)
        self.commercial_partner_id._collection_requeue()
        return self
