"""Shared set-up of the collection tests: a company with the default ladder, customers and
invoices dated relative to a fixed day, and a way to run the daily job on any day."""

from contextlib import ExitStack
from datetime import date, timedelta

from lxml import etree

from odoo import Command
from odoo.tests import freeze_time
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

MODULE = "account_collection_stages"
ENGINE_LOGGER = f"odoo.addons.{MODULE}.models.collection_engine"
DAY0 = date(2026, 3, 2)  # a Monday; invoices are due on or before it


class CollectionCase(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref(f"{MODULE}.ir_cron_collection_run")
        cls.ladder = cls.env["collection.stage"].search([("company_id", "=", cls.env.company.id)])
        cls.stage = {stage.kind: stage for stage in cls.ladder}
        cls.env.company.email = "billing@company.example.com"
        # The days of the tests are UTC's, whatever the company's address and the user's zone.
        cls.env.company.partner_id.tz = "UTC"
        cls.customer = cls._customer("Azure Interior")

    @classmethod
    def _customer(cls, name, **vals):
        login = name.lower().replace(" ", ".")
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{login}@example.com",
                "property_payment_term_id": cls.pay_terms_a.id,
                **vals,
            }
        )

    @classmethod
    def _split_terms(cls, days):
        """Payment terms of two installments: half at once, half ``days`` later."""
        return cls.env["account.payment.term"].create(
            {
                "name": f"Half now, half in {days} days",
                "line_ids": [
                    (0, 0, {"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    (0, 0, {"value": "percent", "value_amount": 50.0, "nb_days": days}),
                ],
            }
        )

    @classmethod
    def _invoice(cls, partner, days_overdue, amount=1000.0, company=None, post=True):
        """A customer invoice due ``days_overdue`` days before DAY0 (immediate payment)."""
        return cls.init_invoice(
            "out_invoice",
            partner=partner,
            invoice_date=DAY0 - timedelta(days=days_overdue),
            amounts=[amount],
            taxes=[],
            post=post,
            company=company,
        )

    def _template_file(self, template, name="Terms.pdf"):
        """A file of ``template`` (the terms and conditions, say), sent with its emails."""
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": b"%PDF-1.4 terms",
                "res_model": template._name,
                "res_id": template.id,
            }
        )
        template.attachment_ids = [Command.link(attachment.id)]
        return attachment

    @classmethod
    def _credit_note(cls, partner, amount):
        """A customer credit note of ``amount``, posted on DAY0 and matched with nothing."""
        return cls.init_invoice(
            "out_refund", partner=partner, invoice_date=DAY0, amounts=[amount], taxes=[], post=True
        )

    @classmethod
    def _pay(cls, moves, amount=None, day=DAY0):
        wizard = cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        )
        vals = {"payment_date": day}
        if amount is not None:
            vals["amount"] = amount
        return wizard.create(vals)._create_payments()

    def commit_point(self):
        """What the end of the transaction runs before its commit (Odoo's precommit hooks):
        a test's transaction is never committed."""
        self.env.cr.flush()
        self.env.invalidate_all()

    def _unmatched_payment(self, payment_type, amount, day):
        """A posted customer payment, ``inbound`` (received) or ``outbound`` (a refund paid
        out), matched with nothing."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": payment_type,
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": amount,
                "date": day,
            }
        )
        payment.action_post()
        return payment

    def run_engine(self, day=DAY0, failures_expected=False):
        """The scheduled action, as Odoo's scheduler starts it, on ``day``. The run goes on
        past a customer it fails on, logging the error: unless ``failures_expected``, no such
        error may happen."""
        with freeze_time(day), ExitStack() as stack:
            if not failures_expected:
                stack.enter_context(self.assertNoLogs(ENGINE_LOGGER, "ERROR"))
            self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def events(self, partner, kind=None):
        domain = [("partner_id", "=", partner.id)]
        if kind:
            domain.append(("kind", "=", kind))
        return self.env["collection.event"].search(domain)

    def reminders(self, partner):
        return self.events(partner, "reminder")

    def collection_activities(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("collection_stage_id", "!=", False),
            ]
        )

    def queued_mails(self, partner):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

    def _shows_send_now(self, record):
        """Whether the form of ``record``, a customer or an invoice, shows its "Send overdue
        reminder now" button."""
        record.invalidate_recordset()
        arch = record.get_views([(False, "form")])["views"]["form"]["arch"]
        (button,) = etree.fromstring(arch).xpath(
            "//button[@name='action_collection_send_reminder']"
        )
        names = [name for name in record._fields if name.startswith("collection_")]
        values = record.read(names)[0]
        values = {
            name: value[0] if isinstance(value, tuple) else value for name, value in values.items()
        }
        return not safe_eval(button.get("invisible"), values)
