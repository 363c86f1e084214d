from odoo import Command, api, fields, models
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
        today = fields.Date.context_today(self)
        lines = self._charge_lines(partner, today, product, account)
        if not lines:
            raise UserError(
                self.env._(
                    "Nothing to charge: %(partner)s has no overdue invoice, or its finance "
                    "charges up to today are already invoiced.",
                    partner=partner.display_name,
                )
            )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": company.id,
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
        company = self.env.company
        moves = partner._collection_overdue_moves().filtered(
            lambda m: not m.invoice_line_ids.collection_charge_origin_id
        )
        charged = self.env["account.move.line"].search(
            [
                ("collection_charge_origin_id", "in", moves.ids),
                ("parent_state", "!=", "cancel"),
            ]
        )
        # Interest runs on what is past due (the installments due, for payment terms in
        # several), as the reminders state it; the lines are in the customer's language.
        overdue = self.env["collection.engine"]._collection_overdue(
            [("move_id", "in", moves.ids), *past_due_invoice_line_domain(today)]
        )
        env = self.with_context(lang=partner.lang).env
        rate = company.collection_late_interest_rate
        lines = []
        base = {"quantity": 1, "tax_ids": [Command.clear()]}
        if product:
            base["product_id"] = product.id
        if account:
            base["account_id"] = account.id
        for move in moves:
            mine = charged.filtered(
                lambda line, move=move: line.collection_charge_origin_id == move
            )
            start = max(
                [move.collection_overdue_since]
                + [line.collection_charge_to for line in mine if line.collection_charge_to]
            )
            days = (today - start).days
            due = overdue.get(move, (None, 0.0))[1]
            interest = company.currency_id.round(due * rate / 100.0 * days / 365.0)
            if days > 0 and not company.currency_id.is_zero(interest):
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
                            rate=formatLang(env, rate),
                        ),
                        price_unit=interest,
                        collection_charge_origin_id=move.id,
                        collection_charge_kind="interest",
                        collection_charge_to=today,
                    )
                )
            fee_charged = any(line.collection_charge_kind == "fee" for line in mine)
            if company.collection_late_fee and not fee_charged:
                lines.append(
                    dict(
                        base,
                        name=env._("Late fee on %(invoice)s", invoice=move.name),
                        price_unit=company.collection_late_fee,
                        collection_charge_origin_id=move.id,
                        collection_charge_kind="fee",
                    )
                )
        return lines
