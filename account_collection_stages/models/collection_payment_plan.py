from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round, format_date

from .account_move import PAID_STATES, payment_line_domain

# Fields only the plan's own steps set (confirm, approve, cancel, the daily check): a plan
# skips no approval, whatever is written to it.
WORKFLOW_FIELDS = {"state", "approved_by_id"}
# The plan's terms: those approved, fixed once the plan is confirmed.
TERMS = {
    "partner_id",
    "company_id",
    "move_ids",
    "amount_total",
    "date",
    "down_payment",
    "installment_count",
    "interval",
    "first_date",
    "line_ids",
}

# Activity type of a customer's request for a payment plan, until a plan is agreed.
PLAN_REQUEST = "account_collection_stages.mail_activity_type_collection_plan_request"

INTERVALS = {
    "weekly": relativedelta(weeks=1),
    "biweekly": relativedelta(weeks=2),
    "monthly": relativedelta(months=1),
}


class CollectionPaymentPlan(models.Model):
    """Installments agreed with a customer for its overdue invoices. While the plan is active
    and on schedule, its invoices get no reminders or calls."""

    _name = "collection.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "mail.activity.mixin", "collection.payment.history"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True
    )
    move_ids = fields.Many2many(
        "account.move",
        "collection_payment_plan_account_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', partner_id), "
        "('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True)
    amount_total = fields.Monetary(
        string="Total",
        readonly=True,
        help="Sum of the invoices' amounts due when the plan was made.",
    )
    down_payment = fields.Monetary(
        string="Down payment",
        help="Paid on the first payment date; the installments follow.",
    )
    installment_count = fields.Integer(string="Installments", default=3)
    interval = fields.Selection(
        [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")],
        default="monthly",
        required=True,
    )
    date = fields.Date(
        string="Made on",
        readonly=True,
        copy=False,
        default=lambda self: self.env.company._collection_today(),
        help="The payments the customer makes from then on, matched with an invoice or not, "
        "pay the installments.",
    )
    first_date = fields.Date(
        string="First payment",
        required=True,
        default=lambda self: self.env.company._collection_today(),
    )
    line_ids = fields.One2many(
        "collection.payment.plan.line", "plan_id", string="Schedule", readonly=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To approve"),
            ("active", "Active"),
            ("done", "Done"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        string="Status",
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    approved_by_id = fields.Many2one("res.users", string="Approved by", readonly=True, copy=False)

    _sql_constraints = [
        (
            "installment_count_positive",
            "CHECK(installment_count >= 0)",
            "The number of installments cannot be negative.",
        ),
    ]

    @api.depends("partner_id", "create_date")
    def _compute_name(self):
        for plan in self:
            plan.name = self.env._(
                "Payment plan of %(partner)s", partner=plan.partner_id.display_name or ""
            )

    @api.depends("move_ids.currency_id", "company_id")
    def _compute_currency_id(self):
        for plan in self:
            plan.currency_id = plan.move_ids[:1].currency_id or plan.company_id.currency_id

    # ------------------------------------------------------------------ checks
    def _check_plan(self):
        self.ensure_one()
        moves = self.move_ids
        if not moves:
            raise ValidationError(self.env._("Choose the invoices the plan pays."))
        if len(moves.commercial_partner_id) > 1:
            raise ValidationError(self.env._("A plan covers the invoices of one customer only."))
        if moves.commercial_partner_id != self.partner_id.commercial_partner_id:
            raise ValidationError(
                self.env._(
                    "The invoices are not those of %(customer)s: choose its own.",
                    customer=self.partner_id.commercial_partner_id.display_name,
                )
            )
        if len(moves.currency_id) > 1:
            raise ValidationError(self.env._("A plan covers invoices in one currency only."))
        self._check_plan_current()
        if self.installment_count <= 0:
            raise ValidationError(self.env._("A plan needs at least one installment."))
        total = sum(moves.mapped("amount_residual"))
        if self.currency_id.compare_amounts(self.down_payment, 0) < 0:
            raise ValidationError(self.env._("The down payment cannot be negative."))
        if self.currency_id.compare_amounts(self.down_payment, total) >= 0:
            raise ValidationError(
                self.env._(
                    "The down payment must be less than the total of the invoices: the plan "
                    "spreads the rest over its installments."
                )
            )
        return total

    def _check_plan_current(self):
        """What may change between the confirmation of the plan and its approval: its invoices
        paid, disputed or put in another plan, its first payment date past."""
        self.ensure_one()
        moves = self.move_ids
        paid = moves.filtered(lambda m: m.payment_state in PAID_STATES or m.state != "posted")
        if paid:
            raise ValidationError(
                self.env._(
                    "%(invoices)s has nothing left to pay.",
                    invoices=", ".join(paid.mapped("display_name")),
                )
            )
        disputed = moves.filtered("collection_disputed")
        if disputed:
            raise ValidationError(
                self.env._(
                    "%(invoices)s is disputed: resolve the dispute before agreeing on a plan.",
                    invoices=", ".join(disputed.mapped("display_name")),
                )
            )
        others = self.search(
            [
                ("id", "!=", self.id),
                ("move_ids", "in", moves.ids),
                ("state", "in", ("to_approve", "active")),
            ]
        )
        if others:
            raise ValidationError(
                self.env._(
                    "%(invoices)s is already in another payment plan (%(plans)s): cancel that "
                    "one first.",
                    invoices=", ".join((others.move_ids & moves).mapped("display_name")),
                    plans=", ".join(others.mapped("display_name")),
                )
            )
        if self.first_date < self.company_id._collection_today():
            raise ValidationError(
                self.env._(
                    "The first payment of the plan is due on %(date)s, which has passed: cancel "
                    "the plan and agree on a new one.",
                    date=format_date(self.env, self.first_date),
                )
            )

    # ---------------------------------------------------------------- schedule
    def _schedule(self, total):
        """Lines whose amounts add up exactly to ``total``: the down payment on the first
        date, then equal installments, the rounding difference in the last one."""
        self.ensure_one()
        currency = self.currency_id
        step = INTERVALS[self.interval]
        lines = []
        rest = total
        if not currency.is_zero(self.down_payment):
            lines.append({"date": self.first_date, "amount": currency.round(self.down_payment)})
            rest = total - lines[0]["amount"]
        # Rounded down: the last installment takes the rest, never less than the others.
        each = float_round(
            rest / self.installment_count,
            precision_rounding=currency.rounding,
            rounding_method="DOWN",
        )
        for index in range(self.installment_count):
            last = index == self.installment_count - 1
            amount = currency.round(rest - each * (self.installment_count - 1)) if last else each
            # Each date from the first one: a plan from 31 January is due on 28 February,
            # 31 March, 30 April.
            lines.append({"date": self.first_date + step * len(lines), "amount": amount})
        return lines

    @api.model_create_multi
    def create(self, vals_list):
        plans = super().create(vals_list)
        # Checked on the plans made, defaults from the context included.
        if not self.env.su and any(plan.state != "draft" or plan.approved_by_id for plan in plans):
            plans._raise_workflow()
        return plans

    def write(self, vals):
        if not self.env.su:
            if WORKFLOW_FIELDS & set(vals):
                self._raise_workflow()
            if TERMS & set(vals):
                self._check_terms_open()
        return super().write(vals)

    def _raise_workflow(self):
        raise UserError(
            self.env._(
                "A payment plan's status changes only through its buttons: Confirm, Approve and "
                "Cancel."
            )
        )

    def _check_terms_open(self):
        """The invoices, amounts and schedule of a plan are its own until it is confirmed."""
        if not self.env.su and any(plan.state != "draft" for plan in self):
            raise UserError(
                self.env._(
                    "A confirmed payment plan cannot be changed: cancel it and make a new one."
                )
            )

    def _set_workflow(self, vals):
        """Write the plan's status or approver, once the step that sets them has checked who
        may take it."""
        return self.sudo().write(vals)

    # ------------------------------------------------------------------ actions
    def action_confirm(self):
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be confirmed."))
            total = plan._check_plan()
            plan.write(
                {
                    # Made the day its total is: payments from then on pay its installments.
                    "date": plan.company_id._collection_today(),
                    "amount_total": total,
                    "line_ids": [Command.clear()]
                    + [Command.create(vals) for vals in plan._schedule(total)],
                }
            )
            if plan.payment_rating == "good":
                plan._activate()
            else:
                plan._set_workflow({"state": "to_approve"})
                plan._request_approval()
        return True

    def action_approve(self):
        self.env["collection.event"]._collection_check_manager(
            self.env._("Only a collection manager can approve a payment plan.")
        )
        for plan in self:
            if plan.state != "to_approve":
                raise UserError(self.env._("This plan is not waiting for approval."))
            plan._check_plan_current()
            plan._set_workflow({"approved_by_id": self.env.user.id})
            plan.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=self.env._("Plan approved.")
            )
            plan._activate()
        return True

    def action_cancel(self):
        if any(plan.state == "active" for plan in self):
            # Else a late plan would be cancelled before the daily check counts it broken.
            self.env["collection.event"]._collection_check_manager(
                self.env._("Only a collection manager can cancel an active payment plan.")
            )
        waiting = self.filtered(lambda p: p.state == "to_approve")
        self.filtered(lambda p: p.state in ("draft", "to_approve", "active"))._set_workflow(
            {"state": "cancelled"}
        )
        waiting.activity_unlink(["mail.mail_activity_data_todo"])  # the approval request
        self.move_ids.filtered(
            lambda m: m.collection_plan_id in self
        ).sudo().collection_plan_id = False
        return True

    def _activate(self):
        self.ensure_one()
        self._set_workflow({"state": "active"})
        self.move_ids.sudo().collection_plan_id = self
        self.env["collection.event"]._collection_create(
            {
                "partner_id": self.partner_id.commercial_partner_id.id,
                "kind": "plan",
                "move_ids": [Command.set(self.move_ids.ids)],
                "company_id": self.company_id.id,
                # The history keeps amounts in the company currency; the plan is in the
                # invoices' currency.
                "amount_claimed": sum(self.move_ids.mapped("amount_residual_signed")),
                "note": self.env._(
                    "Payment plan of %(count)s installments agreed.",
                    count=len(self.line_ids),
                ),
            }
        )._collection_log_on_partner()
        self._collection_requests(self.partner_id, self.company_id).action_feedback(
            feedback=self.env._("%(plan)s agreed.", plan=self.display_name)
        )
        template = self.env.ref("account_collection_stages.mail_template_collection_plan")
        # To whom the reminders go (the invoice addresses), else to the customer, whose
        # missing address Odoo then shows on the message.
        recipients = self.partner_id._collection_invoice_contacts() or self.partner_id
        self.with_context(mail_notify_force_send=False).message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=recipients.ids,
        )

    @api.model
    def _collection_request(self, partner, moves, day):
        """The customer asked for a payment plan for ``moves`` on ``day`` (a call): a "Payment
        plan request" activity for the current user keeps it in sight until a plan for the
        customer is agreed (active), should the plan wait (its dialog closed, a draft saved, an
        approval to get, refused). One open per customer, company and user: a later request of
        the same user is added to its note."""
        note = Markup("<p>%s</p>") % self.env._(
            "Asked for on %(date)s, for %(invoices)s.",
            date=format_date(self.env, day),
            invoices=", ".join(moves.mapped("name")),
        )
        activity_type = self.env.ref(PLAN_REQUEST, raise_if_not_found=False)
        if not activity_type:
            return  # deleted by an administrator: no reminder of requests
        requests = self._collection_requests(partner, self.env.company)
        if request := requests.filtered(lambda a: a.user_id == self.env.user)[:1]:
            request.note = (request.note or Markup()) + note
            return
        partner.sudo().activity_schedule(
            activity_type_id=activity_type.id,
            note=note,
            user_id=self.env.user.id,
            collection_company_id=self.env.company.id,
        )

    @api.model
    def _collection_requests(self, partner, company):
        """The open "Payment plan request" activities of the customer ``partner`` for
        ``company``, as superuser."""
        activity_type = self.env.ref(PLAN_REQUEST, raise_if_not_found=False)
        if not activity_type:
            return self.env["mail.activity"]
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.commercial_partner_id.id),
                    ("activity_type_id", "=", activity_type.id),
                    ("collection_company_id", "=", company.id),
                ]
            )
        )

    def _request_approval(self):
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Approve the payment plan"),
            note=self.env._(
                "Payment rating %(rating)s (score %(score)s): check the customer's history "
                "before approving.",
                rating=dict(self._fields["payment_rating"]._description_selection(self.env)).get(
                    self.payment_rating, ""
                ),
                score=self.payment_score,
            ),
            user_id=self.company_id._collection_manager().id,
        )

    # -------------------------------------------------------------- daily check
    def _collection_left_to_pay(self):
        """What the plan's invoices still owe. One cancelled since the plan was made owes
        nothing, as one a credit note reverses: the customer owes that much less, and it
        counts towards the installments as a payment would. One reset to draft to be
        corrected still owes its balance."""
        self.ensure_one()
        return sum(self.move_ids.filtered(lambda m: m.state != "cancel").mapped("amount_residual"))

    def _collection_unapplied(self):
        """{plan: what its customer paid in the plan's currency since the plan was made that
        nobody matched with an invoice yet}, from one query for all the plans: the open
        balance, in the customer's favour, of its payments dated since, less the refunds paid
        out to it since (payment_line_domain). Credit notes are not payments: one not matched
        yet may be about another invoice."""
        if not self:
            return {}
        lines = self.env["account.move.line"].search_fetch(
            [
                ("company_id", "in", self.company_id.ids),
                ("partner_id", "in", self.partner_id._collection_contact_ids()),
                ("currency_id", "in", self.currency_id.ids),
                *payment_line_domain(min(self.mapped("date"))),
            ],
            ["company_id", "partner_id", "currency_id", "date", "amount_residual_currency"],
        )
        return {
            plan: max(
                -sum(
                    line.amount_residual_currency
                    for line in lines
                    if line.date >= plan.date
                    and line.company_id == plan.company_id
                    and line.currency_id == plan.currency_id
                    and line.partner_id.commercial_partner_id
                    == plan.partner_id.commercial_partner_id
                ),
                0.0,
            )
            for plan in self
        }

    def _collection_check_schedule(self, today):
        """Done when everything is paid; broken when an installment is late beyond the grace
        and the payments made since the plan, not matched yet, do not make up for what the late
        installments lack (a payment recorded on time, matched later). The customer's plans
        share those payments, the oldest plan first."""
        broken = self.browse()
        lacking = {}  # plan -> what its installments late beyond the grace lack
        for plan in self.filtered(lambda p: p.state == "active"):
            if all(
                move.payment_state in PAID_STATES or move.state == "cancel"
                for move in plan.move_ids
            ):
                plan._set_workflow({"state": "done"})
                plan.move_ids.sudo().collection_plan_id = False
                continue
            grace = relativedelta(days=plan.company_id.collection_plan_grace_days)
            late = plan.line_ids.filtered(
                lambda line, grace=grace: line.date + grace < today and line.state != "paid"
            )
            if late:
                lacking[plan] = sum(line.amount - line.amount_paid for line in late)
        late_plans = self.browse([plan.id for plan in lacking])
        unapplied = late_plans._collection_unapplied()
        taken = defaultdict(float)  # (customer, currency) -> payments the plans before took
        for plan in late_plans.sorted(lambda p: (p.date, p.id)):
            key = (plan.partner_id.commercial_partner_id, plan.currency_id)
            if plan.currency_id.compare_amounts(unapplied[plan] - taken[key], lacking[plan]) < 0:
                broken |= plan
            else:
                taken[key] += lacking[plan]
        if broken:
            broken._set_workflow({"state": "broken"})
            broken.move_ids.sudo().collection_plan_id = False
            for plan in broken:
                partner = plan.partner_id.commercial_partner_id
                partner.with_company(plan.company_id).collection_broken_plans += 1
                self.env["collection.event"]._collection_create(
                    {
                        "partner_id": partner.id,
                        "kind": "plan",
                        "move_ids": [Command.set(plan.move_ids.ids)],
                        "company_id": plan.company_id.id,
                        "date": today,  # the run's day, past midnight too
                        "note": self.env._("Payment plan broken: an installment is unpaid."),
                    }
                )._collection_log_on_partner()
        return broken
