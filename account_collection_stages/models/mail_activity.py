import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Activities listed in one notification, at most; the others are counted.
NOTIFY_LIST_LIMIT = 100


class MailActivity(models.Model):
    _inherit = "mail.activity"

    collection_stage_id = fields.Many2one(
        "collection.stage",
        string="Collection stage",
        index="btree_not_null",
        ondelete="set null",
        help="Stage of the collection ladder that scheduled this activity.",
    )
    collection_company_id = fields.Many2one(
        "res.company",
        string="Collection company",
        compute="_compute_collection_company_id",
        store=True,
        readonly=True,
        help="Company whose collection scheduled this activity (a stage's, or the daily run's): "
        "activities have no company of their own, and a customer may be collected by several.",
    )
    collection_is_call = fields.Boolean(
        string="Is a collection call",
        compute="_compute_collection_is_call",
        help="A phone call the collection scheduled: it is done by logging it (Log call), "
        "which records the outcome, not by marking it done.",
    )
    collection_notify_pending = fields.Boolean(
        string="Assignment not notified yet",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Scheduled by the daily collection run for someone else, who has not been told "
        "yet (True, else empty).",
    )

    @api.depends("collection_stage_id")
    def _compute_collection_company_id(self):
        """A stage's activity is its company's; the others keep the company they were given
        (see create())."""
        for activity in self:
            activity.collection_company_id = (
                activity.collection_stage_id.company_id or activity.collection_company_id
            )

    @api.depends("collection_company_id", "activity_category")
    def _compute_collection_is_call(self):
        for activity in self:
            activity.collection_is_call = bool(activity.collection_company_id) and (
                activity.activity_category == "phonecall"
            )

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        activities._collection_set_call_company()
        return activities

    def write(self, vals):
        result = super().write(vals)
        if "activity_type_id" in vals:
            self._collection_set_call_company()
        return result

    def _check_access(self, operation):
        """Odoo lets whoever may edit an activity's document edit or delete the activity,
        whatever the record rules: not one they may not read, such as another company's
        collection activity (collection_activity_rule_company)."""
        result = super()._check_access(operation)
        if operation not in ("write", "unlink") or not self._ids:
            return result
        hidden = self - self._filtered_access("read")
        if result:
            hidden -= result[0]
        if not hidden:
            return result
        forbidden = result[0] + hidden if result else hidden
        return forbidden, lambda: forbidden._make_access_error(operation)

    def _collection_set_call_company(self):
        """A Collection call on a customer that no stage scheduled (scheduled by hand) is a
        call of the company it is scheduled in, like those of the daily run and the call
        dialog, which give their company (as does a reminder to send by post). Not one
        scheduled by a user who could not log it (a salesperson): it stays an activity of
        theirs, which they mark done."""
        call_type = self.env.ref(
            "account_collection_stages.mail_activity_type_collection_call",
            raise_if_not_found=False,
        )
        by_hand = self.filtered(
            lambda a: (
                a.activity_type_id == call_type
                and a.res_model == "res.partner"
                and not a.collection_company_id
            )
        )
        scheduler = self.env["collection.activity.scheduler"]
        if by_hand and (self.env.su or scheduler._collection_workers(self.env.user)):
            by_hand.sudo().collection_company_id = self.env.company

    @api.model
    def _collection_hand_over(self, users):
        """Give the open collection activities of ``users``, who leave, to whom the daily run
        would give them without them: Odoo deletes an archived user's activities, and the
        run, which scheduled them lately, would not schedule them again before the stage's
        repeat days (a call the customer then never gets, once its invoices move on)."""
        activities = self.sudo().search(
            [
                ("user_id", "in", users.ids),
                ("res_model", "=", "res.partner"),
                ("collection_company_id", "!=", False),
            ]
        )
        for company, group in activities.grouped("collection_company_id").items():
            scheduler = (
                self.env["collection.activity.scheduler"]
                .sudo()
                .with_company(company)
                .with_context(collection_leaving_user_ids=users.ids)
            )
            invoices = scheduler.env["account.move"].search(
                [
                    ("company_id", "=", company.id),
                    ("commercial_partner_id", "in", group.mapped("res_id")),
                    ("collection_stage_id", "!=", False),
                ]
            )
            reassignees = scheduler._collection_reassignees(
                group, invoices.grouped("commercial_partner_id")
            )
            for user, handed in reassignees.items():
                handed.user_id = user

    def action_collection_log_call(self):
        self.ensure_one()
        self.env["collection.event"]._collection_check_user(
            self.env._("Only collection users log collection calls.")
        )
        self._collection_check_call()
        partner = self.env["res.partner"].browse(self.res_id)
        return self.env["collection.call.wizard"]._open_for(
            partner.commercial_partner_id, activity=self
        )

    def _action_done(self, feedback=False, attachment_ids=None):
        """A collection call is done by logging it (Log call): the call's outcome is recorded
        and counts under the contact rules. Marking it done otherwise would leave no trace of
        the call; the collection's own steps close calls with ``collection_closing``."""
        if not self.env.context.get("collection_closing"):
            calls = self.filtered("collection_is_call")
            if calls:
                raise UserError(
                    self.env._(
                        "%(activity)s is a collection call: log it with Log call, which records "
                        "what the customer said and counts the call under the contact rules.",
                        activity=calls[0].display_name,
                    )
                )
        # The message saying a collection activity is done, its note (amounts, invoices)
        # included, is its company's (mail.message's collection_company_id). Odoo posts one
        # message per activity, in the order of _classify_by_model().
        companies = [
            activity.collection_company_id
            for data in self._classify_by_model().values()
            for activity in data["activities"]
        ]
        messages, next_activities = super()._action_done(
            feedback=feedback, attachment_ids=attachment_ids
        )
        if any(companies) and len(companies) == len(messages):
            for message, company in zip(messages, companies, strict=True):
                if company:
                    message.sudo().collection_company_id = company
        return messages, next_activities

    def _collection_check_call(self, partner=None, company=None):
        """Refuse to log this activity as a collection call unless it is one: a collection
        activity on a customer (``partner``'s, of ``company``, when given)."""
        customer = (
            self.env["res.partner"].browse(self.res_id).commercial_partner_id
            if self.res_model == "res.partner"
            else None
        )
        if (
            not customer
            or not self.collection_is_call
            or (partner is not None and customer != partner.commercial_partner_id)
            or (company is not None and self.collection_company_id != company)
        ):
            raise UserError(
                self.env._(
                    "%(activity)s is not a collection call of this customer: log the call from "
                    "the customer or its invoices instead.",
                    activity=self.display_name,
                )
            )

    def action_collection_open_customer(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.res_id,
            "views": [(False, "form")],
            "view_mode": "form",
        }

    @api.model
    def _collection_notify_assigned(self):
        """Tell each user about the activities the daily collection run assigned to them and
        they have not been told of: one notification per user (in the inbox or by email, as
        the user chose), where mail.activity's create() sends one per activity.

        The notifications are queued in the current transaction, with the activities marked
        as told: a run that dies before its commit tells nobody, the next one tells everyone."""
        self.env.flush_all()
        pending = (
            self.sudo()
            .with_context(active_test=False)
            .search([("collection_notify_pending", "=", True)], order="user_id, date_deadline, id")
        )
        if not pending:
            return
        told = pending
        for user, activities in pending.filtered("active").grouped("user_id").items():
            try:
                with self.env.cr.savepoint():
                    activities.with_context(lang=user.lang or None)._collection_notify(user)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise  # a concurrent update: told again a minute later (see _collection_run)
            except Exception:
                # One user's notification (a broken translation, say) stops no one else's,
                # nor the run. Its activities stay marked: the next run tells of them again.
                _logger.exception(
                    "Collection run: could not tell %s (id %s) of %s activities; "
                    "the next run tries again",
                    user.name,
                    user.id,
                    len(activities),
                )
                told -= activities
        if told:
            self.env.cr.execute(
                SQL(
                    "UPDATE mail_activity SET collection_notify_pending = NULL WHERE id IN %s",
                    tuple(told.ids),
                )
            )
            told.invalidate_recordset(["collection_notify_pending"])

    def _collection_notify(self, user):
        """Notify ``user`` of these activities, all assigned to them, in one message."""
        env = self.env
        shown = self[:NOTIFY_LIST_LIMIT]
        base_url = user.get_base_url()
        Thread = env["mail.thread"]
        links = {
            activity: base_url
            + Thread._notify_get_action_link(
                "view", model=activity.res_model, res_id=activity.res_id
            )
            for activity in shown
        }
        body = env["ir.qweb"]._render(
            "account_collection_stages.message_collection_activities_assigned",
            {
                "activities": shown,
                "links": links,
                "more": len(self) > len(shown)
                and env._(
                    "And %(count)s more, listed in your activities.", count=len(self) - len(shown)
                ),
            },
            minimal_qcontext=True,
        )
        Thread.message_notify(
            partner_ids=user.partner_id.ids,
            body=body,
            subject=env._("Collection activities assigned to you (%(count)s)", count=len(self)),
            email_layout_xmlid="mail.mail_notification_layout",
        )
