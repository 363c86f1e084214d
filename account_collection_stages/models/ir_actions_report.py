import functools
import subprocess

import lxml.html

from odoo import api, models

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin


@functools.cache
def wkhtmltopdf_has_patched_qt():
    """Whether wkhtmltopdf is a build with patched Qt, which renders several HTML documents
    in one run; Debian's build (unpatched Qt) renders one, and fails on several."""
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return False
    return "patched qt" in version.lower()


def merge_bodies(bodies):
    """One HTML document holding ``bodies`` (documents of the report layout, with the same
    head) one after the other, each from a new page."""
    document = lxml.html.document_fromstring(bodies[0])
    target = document.body
    for body in bodies[1:]:
        target.append(lxml.html.fragment_fromstring('<div style="page-break-before: always;"/>'))
        target.extend(lxml.html.document_fromstring(body).body)
    return lxml.html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _run_wkhtmltopdf(self, bodies, report_ref=False, header=None, footer=None, **kwargs):
        """With ``collection_one_run`` in the context, several documents are rendered by one
        wkhtmltopdf run even without patched Qt: as one document, each from a new page.
        Odoo then splits the PDF by page when each document took one page."""
        if (
            self.env.context.get("collection_one_run")
            and len(bodies) > 1
            and not wkhtmltopdf_has_patched_qt()
        ):
            bodies = [merge_bodies(bodies)]
        return super()._run_wkhtmltopdf(
            bodies, report_ref=report_ref, header=header, footer=footer, **kwargs
        )
