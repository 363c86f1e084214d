from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class CollectionPause(models.TransientModel):
    """Takes invoices or customers out of collection: excluded for good (with a reason), or on
    hold until a date."""

    _name = "collection.pause"
    _description = "Pause Collection"

    mode = fields.Selection(
        [("exclude", "Exclude from collection"), ("hold", "Hold until")],
        required=True,
        default="exclude",
    )
    move_ids = fields.Many2many("account.move", string="Invoices")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    reason = fields.Char()
    hold_until = fields.Date(string="Hold until")

    @api.model
    def _open_for(self, records, mode):
        self._check_collection_user()
        field = "move_ids" if records._name == "account.move" else "partner_ids"
        if mode == "hold" and field != "move_ids":
            raise UserError(self.env._("Only invoices can be put on hold."))
        wizard = self.create({"mode": mode, field: [fields.Command.set(records.ids)]})
        return {
            "type": "ir.actions.act_window",
            "name": dict(self._fields["mode"]._description_selection(self.env))[mode],
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        self._check_collection_user()
        if self.mode == "exclude":
            reason = (self.reason or "").strip()
            if not reason:
                raise UserError(self.env._("Say why these are excluded from collection."))
            vals = {"collection_excluded": True, "collection_exclusion_reason": reason}
            # Customers as superuser: a collection user need not be allowed to edit contacts.
            (self.move_ids or self.partner_ids.sudo()).write(vals)
            note = self.env._("Excluded from collection: %(reason)s", reason=reason)
        else:
            # Each invoice's company's day: the daily run's.
            today = max(
                (company._collection_today() for company in self.move_ids.company_id),
                default=self.env.company._collection_today(),
            )
            if not self.hold_until or self.hold_until <= today:
                raise UserError(self.env._("The hold must end on a day after today."))
            self.move_ids.write({"collection_hold_until": self.hold_until})
            note = self.env._("On hold until %(date)s", date=format_date(self.env, self.hold_until))
        self._log_on_customers(note)
        return {"type": "ir.actions.act_window_close"}

    def _log_on_customers(self, note):
        """A note event per customer and company: on the chosen invoices, or, for customers
        (excluded in every company), on their overdue invoices of every company (see
        res.partner's _collection_log_note)."""
        if self.move_ids:
            return self.env["collection.event"]._collection_log_action(
                "note", note, moves=self.move_ids
            )
        return self.partner_ids._collection_log_note(note)

    @api.model
    def _check_collection_user(self):
        """Excluding, holding and resuming are for collection users."""
        self.env["collection.event"]._collection_check_user(
            self.env._("Only collection users can exclude from collection, put on hold or resume.")
        )
