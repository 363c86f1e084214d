from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

STAGE_KINDS = [
    ("reminder", "Overdue reminder"),
    ("call", "Call"),
    ("negotiation", "Negotiation"),
    ("agency", "Collection agency"),
    ("legal", "Legal action"),
]
# Kinds whose stages execute by themselves unless told otherwise; the others are proposed.
AUTO_KINDS = ("reminder", "call")


class CollectionStage(models.Model):
    _name = "collection.stage"
    _description = "Collection Stage"
    # The ladder goes by days overdue, as Odoo's follow-up levels do; the sequence orders the
    # stages from the same days (told apart by their minimum amounts, say).
    _order = "min_days_overdue, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10,
        help="Among stages from the same days overdue, the later one is the firmer: an invoice "
        "that qualifies for both reaches it.",
    )
    kind = fields.Selection(
        STAGE_KINDS,
        string="Type",
        required=True,
        default="reminder",
        help="The step of the collection procedure this stage is, which its activity and "
        "events are named after.",
    )
    min_days_overdue = fields.Integer(
        string="From days overdue",
        required=True,
        default=0,
        help="An invoice reaches this stage once it is at least this many days past due.",
    )
    repeat_days = fields.Integer(
        string="Repeat every (days)",
        default=30,
        help="Days between two overdue reminders of the same invoice, counted from the last "
        "reminder it got, and between two of the stage's activities (call, proposal) for the "
        "same customer, counted from when the last one was scheduled. 0 acts once on this "
        "stage.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Reminder email",
        domain=[("model", "=", "collection.event")],
        help="While an invoice is on this stage, this overdue reminder is sent to the customer.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        help="Activity scheduled for the customer's collection responsible on this stage.",
    )
    auto_execute = fields.Boolean(
        string="Execute automatically",
        compute="_compute_auto_execute",
        store=True,
        readonly=False,
        precompute=True,
        copy=True,
        help="When off, reaching this stage only proposes it: the collection responsible gets "
        "a To-Do to decide instead of the stage's activity. The stage's reminder email, if it "
        "has one, goes out either way.",
    )
    min_amount = fields.Monetary(
        string="Minimum amount",
        currency_field="currency_id",
        help="Only invoices whose overdue amount is at least this much reach this stage.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    active = fields.Boolean(default=True)
    fold = fields.Boolean(string="Folded in Kanban")
    description = fields.Text(translate=True)

    _sql_constraints = [
        (
            "min_days_overdue_positive",
            "CHECK(min_days_overdue >= 0)",
            "The days overdue of a stage cannot be negative.",
        ),
        (
            "repeat_days_positive",
            "CHECK(repeat_days >= 0)",
            "The days between reminders cannot be negative.",
        ),
        (
            "min_amount_positive",
            "CHECK(min_amount >= 0)",
            "The minimum amount of a stage cannot be negative.",
        ),
    ]

    @api.depends("kind")
    def _compute_auto_execute(self):
        for stage in self:
            stage.auto_execute = stage.kind in AUTO_KINDS

    @api.constrains("auto_execute", "activity_type_id", "kind")
    def _check_auto_execute_activity(self):
        """Executing a stage other than a reminder schedules its activity: without one, it
        would do nothing, silently."""
        for stage in self:
            if stage.auto_execute and stage.kind != "reminder" and not stage.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "The stage %(stage)s executes automatically but has no activity to "
                        "schedule: give it an activity, or turn off Execute automatically so "
                        "that reaching it is proposed to the collection responsible.",
                        stage=stage.display_name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """A stage with invoices on it, or in the collection history, is archived instead: its
        invoices would fall back on their days overdue, and the history would lose it."""
        moves = (
            self.env["account.move"].sudo().search_count([("collection_stage_id", "in", self.ids)])
        )
        events = self.env["collection.event"].sudo().search_count([("stage_id", "in", self.ids)])
        if moves or events:
            raise UserError(
                self.env._(
                    "%(stages)s has invoices on it or is in the collection history: archive it "
                    "instead. Its invoices stay on it until they reach a later stage.",
                    stages=", ".join(self.mapped("display_name")),
                )
            )

    def _ladder_key(self):
        """Position on the ladder, by days overdue, then sequence: a stage is more advanced
        than another when its key is larger."""
        self.ensure_one()
        return (self.min_days_overdue, self.sequence, self.id)


class Ladder:
    """A company's active stages, read once, for placing many invoices on them."""

    def __init__(self, stages):
        self.stages = stages
        self.steps = [(stage, stage.min_days_overdue, stage.min_amount) for stage in stages]
        # By id: the run asks for thousands of invoices, and a record hashes slower than an id.
        self.keys = {stage.id: stage._ladder_key() for stage in stages}
        self._mails = {stage.id: bool(stage.mail_template_id) for stage in stages}
        self.rounding = stages.company_id.currency_id.rounding or 0.01

    def key(self, stage):
        """Position of a stage (possibly archived) on the ladder."""
        key = self.keys.get(stage.id)
        if key is None:
            key = self.keys[stage.id] = stage._ladder_key()
        return key

    def has_later(self, stage):
        """Whether the ladder has a stage after ``stage`` (whatever its minimum amount)."""
        return bool(self.steps) and self.key(stage) < self.key(self.steps[-1][0])

    def mails(self, stage):
        """Whether invoices on ``stage`` (possibly archived) get overdue reminders."""
        mails = self._mails.get(stage.id)
        if mails is None:
            mails = self._mails[stage.id] = bool(stage.mail_template_id)
        return mails

    def after(self, current, amount):
        """The first stage past ``current`` (the first one, without a current stage) that an
        invoice with ``amount`` due reaches: its minimum amount holds here too."""
        return next(
            (
                stage
                for stage, _min_days, min_amount in self.steps
                if (not current or self.key(stage) > self.key(current))
                and self._reaches(amount, min_amount)
            ),
            self.stages.browse(),
        )

    def _reaches(self, amount, min_amount):
        return (
            not min_amount
            or float_compare(min_amount, amount, precision_rounding=self.rounding) <= 0
        )

    def target(self, current, days, amount):
        """The last stage an invoice ``days`` overdue with ``amount`` due qualifies for; never
        one before its ``current`` stage, even archived since: the invoice stays on it until it
        qualifies for a later one."""
        target = None
        for stage, min_days, min_amount in self.steps:
            if min_days <= days and self._reaches(amount, min_amount):
                target = stage
        if current and (not target or self.key(current) > self.key(target)):
            return current
        return target or current
