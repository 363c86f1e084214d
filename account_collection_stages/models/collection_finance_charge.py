from collections import defaultdict
from typing import NamedTuple

from odoo import Command, api, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from .account_move import past_due_invoice_line_domain


class CollectionFinanceCharge(models.AbstractModel):
    """Draft invoices for the late interest and fees accrued on a customer's overdue invoices.

    What was already charged is read from the lines of earlier finance charge invoices that are
    not cancelled, so a period or a fee is never charged twice."""

    _name = "collection.finance.charge"
    _description = "Collection Finance Charges"

    @api.model
    def _invoice_partner(self, partner):
        company = self.env.company
        if not company._collection_has_finance_charge():
            raise UserError(
                self.env._("Set a late interest rate or a late fee in the settings first.")
            )
        product = company.collection_charge_product_id
        account = company.collection_charge_account_id or (
            product and product.property_account_income_id
        )
        if not product and not account:
            raise UserError(
                self.env._(
                    "Set the finance charge product or income account in the settings first."
                )
            )
        today = company._collection_today()
        lines = self._charge_lines(partner, today, product, account)
        if not lines:
            raise UserError(
                self.env._(
                    "Nothing to charge: %(partner)s has no overdue invoice in collection "
                    "(excluded, disputed and payment plan invoices bear no charge, nor those its "
                    "unapplied credit notes and payments pay), or its finance charges up to "
                    "today are already invoiced.",
                    partner=partner.display_name,
                )
            )
        # The charges are in the company currency: a sales journal in another one would read
        # them as its own.
        journal = self.env["account.journal"].search(
            [
                ("company_id", "=", company.id),
                ("type", "=", "sale"),
                ("currency_id", "in", (False, company.currency_id.id)),
            ],
            limit=1,
        )
        if not journal:
            raise UserError(
                self.env._(
                    "Finance charges are invoiced in %(currency)s: %(company)s needs a sales "
                    "journal in that currency.",
                    currency=company.currency_id.name,
                    company=company.name,
                )
            )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": company.id,
                "journal_id": journal.id,
                "currency_id": company.currency_id.id,
                "invoice_date": today,
                "invoice_line_ids": [Command.create(vals) for vals in lines],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": invoice.id,
            "views": [(False, "form")],
            "view_mode": "form",
        }

    @api.model
    def _charge_lines(self, partner, today, product, account):
        """Lines of the finance charge invoice of ``partner``: what _collection_uncharged
        finds on its overdue invoices in collection (not excluded, disputed or paid by a plan;
        on hold or not), in the customer's language. Those its unapplied credit notes and
        payments pay bear none: only what is owed is charged. The credits pay the invoices the
        daily run chases first, oldest first, as in the reminders and calls; the invoices on
        hold take what they leave."""
        engine = self.env["collection.engine"]
        overdue = engine._collection_overdue(
            engine._collection_collected_line_domain(today, partner)
        )
        chased = engine._collection_overdue(engine._collection_line_domain(today, partner))
        held = {move for move in overdue if move not in chased}
        parts = engine._collection_credits(partner, today)[partner].split(
            list(overdue), overdue, last=held
        )
        moves = self.env["account.move"].browse(
            [move.id for move in engine._collection_owed(overdue, overdue, parts)]
        )
        env = self.with_context(lang=partner.lang).env
        lines = []
        base = {"quantity": 1, "tax_ids": [Command.clear()]}
        if product:
            base["product_id"] = product.id
        if account:
            base["account_id"] = account.id
        for move, charge in self._collection_uncharged(moves, today, parts).items():
            for start, days, interest in charge.interest:
                lines.append(
                    dict(
                        base,
                        name=env._(
                            "Late interest on %(invoice)s, %(start)s to %(end)s "
                            "(%(days)s days at %(rate)s%% a year)",
                            invoice=move.name,
                            start=format_date(env, start),
                            end=format_date(env, today),
                            days=days,
                            rate=formatLang(env, charge.rate),
                        ),
                        price_unit=interest,
                        collection_charge_origin_id=move.id,
                        collection_charge_kind="interest",
                        collection_charge_to=today,
                    )
                )
            if charge.fee:
                lines.append(
                    dict(
                        base,
                        name=env._("Late fee on %(invoice)s", invoice=move.name),
                        price_unit=charge.fee,
                        collection_charge_origin_id=move.id,
                        collection_charge_kind="fee",
                    )
                )
        return lines

    @api.model
    def _collection_uncharged(self, moves, today, parts=None):
        """{invoice: Charge} what invoicing the finance charges of ``moves`` today adds, read
        with three queries for any number of invoices; reminders and call notes state it.

        Interest runs on what is unpaid of each installment past due, from its due date or
        from the end of the period an earlier charge invoice (not cancelled) covered; the fee
        is charged once per invoice. ``parts``: what the customer's unapplied credits pay of
        each invoice (Credits.split): no interest runs on that part, which pays the earliest
        installments first, as a matched payment would. Finance
        charge invoices themselves bear no charge. Invoices with nothing to add are left out.

        A consumer's invoices bear the consumers' interest rate and no fee: the late payment
        laws (EU Directive 2011/7/EU, Spain's Ley 3/2004, Italy's D.Lgs. 231/2002) set the
        commercial rate and the fixed compensation for businesses only."""
        company = self.env.company
        if not moves or not company._collection_has_finance_charge():
            return {}
        Line = self.env["account.move.line"]
        charged_to, fee_charged = {}, set()
        for origin, kind, charged_until in Line._read_group(
            [("collection_charge_origin_id", "in", moves.ids), ("parent_state", "!=", "cancel")],
            ["collection_charge_origin_id", "collection_charge_kind"],
            ["collection_charge_to:max"],
        ):
            if kind == "fee":
                fee_charged.add(origin)
            elif charged_until:
                charged_to[origin] = charged_until
        charge_invoices = {
            move
            for [move] in Line._read_group(
                [("move_id", "in", moves.ids), ("collection_charge_origin_id", "!=", False)],
                ["move_id"],
            )
        }
        due_by_start = defaultdict(lambda: defaultdict(float))  # invoice -> start -> amount
        for move, due, amount in Line._read_group(
            [("move_id", "in", moves.ids), *past_due_invoice_line_domain(today)],
            ["move_id", "date_maturity:day"],
            ["amount_residual:sum"],
        ):
            if move not in charge_invoices:
                start = max(due, charged_to.get(move, due))
                due_by_start[move][start] += amount
        currency = company.currency_id
        result = {}
        for move, by_start in due_by_start.items():
            if move.commercial_partner_id.collection_is_consumer:
                rate, fee = company.collection_consumer_interest_rate, 0.0
            else:
                rate, fee = company.collection_late_interest_rate, company.collection_late_fee
            interest = []
            credit = (parts or {}).get(move, (0.0, 0.0))[0]  # in the company currency
            for start, due_amount in sorted(by_start.items()):
                paid = min(credit, due_amount)
                credit -= paid
                amount = due_amount - paid
                days = (today - start).days
                value = currency.round(amount * rate / 100.0 * days / 365.0)
                if days > 0 and not currency.is_zero(value):
                    interest.append((start, days, value))
            move_fee = fee if move not in fee_charged else 0.0
            if interest or move_fee:
                result[move] = Charge(interest, move_fee, rate)
        return result


class Charge(NamedTuple):
    """What finance charges an invoice bears: ``interest``, (start, days, amount) of each
    period at the yearly ``rate`` (%), and the ``fee``; in the company currency."""

    interest: list
    fee: float
    rate: float

    @property
    def total(self):
        return sum(amount for _start, _days, amount in self.interest) + self.fee
