"""What the customer receives: real emails over SMTP, in their language, with the invoices
attached, and invoice PDFs that say OVERDUE."""

import asyncio
import email
import io
import socket
from datetime import timedelta
from email import policy
from unittest.mock import patch

from aiosmtpd.controller import Controller

import odoo
from odoo.tests import freeze_time, tagged
from odoo.tools.pdf import PdfFileReader

from .common import DAY0, MODULE, CollectionCase


class SmtpSink:
    """A local SMTP server that keeps what it receives."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.rcpt_tos, message))
        return "250 Message accepted"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("standard", "post_install", "-at_install")
class TestCollectionMail(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("es_ES", "it_IT"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms([MODULE], ["es_ES", "it_IT"], overwrite=True)
        cls.env.company.email = "billing@company.example.com"

    def _html_of(self, move, **context):
        report = self.env["ir.actions.report"].with_context(**context)
        return report._render_qweb_html("account.account_invoices", move.ids)[0].decode()

    def test_invoice_pdf_says_overdue(self):
        overdue = self._invoice(self.customer, 10)
        not_due = self._invoice(self.customer, -10)
        paid = self._invoice(self.customer, 20)
        self._pay(paid, day=DAY0 - timedelta(days=1))
        with freeze_time(DAY0):
            self.assertIn("OVERDUE", self._html_of(overdue))
            self.assertRegex(self._html_of(overdue), r">10</span> days ago")
            self.assertNotIn("OVERDUE", self._html_of(not_due))
            self.assertNotIn("OVERDUE", self._html_of(paid))
        spanish = self._customer("Muebles Ibéricos", lang="es_ES")
        with freeze_time(DAY0):
            html = self._html_of(self._invoice(spanish, 5))
        self.assertIn("VENCIDA", html)
        # The sentence is translated whole: Spanish says "hace 5 días", the number inside.
        self.assertRegex(html, r"\(hace <span[^>]*>5</span> días\)")

    def test_the_invoice_kept_as_sent_has_no_banner(self):
        """Odoo keeps the PDF of an invoice's first sending and gives it again, to the portal
        and the download, long after: it does not say OVERDUE, which would stay once paid.
        The invoice printed on a day it is overdue says so."""
        late = self._invoice(self.customer, 10)
        with freeze_time(DAY0):
            late._generate_and_send(allow_fallback_pdf=False)
            self.assertIn("OVERDUE", self._html_of(late))
        self.assertTrue(late.invoice_pdf_report_id)
        self.assertNotIn("OVERDUE", late.invoice_pdf_report_id.raw.decode())

    def test_reminder_mailed_past_midnight_states_its_own_day(self):
        """A run that goes on past midnight mails what it decided the day before: the email's
        lines and the PDF count the days overdue on the reminder's day, as its totals do."""
        self._invoice(self.customer, 10)
        send = type(self.env["collection.reminder"])._collection_send_reminders

        def past_midnight(reminder, events):
            with freeze_time(DAY0 + timedelta(days=1)):
                return send(reminder, events)

        reminder = "odoo.addons.account_collection_stages.models.collection_reminder"
        with patch(f"{reminder}.CollectionReminder._collection_send_reminders", past_midnight):
            self.run_engine()
        reminder = self.reminders(self.customer)
        self.assertEqual(reminder.date, DAY0)
        self.assertIn(">10</td>", str(reminder.mail_message_id.body))
        pdf = reminder.mail_message_id.attachment_ids.raw.decode()
        self.assertRegex(pdf, r">10</span> days ago")

    def test_a_past_reminder_previews_once_an_invoice_is_paid(self):
        """Previewing the reminder template on an earlier reminder, one of its invoices paid
        since, lists both: the paid one has no overdue day left to sort it by."""
        paid = self._invoice(self.customer, 10)
        other = self._invoice(self.customer, 12)
        self.run_engine()
        reminder = self.reminders(self.customer)
        self._pay(paid, day=DAY0 + timedelta(days=1))
        template = self.env.ref(f"{MODULE}.mail_template_collection_reminder")
        with freeze_time(DAY0 + timedelta(days=2)):
            self.env.invalidate_all()
            body = template._render_field("body_html", reminder.ids)[reminder.id]
        self.assertIn(paid.name, body)
        self.assertIn(other.name, body)

    def test_a_reminder_listing_part_of_the_overdue_invoices_states_the_balance(self):
        """Each invoice is reminded every 30 days from its own last reminder: a customer
        whose invoices fell due on different days gets emails that list part of them, and
        each says what all of them come to."""
        self._invoice(self.customer, 3)
        self.run_engine()
        first = self.reminders(self.customer)
        self.assertNotIn("your balance past due", str(first.mail_message_id.body))
        later = self._invoice(self.customer, -5, amount=500.0)  # due in 5 days
        self.run_engine(DAY0 + timedelta(days=6))
        reminder = self.reminders(self.customer).filtered(lambda r: r.date != DAY0)
        self.assertEqual(reminder.move_ids, later)
        body = str(reminder.mail_message_id.body)
        self.assertIn("With your other overdue invoices, your balance past due comes to", body)
        self.assertIn("1,500.00", body)
        # In the customer's language.
        self.customer.lang = "es_ES"
        with freeze_time(DAY0 + timedelta(days=7)):
            later.action_collection_send_reminder()
        spanish = self.reminders(self.customer).sorted("id")[-1]
        self.assertEqual(spanish.move_ids, later)
        self.assertIn("su saldo vencido asciende a", str(spanish.mail_message_id.body))

    def test_reminder_in_the_customer_language(self):
        customers = {
            "en_US": (
                self._customer("Gemini Furniture", lang="en_US"),
                "OVERDUE invoices",
                "OVERDUE",
                "overdue reminder",
            ),
            "es_ES": (
                self._customer("Muebles Ibéricos", lang="es_ES"),
                "facturas VENCIDAS",
                "VENCIDA",
                "recordatorio de pago",
            ),
            "it_IT": (
                self._customer("Arredamenti Roma", lang="it_IT"),
                "fatture SCADUTE",
                "SCADUTA",
                "sollecito di pagamento",
            ),
        }
        for partner, *_texts in customers.values():
            self._invoice(partner, 5)
        self.run_engine()
        for lang, (partner, subject, banner, file_name) in customers.items():
            with self.subTest(lang=lang):
                message = self.reminders(partner).mail_message_id
                self.assertIn(subject, message.subject)
                attachment = message.attachment_ids
                self.assertEqual(len(attachment), 1)
                self.assertIn(banner, attachment.raw.decode())
                self.assertIn(file_name, attachment.name)
        self.assertIn("Estimado", str(self.reminders(customers["es_ES"][0]).mail_message_id.body))
        self.assertIn("Gentile", str(self.reminders(customers["it_IT"][0]).mail_message_id.body))

    def test_reminder_is_firmer_past_the_reminder_stage(self):
        """From the call stage on, the reminder asks to pay without further delay, or to agree
        on how, where the first ones ask for payment at the customer's earliest convenience."""
        self._invoice(self.customer, 5)
        late = self._customer("Deco Addict")
        self._invoice(late, 35)
        self.run_engine()
        first = str(self.reminders(self.customer).mail_message_id.body)
        self.assertIn("earliest convenience", first)
        self.assertNotIn("without further delay", first)
        firmer = str(self.reminders(late).mail_message_id.body)
        self.assertIn("without further delay", firmer)
        self.assertNotIn("earliest convenience", firmer)

    def test_the_reminder_template_gives_sender_reply_to_and_files(self):
        """What an accountant sets on the reminder's template, beyond its subject and body, is
        in the email as Odoo's own sending would put it."""
        template = self.stage["reminder"].mail_template_id
        terms = self._template_file(template)
        server = self.env["ir.mail_server"].create(
            {"name": "Collections", "smtp_host": "localhost"}
        )
        template.write(
            {
                "email_from": "Collections <ar@{{ object.company_id.email.split('@')[1] }}>",
                "reply_to": "ar@company.example.com",
                "mail_server_id": server.id,
            }
        )
        self._invoice(self.customer, 3)
        self.run_engine()
        mail = self.queued_mails(self.customer)
        self.assertEqual(mail.email_from, "Collections <ar@company.example.com>")
        self.assertEqual(mail.reply_to, "ar@company.example.com")
        self.assertEqual(mail.mail_server_id, server)
        self.assertEqual(len(mail.attachment_ids), 2)
        self.assertIn("Terms.pdf", mail.attachment_ids.mapped("name"))
        # A copy: the template keeps its own file.
        self.assertEqual(template.attachment_ids, terms)
        self.assertEqual((terms.res_model, terms.res_id), ("mail.template", template.id))

    def test_reminders_are_delivered_over_smtp(self):
        sink = SmtpSink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        self.addCleanup(controller.stop)
        self.env["ir.mail_server"].create(
            {
                "name": "Local test SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_encryption": "none",
                "sequence": 1,
            }
        )
        billing = self.env["res.partner"].create(
            {
                "name": "Accounts payable",
                "type": "invoice",
                "email": "ap@azure.example.com",
                "parent_id": self.customer.id,
            }
        )
        moves = self._invoice(self.customer, 3) | self._invoice(self.customer, 40, amount=250.0)
        with freeze_time(DAY0):
            # A real PDF this time, as in production, instead of the test HTML rendering.
            self.env["collection.engine"].with_context(
                force_report_rendering=True
            )._cron_collection_run()
        mails = self.queued_mails(self.customer)
        self.assertEqual(len(mails), 1)
        with patch.object(odoo.modules.module, "current_test", None):
            mails.send(raise_exception=True)
        for _ in range(50):
            if sink.received:
                break
            asyncio.run(asyncio.sleep(0.1))
        self.assertEqual(len(sink.received), 1)
        rcpt_tos, message = sink.received[0]
        self.assertEqual(rcpt_tos, [billing.email])
        self.assertIn("OVERDUE invoices", message["Subject"])
        self.assertIn("billing@company.example.com", message["From"])
        body = message.get_body(("html",)).get_content()
        for move in moves:
            self.assertIn(move.name, body)
        self.assertIn("1,250.00", body)
        attachments = {part.get_filename(): part for part in message.iter_attachments()}
        self.assertEqual(len(attachments), 2)
        # Both invoices were rendered by one wkhtmltopdf run: each file is its own invoice.
        for move in moves:
            stem = move._get_invoice_report_filename().removesuffix(".pdf")
            name = f"{stem} - overdue reminder {DAY0}.pdf"
            self.assertIn(name, attachments)
            pdf = PdfFileReader(io.BytesIO(attachments[name].get_content()))
            text = " ".join(page.extract_text() for page in pdf.pages)
            self.assertIn(move.name, text)
            self.assertIn("OVERDUE", text)
            self.assertNotIn((moves - move).name, text)

    def test_invoice_pdfs_rendered_together_keep_apart(self):
        short = self._invoice(self.customer, 10)
        long = self.init_invoice(
            "out_invoice",
            partner=self.customer,
            invoice_date=DAY0 - timedelta(days=10),
            amounts=[10.0] * 60,
            taxes=[],
            post=True,
        )
        other = self._invoice(self.customer, 12)
        moves = short | long | other
        with freeze_time(DAY0):
            documents = (
                self.env["collection.reminder"]
                .with_context(force_report_rendering=True)
                ._collection_invoice_documents(moves)
            )
        pages = {}
        for move in moves:
            name, content, mimetype = documents[move.id]
            self.assertEqual(name, move._get_invoice_report_filename())
            self.assertEqual(mimetype, "application/pdf")
            pdf = PdfFileReader(io.BytesIO(content))
            text = " ".join(page.extract_text() for page in pdf.pages)
            self.assertIn(move.name, text)
            for neighbour in moves - move:
                self.assertNotIn(neighbour.name, text)
            pages[move] = len(pdf.pages)
        # The 60-line invoice takes several pages: it is not cut into the others' PDFs.
        self.assertGreater(pages[long], 1)
        self.assertEqual(pages[short], 1)
        self.assertEqual(pages[other], 1)

    def test_call_note_in_the_responsible_language(self):
        accountant = self.env["res.users"].create(
            {"name": "Lucía", "login": "lucia", "lang": "es_ES", "email": "lucia@example.com"}
        )
        self.customer.collection_responsible_id = accountant
        self._invoice(self.customer, 35, amount=1234.5)
        self.run_engine()
        activity = self.collection_activities(self.customer)
        self.assertEqual(activity.user_id, accountant)
        self.assertEqual(
            activity.summary, activity.collection_stage_id.with_context(lang="es_ES").name
        )
        note = str(activity.note)
        self.assertIn("Sea firme, profesional y cortés.", note)
        self.assertIn("1.234,50", note)
        self.assertIn("días de retraso", note)
        # The responsible follows the customer, as with any activity assigned in Odoo.
        self.assertIn(accountant.partner_id, self.customer.message_partner_ids)
