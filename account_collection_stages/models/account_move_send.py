from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _prepare_invoice_pdf_report(self, invoices_data):
        """The PDF of an invoice's first sending is kept and given again, by the portal and
        the download, long after: it leaves out the OVERDUE banner, which would stay once the
        invoice is paid (see report/account_invoice_report.xml)."""
        return super(
            AccountMoveSend, self.with_context(collection_kept_document=True)
        )._prepare_invoice_pdf_report(invoices_data)
