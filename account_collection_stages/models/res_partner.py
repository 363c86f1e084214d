from collections import defaultdict

from odoo import api, fields, models
from odoo.osv import expression

from .account_move import (
    UNCHASED_STATES,
    past_due_invoice_line_domain,
    past_due_line_domain,
)
from .collection_activity_scheduler import workers_domain

PAYMENT_RATINGS = [("good", "Good"), ("fair", "Fair"), ("poor", "Poor"), ("none", "No history")]
# The payment history the collection run computes: a payment plan's approval depends on it.
SCORE_FIELDS = {
    "collection_payment_score",
    "collection_payment_rating",
    "collection_on_time_ratio",
    "collection_avg_days_late",
    "collection_broken_promises",
    "collection_broken_plans",
}
# What the collection run keeps on a customer: its score, its stage (its invoices' firmest) and
# the day it last looked at it. Nobody else writes them (see write()).
RUN_FIELDS = {*SCORE_FIELDS, "collection_stage_id", "collection_checked_date"}
# Whom the collection run chases and how: set by collection users only (any internal user may
# edit contacts). A cleared cease-communication request would restart the calls.
SETTINGS_FIELDS = {
    "collection_no_contact",
    "collection_is_consumer",
    "collection_excluded",
    "collection_exclusion_reason",
    "collection_responsible_id",
    "collection_contact_id",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_stage_id = fields.Many2one(
        "collection.stage",
        string="Collection stage",
        company_dependent=True,
        readonly=True,
        help="The firmest stage among the customer's overdue invoices in this company, chased or "
        "paused (on hold, promised, disputed, in a payment plan). Excluded invoices do not "
        "count, nor those not chased because its unapplied credits pay them.",
        groups="base.group_user",
    )
    collection_overdue_amount = fields.Monetary(
        string="Overdue amount",
        compute="_compute_collection_overdue_amount",
        currency_field="collection_currency_id",
        help="Overdue customer invoices, in the company currency.",
        groups="base.group_user",
    )
    collection_credit_amount = fields.Monetary(
        string="Unapplied credits",
        compute="_compute_collection_overdue_amount",
        currency_field="collection_currency_id",
        help="Credit notes and payments of the customer not matched with an invoice yet, less "
        "what offsets them outside invoices (a refund paid out to the customer, say), in the "
        "company currency: reminders and calls deduct them from what is claimed.",
        groups="base.group_user",
    )
    collection_credits_cover = fields.Boolean(
        string="Credits cover what is chased",
        compute="_compute_collection_overdue_amount",
        help="The customer's unapplied credits pay all the overdue invoices the collection run "
        "would chase: it does not chase this customer.",
        groups="base.group_user",
    )
    collection_can_remind = fields.Boolean(
        string="Can be reminded now",
        compute="_compute_collection_can_remind",
        help="Send overdue reminder now would send the customer a reminder: of its overdue "
        "invoices the collection run claims, some are owed and were not reminded today, and the "
        "customer can be written to.",
        groups="account_collection_stages.group_collection_user",
    )
    collection_currency_id = fields.Many2one(
        "res.currency", compute="_compute_collection_overdue_amount", groups="base.group_user"
    )
    collection_finance_charge_set = fields.Boolean(
        string="Finance charges set up",
        compute="_compute_collection_overdue_amount",
        groups="base.group_user",
    )
    collection_unreachable = fields.Boolean(
        string="No email address for reminders",
        compute="_compute_collection_unreachable",
        help="Neither the customer nor its invoice addresses have a valid email address "
        "(archived ones receive no email): overdue reminders cannot be emailed.",
        groups="base.group_user",
    )
    collection_responsible_id = fields.Many2one(
        "res.users",
        string="Collection responsible",
        company_dependent=True,
        # Those the daily run gives the activities to, in the current company.
        domain=lambda self: workers_domain(self.env, "[allowed_company_ids[0]]"),
        help="Gets this customer's collection calls and proposals.",
        groups="base.group_user",
    )
    collection_contact_id = fields.Many2one(
        "res.partner",
        string="Collection contact",
        domain="[('parent_id', '=', id), ('parent_id', '!=', False)]",
        copy=False,
        tracking=True,
        help="The person in charge of payments, called first about overdue invoices: set when "
        "a call finds the wrong contact, or here. Else the contact the invoices are addressed "
        "to is called, else an invoice address.",
        groups="base.group_user",
    )
    # A customer's own collection settings: a duplicate starts without them, as a new
    # customer, whoever duplicates it.
    collection_excluded = fields.Boolean(
        string="Excluded from collection", tracking=True, copy=False, groups="base.group_user"
    )
    collection_exclusion_reason = fields.Char(
        string="Exclusion reason", tracking=True, copy=False, groups="base.group_user"
    )
    collection_checked_date = fields.Date(
        string="Last collection check",
        company_dependent=True,
        readonly=True,
        help="Day the collection engine last went through this customer.",
        groups="base.group_user",
    )
    collection_no_contact = fields.Boolean(
        string="Cease communication",
        tracking=True,
        copy=False,
        help="The customer asked in writing to stop contacting them: no calls and no "
        "reminders, only legal notices (FDCPA 15 U.S.C. 1692c(c)).",
        groups="base.group_user",
    )
    collection_is_consumer = fields.Boolean(
        string="Consumer debtor",
        compute="_compute_collection_is_consumer",
        store=True,
        readonly=False,
        copy=False,  # a duplicate is a consumer by its type, as a new contact
        help="A person buying for personal, family or household purposes: the contact rules "
        "for consumer debts apply.",
        groups="base.group_user",
    )
    collection_payment_score = fields.Integer(
        string="Payment score",
        company_dependent=True,
        readonly=True,
        help="0 to 100, from the invoices of the last 24 months: on-time ratio and days late "
        "weighted by amount, minus broken promises and broken payment plans.",
        groups="base.group_user",
    )
    collection_payment_rating = fields.Selection(
        PAYMENT_RATINGS,
        string="Payment rating",  # "none" where not scored yet: data/ir_default_data.xml
        company_dependent=True,
        readonly=True,
        groups="base.group_user",
    )
    collection_avg_days_late = fields.Float(
        string="Average days late",
        digits=(16, 2),
        company_dependent=True,
        readonly=True,
        groups="base.group_user",
    )
    collection_on_time_ratio = fields.Float(
        string="Paid on time (%)",
        digits=(16, 2),
        company_dependent=True,
        readonly=True,
        groups="base.group_user",
    )
    collection_broken_promises = fields.Integer(
        string="Broken promises", company_dependent=True, readonly=True, groups="base.group_user"
    )
    collection_broken_plans = fields.Integer(
        string="Broken payment plans",
        company_dependent=True,
        readonly=True,
        groups="base.group_user",
    )
    collection_event_ids = fields.One2many(
        "collection.event", "partner_id", groups="base.group_user"
    )
    collection_event_count = fields.Integer(
        string="Collection events",
        compute="_compute_collection_event_count",
        groups="base.group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # A new customer is scored and staged by its own invoices, like any other (see
            # write()).
            vals_list = [self._without_run_fields(vals) for vals in vals_list]
            if any(key.removeprefix("default_") in RUN_FIELDS for key in self.env.context):
                context = {
                    key: value
                    for key, value in self.env.context.items()
                    if key.removeprefix("default_") not in RUN_FIELDS
                }
                self = self.with_env(self.env(context=context))
            self._check_settings_on_create(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            # Kept by the collection run (RUN_FIELDS; the score is trusted by plan approval, the
            # last check decides whom the run looks at): left out of a write through the API,
            # as of a contact merge, which writes every stored field.
            vals = self._without_run_fields(vals)
            self._check_settings_change(vals)
        return super().write(vals)

    @api.model
    def _check_settings_on_create(self, vals_list):
        """Refuse new contacts with collection settings (SETTINGS_FIELDS) other than a new
        contact's to all but collection users: excluded, say, or not a consumer."""
        defaults = {
            key.removeprefix("default_"): value
            for key, value in self.env.context.items()
            if key.startswith("default_")
        }
        changed = set()
        for vals in vals_list:
            vals = {**defaults, **vals}
            is_company = vals.get("is_company", vals.get("company_type") == "company")
            for name in SETTINGS_FIELDS.intersection(vals):
                if name == "collection_is_consumer":
                    # A new contact is a consumer unless it is a company.
                    if bool(vals[name]) == bool(is_company):
                        changed.add(name)
                elif vals[name]:
                    changed.add(name)
        self._refuse_settings_change(changed)

    def _check_settings_change(self, vals):
        """Refuse a change of the collection settings (SETTINGS_FIELDS) to all but collection
        users; writing the values they have (a contact merge does) is no change."""
        self._refuse_settings_change(
            name
            for name in SETTINGS_FIELDS.intersection(vals)
            for partner in self
            if (self._fields[name].convert_to_write(partner[name], partner) or False)
            != (vals[name] or False)
        )

    def _refuse_settings_change(self, names):
        """Refuse the change of the collection settings ``names`` unless the user is a
        collection user."""
        changed = set(names)
        if changed:
            self.env["collection.event"]._collection_check_user(
                self.env._(
                    "Only collection users can change these collection settings: %(fields)s.",
                    fields=", ".join(
                        sorted(
                            {self._fields[name]._description_string(self.env) for name in changed}
                        )
                    ),
                )
            )

    @api.model
    def _without_run_fields(self, vals):
        return {name: value for name, value in vals.items() if name not in RUN_FIELDS}

    @api.depends("is_company")
    def _compute_collection_is_consumer(self):
        for partner in self:
            partner.collection_is_consumer = not partner.is_company

    @api.depends_context("company", "date")
    def _compute_collection_overdue_amount(self):
        today = self.env.company._collection_today()
        groups = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", self.env.company.id),
                *past_due_invoice_line_domain(today),
                ("move_id.commercial_partner_id", "in", self.commercial_partner_id.ids),
            ],
            ["partner_id"],
            ["amount_residual:sum"],
        )
        totals = {}
        for partner, amount in groups:
            commercial = partner.commercial_partner_id.id
            totals[commercial] = totals.get(commercial, 0.0) + amount
        engine = self.env["collection.engine"]
        customers = self.commercial_partner_id
        credits = engine._collection_credits(customers, today)
        # What the daily run chases (not held, disputed... invoices), as it weighs the credits.
        chased = engine._collection_overdue(engine._collection_line_domain(today, customers))
        chased_by_customer = defaultdict(list)
        for move in chased:
            chased_by_customer[move.commercial_partner_id].append(move)
        company = self.env.company
        charge_set = company._collection_has_finance_charge()
        for partner in self:
            customer = partner.commercial_partner_id
            moves = chased_by_customer[customer]
            partner.collection_currency_id = company.currency_id
            partner.collection_overdue_amount = totals.get(customer.id, 0.0)
            partner.collection_credit_amount = credits[customer].total
            parts = credits[customer].split(moves, chased)
            # The invoices to claim, those the credits do not pay (Send now reminds of these).
            owed = engine._collection_owed(moves, chased, parts)
            partner.collection_credits_cover = bool(moves) and not owed
            partner.collection_finance_charge_set = charge_set

    def _compute_collection_can_remind(self):
        reminder = self.env["collection.reminder"]
        for partner in self:
            partner.collection_can_remind = bool(
                partner.id
                and reminder._collection_would_send(
                    self.env["account.move"], partners=partner.commercial_partner_id
                )
            )

    def _compute_collection_event_count(self):
        counts = dict(
            self.env["collection.event"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.collection_event_count = counts.get(partner, 0)

    def _collection_requeue(self):
        """Let today's engine run look at these customers again after a manual change, in
        every company: a customer's settings hold in all of them."""
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            self.sudo().with_company(company).write({"collection_checked_date": False})

    @api.depends(
        "email_normalized",
        "active",
        "child_ids.type",
        "child_ids.email_normalized",
        "child_ids.active",
        "user_ids.notification_type",
        "child_ids.user_ids.notification_type",
        "commercial_partner_id",
    )
    def _compute_collection_unreachable(self):
        for partner in self:
            customer = partner.commercial_partner_id
            partner.collection_unreachable = not (
                customer and customer._collection_invoice_contacts()
            )

    def _collection_contact_ids(self):
        """Ids of the partners whose commercial partner is one of these customers (the
        customers and their contacts, archived ones included): their invoices and lines are
        found through the partner index."""
        return (
            self.with_context(active_test=False)
            ._search([("commercial_partner_id", "in", self.commercial_partner_id.ids)])
            .get_result_ids()
        )

    def _collection_invoice_contacts(self):
        """Who receives the reminders by email: the invoice-address contacts, else the
        customer; only those Odoo emails (see _collection_emailed)."""
        self.ensure_one()
        contacts = self.child_ids.filtered(lambda c: c.type == "invoice")._collection_emailed()
        return contacts or self._collection_emailed()

    def _collection_emailed(self):
        """Those of these partners a message posted to them reaches by email: with a valid
        email address (Odoo sends none to "n/a"), not archived (Odoo notifies no archived
        partner), and not users who read their messages in Odoo (inbox)."""
        return self.filtered(
            lambda p: (
                p.email_normalized
                and p.active
                and not p.user_ids.filtered(lambda u: u.active and u.notification_type == "inbox")
            )
        )

    def _collection_call_contact(self, moves=None):
        """Whom to call about ``moves``, overdue invoices of the customer: its collection
        contact; else the contact they are addressed to, else an invoice-address contact,
        one with a phone number first; else the customer."""
        self.ensure_one()
        contact = self.collection_contact_id
        # Not one archived, or moved to another company since.
        if contact.active and contact.commercial_partner_id == self.commercial_partner_id:
            return contact
        addressees = (moves or self.env["account.move"]).partner_id.filtered(
            lambda c: c != self and c.active and c.commercial_partner_id == self
        )
        addresses = self.child_ids.filtered(lambda c: c.type == "invoice")

        def with_phone(contacts):
            return contacts.filtered(lambda c: c.phone or c.mobile)[:1]

        return (
            with_phone(addressees)
            or with_phone(addresses)
            or addressees[:1]
            or addresses[:1]
            or self
        )

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """A reply to a company's collection message (the customer answering its reminder,
        which the reply quotes) is that company's too."""
        parent = self.env["mail.message"].sudo().browse(kwargs.get("parent_id") or ())
        if parent.collection_company_id:
            kwargs.setdefault("collection_company_id", parent.collection_company_id.id)
        return super().message_post(**kwargs)

    def _get_message_create_valid_field_names(self):
        # A collection message on a customer (a reminder, a reply to one) is its company's
        # from its creation, through message_post, not by a write after it.
        return super()._get_message_create_valid_field_names() | {"collection_company_id"}

    def _collection_overdue_moves(self, companies=None):
        """The customers' posted invoices with an installment past due, of ``companies`` (by
        default the current company), each company's past due on its own day."""
        return self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "not in", UNCHASED_STATES),
                *expression.OR(
                    [
                        ("company_id", "=", company.id),
                        ("line_ids", "any", past_due_line_domain(company._collection_today())),
                    ]
                    for company in (companies or self.env.company)
                ),
            ]
        )

    def _collection_log_note(self, note):
        """A note event on each customer with its overdue invoices, in each company that has
        some: a customer's settings (exclusion, cease communication) hold in all companies,
        whichever companies the user may work in."""
        partners = self.commercial_partner_id
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        return self.env["collection.event"]._collection_log_action(
            "note",
            note,
            moves=partners.sudo()._collection_overdue_moves(companies),
            partners=partners,
        )

    def action_collection_send_reminder(self):
        partners = self.commercial_partner_id
        return self.env["collection.reminder"]._collection_send_now(
            self.env["account.move"], partners=partners
        )

    def action_collection_exclude(self):
        return self.env["collection.pause"]._open_for(self.commercial_partner_id, "exclude")

    def action_collection_resume(self):
        """Back into collection: no more exclusion (in every company), noted on the customers
        in every company where they have overdue invoices (see _collection_log_note)."""
        self.env["collection.pause"]._check_collection_user()
        partners = self.commercial_partner_id.filtered("collection_excluded")
        partners.sudo().write({"collection_excluded": False, "collection_exclusion_reason": False})
        partners._collection_log_note(self.env._("Collection resumed."))
        partners._collection_requeue()
        return True

    def action_collection_cease_communication(self):
        """The customer asked in writing to stop contacting it: no calls and no reminders. Its
        open activities that would contact it, of every company, are cancelled: the collection
        calls, scheduled by the run or by hand, and the reminders to send by post."""
        self._collection_set_no_contact(
            True,
            self.env._(
                "The customer asked in writing to cease communication: no calls and no reminders."
            ),
        )
        no_email = self.env.ref("account_collection_stages.mail_activity_type_collection_no_email")
        # Cancelled, as Odoo's Cancel does: none of them was done. Collection calls are the
        # phone calls of a company's collection (mail.activity's _collection_check_call).
        cancelled = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.commercial_partner_id.ids),
                    "|",
                    ("activity_type_id", "=", no_email.id),
                    "&",
                    ("collection_company_id", "!=", False),
                    ("activity_category", "=", "phonecall"),
                ]
            )
        )
        # The entries that scheduled them say so: once communication is allowed again, the
        # daily run calls without waiting for the stage's days from a call never made.
        self.env["collection.event"].sudo().search(
            [("activity_id", "in", cancelled.ids)]
        ).activity_cancelled = True
        cancelled.unlink()
        return True

    def action_collection_allow_communication(self):
        self._collection_set_no_contact(
            False, self.env._("Communication with the customer allowed again.")
        )
        # Today's run too, should it come again today.
        self.commercial_partner_id._collection_requeue()
        return True

    def _collection_set_no_contact(self, value, note):
        """Set the customers' cease communication flag, noted in their collection history:
        for collection users, who need not be allowed to edit contacts."""
        self._refuse_settings_change({"collection_no_contact"})
        partners = self.commercial_partner_id.filtered(lambda p: p.collection_no_contact != value)
        partners.sudo().collection_no_contact = value
        partners._collection_log_note(note)
        return True

    def action_collection_log_call(self):
        return self.env["collection.call.wizard"]._open_for(self.commercial_partner_id)

    def action_collection_recompute_score(self):
        self.env["collection.event"]._collection_check_user(
            self.env._("Only collection users can recompute a payment score.")
        )
        self.env["collection.payment.score"]._recompute(self)
        return True

    def action_collection_finance_charges(self):
        return self.env["collection.finance.charge"]._invoice_partner(self.commercial_partner_id)

    def action_view_collection_events(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collection_stages.collection_event_action"
        )
        action["domain"] = [("partner_id", "in", self.commercial_partner_id.ids)]
        action["context"] = {"default_partner_id": self.commercial_partner_id[:1].id}
        return action
