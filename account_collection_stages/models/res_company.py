import pytz

from odoo import api, fields, models

DEFAULT_LADDER = (
    "account_collection_stages.collection_stage_reminder",
    "account_collection_stages.collection_stage_call",
    "account_collection_stages.collection_stage_negotiation",
    "account_collection_stages.collection_stage_agency",
    "account_collection_stages.collection_stage_legal",
)


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_late_interest_rate = fields.Float(
        string="Late interest (% a year)",
        digits=(16, 4),
        help="Annual interest charged on the overdue invoices of business customers, shown in "
        "reminders and calls. 0 means none.",
    )
    collection_late_fee = fields.Monetary(
        string="Late fee",
        currency_field="currency_id",
        help="Fixed fee charged on each overdue invoice of a business customer, shown in "
        "reminders and calls. 0 means none. Consumers bear none: the late payment laws give "
        "it to businesses only.",
    )
    collection_consumer_interest_rate = fields.Float(
        string="Late interest for consumers (% a year)",
        digits=(16, 4),
        help="Annual interest charged on the overdue invoices of consumers (the customers "
        "marked so on their Collection tab) instead of the late interest: the legal rate, or "
        "your contracts'. 0 means none.",
    )
    collection_default_user_id = fields.Many2one(
        "res.users",
        string="Default collection responsible",
        domain=[("share", "=", False)],
        help="Gets the collection activities of customers that have neither a collection "
        "responsible nor a salesperson on their invoices, or none who can act on this "
        "company's invoices.",
    )

    collection_contact_rules = fields.Selection(
        [
            ("consumer", "Consumer debts"),
            ("all", "All debts"),
            ("none", "Never"),
        ],
        string="Enforce contact rules",
        default="consumer",
        required=True,
        help="US Regulation F (12 CFR 1006.14(b) and 1006.6(b)) presumes a collector calls too "
        "often when it calls more than 7 times in 7 days about a debt, or within 7 days after "
        "a conversation about it, and forbids calls before 08:00 or after 21:00 at the "
        "consumer's location (FDCPA 15 U.S.C. 1692c). It binds debt collectors on consumer "
        "debts; state laws such as California's Rosenthal Act also bind creditors.",
    )
    collection_promise_grace_days = fields.Integer(
        string="Promise grace (days)",
        default=3,
        help="Days after a promised payment date before the promise counts as broken.",
    )
    collection_plan_grace_days = fields.Integer(
        string="Installment grace (days)",
        default=5,
        help="Days after an installment's date before an unpaid installment breaks the plan.",
    )
    collection_charge_product_id = fields.Many2one(
        "product.product",
        string="Finance charge product",
        check_company=True,
        help="Product of the lines of finance charge invoices.",
    )
    collection_charge_account_id = fields.Many2one(
        "account.account",
        string="Finance charge income account",
        check_company=True,
        domain=[("account_type", "in", ("income", "income_other")), ("deprecated", "=", False)],
        help="Income account of finance charge invoices; the product's account otherwise.",
    )

    _sql_constraints = [
        (
            "collection_late_interest_rate_positive",
            "CHECK(collection_late_interest_rate >= 0 AND collection_consumer_interest_rate >= 0)",
            "The late interest rate cannot be negative.",
        ),
        (
            "collection_grace_days_positive",
            "CHECK(collection_promise_grace_days >= 0 AND collection_plan_grace_days >= 0)",
            "Grace days cannot be negative.",
        ),
        (
            "collection_late_fee_positive",
            "CHECK(collection_late_fee >= 0)",
            "The late fee cannot be negative.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._collection_ensure_ladder()
        return companies

    def _collection_ensure_ladder(self):
        """Copy the default ladder to the companies that have no collection stage yet."""
        templates = self.env["collection.stage"]
        for xmlid in DEFAULT_LADDER:
            templates |= self.env.ref(xmlid, raise_if_not_found=False) or templates
        if not templates:
            return
        Stage = self.env["collection.stage"].sudo().with_context(active_test=False)
        domain = [("company_id", "in", self.ids)]
        equipped = {company.id for [company] in Stage._read_group(domain, ["company_id"])}
        for company in self.filtered(lambda c: c.id not in equipped):
            for template in templates.sudo():
                template.copy({"company_id": company.id, "sequence": template.sequence})

    def _collection_manager(self):
        """A collection manager of the company, for the decisions only a manager takes; the
        current user when there is none."""
        self.ensure_one()
        group = self.env.ref("account_collection_stages.group_collection_manager")
        managers = group.users.filtered(
            lambda u: u.active and not u.share and self in u.company_ids
        )
        preferred = self.collection_default_user_id & managers
        return (preferred or managers)[:1] or self.env.user

    def _collection_tz(self):
        """The company's time zone: its address's (as Odoo's purchase and stock take it); when
        it has none, that of its address's state or country, so that the run, in UTC, and its
        users count the same days. Of a state or country in several zones, the one where the
        day starts last: the run counts no invoice overdue that is still on its due date
        somewhere the company may be (El Paso, for a company in Texas). Without an address
        that tells, the user's."""
        self.ensure_one()
        partner = self.sudo().partner_id
        if partner.tz:
            return partner.tz
        zones, place = self.env["collection.contact.rules"]._partner_zones(partner)
        if place:
            now = pytz.utc.localize(fields.Datetime.now())
            return min(zones, key=lambda zone: now.astimezone(zone).utcoffset()).zone
        return self.env.context.get("tz") or self.env.user.tz

    def _collection_today(self, timestamp=None):
        """Today (or the day of ``timestamp``, a UTC datetime) in the company's time zone: the
        day on which its invoices count overdue, and its collection actions are dated."""
        return fields.Date.context_today(self.with_context(tz=self._collection_tz()), timestamp)

    def _collection_has_finance_charge(self):
        """Whether the company charges late interest or a late fee."""
        self.ensure_one()
        return bool(
            self.collection_late_interest_rate
            or self.collection_late_fee
            or self.collection_consumer_interest_rate
        )
