from collections import defaultdict
from datetime import time

import pytz

from odoo import api, fields, models

from .collection_activity_note import ActivityNotes
from .sql_rows import insert_rows


def workers_domain(env, company):
    """The users _collection_workers keeps, as a field domain the web client evaluates:
    ``company`` is the expression of the company's id there. Invoicing rights imply the
    collection user group; a search leaves archived users out."""
    billing = env.ref("account.group_account_invoice").id
    return (
        f"[('share', '=', False), ('company_ids', 'in', {company}), ('groups_id', 'in', {billing})]"
    )


# Kind of the event written when a stage's activity is scheduled ("note" for the others).
ACTIVITY_EVENT_KIND = {"call": "call", "agency": "agency", "legal": "legal"}


def activity_kind(stage):
    return ACTIVITY_EVENT_KIND.get(stage.kind, "note")


class CollectionActivityScheduler(models.AbstractModel):
    """The activities of the collection run, and who gets them: the call, or a proposal for
    the firmer stages, on the customer; a "Reminder not emailed" activity when a reminder
    reached no one."""

    _name = "collection.activity.scheduler"
    _description = "Collection Activity Scheduler"

    def _collection_schedule_activities(
        self, partner_stage, moves_by_partner, targets, overdue, credit_parts, charges, today
    ):
        """One open activity per customer and kind of stage: the call, about all of its
        overdue invoices (the whole balance is asked for), or a proposal, about those that
        reached the stage proposed (``targets``: {invoice: its stage}); and never a second open
        call of the same type, whatever scheduled the first (a user, or another stage with
        that call). Returns the values of their events."""
        if not partner_stage:
            return []
        open_kinds = set()
        open_calls = set()  # (customer id, activity type id)
        activities = self.env["mail.activity"].search_fetch(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", [p.id for p in partner_stage]),
                # The company's collection activities, and phone calls that are no company's
                # collection (a call scheduled by hand): a second call would be one too many.
                "|",
                ("collection_company_id", "=", self.env.company.id),
                "&",
                ("collection_company_id", "=", False),
                ("activity_category", "=", "phonecall"),
            ],
            ["res_id", "collection_stage_id", "activity_type_id", "user_id"],
        )
        self._collection_hand_over_stranded(
            activities.filtered("collection_stage_id"), moves_by_partner
        )
        for activity in activities:
            if activity.collection_stage_id:
                open_kinds.add((activity.res_id, activity.collection_stage_id.kind))
            # Through the type: activity_category, a related field not stored, would be
            # computed activity by activity.
            if activity.activity_type_id.category == "phonecall":
                open_calls.add((activity.res_id, activity.activity_type_id.id))
        # Most customers have their stage's activity open already, day after day.
        waiting = {
            partner: stage
            for partner, stage in partner_stage.items()
            if (partner.id, stage.kind) not in open_kinds
        }
        if not waiting:
            return []
        todo = self.env.ref("mail.mail_activity_data_todo")
        recent_calls = self.env["collection.contact.rules"]._recent_calls(
            self.env["res.partner"].union(*waiting), fields.Datetime.now()
        )
        last_done = self._collection_last_activities(waiting)
        # The customers whose activity is due, and what it is.
        due = []
        for partner, stage in waiting.items():
            if self._collection_activity_done_lately(
                partner, stage, last_done, moves_by_partner[partner], today
            ):
                continue
            proposal = not stage.auto_execute
            activity_type = todo if proposal else stage.activity_type_id
            if not activity_type or (partner.id, activity_type.id) in open_calls:
                continue
            deadline = today
            if stage.kind == "call" and not proposal:
                deadline = self._collection_call_day(partner, today, recent_calls)
                if not deadline:
                    continue  # cease communication: no calls
            moves = moves_by_partner[partner]
            if proposal:
                moves = [move for move in moves if targets.get(move) == stage]
            due.append(
                (
                    partner,
                    stage,
                    proposal,
                    activity_type,
                    deadline,
                    self.env["account.move"].union(*moves),
                )
            )
        if not due:
            return []

        activity_vals, event_vals = [], []
        fallback = self._collection_default_responsible()
        notes = ActivityNotes(self.env)
        all_moves = self.env["account.move"].union(*(moves for *_rest, moves in due))
        # Salespeople of all the invoices at once, for _collection_responsible.
        all_moves.invoice_user_id.mapped("active")
        for partner, stage, proposal, activity_type, deadline, moves in due:
            lines = [
                (move.name, overdue[move][2], move.currency_id, (today - overdue[move][0]).days)
                for move in moves.sorted(lambda m: overdue[m][0])
            ]
            user = self._collection_responsible(partner, moves, fallback)
            contact = partner._collection_call_contact(moves)
            lang = user.lang
            stage_name = stage.with_context(lang=lang).name
            activity_vals.append(
                {
                    "res_id": partner.id,
                    "res_name": partner.display_name,
                    "activity_type_id": activity_type.id,
                    "summary": (
                        self.with_context(lang=lang).env._("Proposed: %(stage)s", stage=stage_name)
                        if proposal
                        else stage_name
                    ),
                    "note": notes.render(
                        lang,
                        stage,
                        proposal,
                        partner,
                        contact,
                        contact.phone or contact.mobile or partner.phone or partner.mobile,
                        lines,
                        self.env["collection.engine"]._collection_currency_totals(
                            moves, overdue, credit_parts[partner]
                        ),
                        [charges[move] for move in moves if move in charges],
                    ),
                    "user_id": user,
                    "date_deadline": deadline,
                    "collection_stage_id": stage.id,
                }
            )
            event_vals.append(
                dict(
                    self.env["collection.engine"]._collection_claim_vals(
                        partner,
                        activity_kind(stage),
                        moves,
                        overdue,
                        credit_parts[partner],
                        today,
                        stage,
                        charges,
                    ),
                    note=(
                        self.env._("Proposed to %(user)s.", user=user.name)
                        if proposal
                        else self.env._("Scheduled for %(user)s.", user=user.name)
                    ),
                )
            )
        activity_ids = self._collection_create_activities(activity_vals, today)
        for vals, activity_id in zip(event_vals, activity_ids, strict=True):
            vals["activity_id"] = activity_id
        return event_vals

    def _collection_hand_over_stranded(self, activities, moves_by_partner):
        """Give the stages' open ``activities`` whose assignee can no longer act on them (who
        left the company or lost invoicing rights, still active) to whom the run would give
        them now: else the customer waits for a call nobody may log, and the run schedules
        no other while it is open. The new assignees are told at the end of the run."""
        workers = self._collection_workers(activities.user_id)
        stranded = activities.filtered(lambda a: a.user_id not in workers)
        for user, handed in self._collection_reassignees(stranded, moves_by_partner).items():
            handed.sudo().with_context(mail_activity_quick_update=True).write(
                {"user_id": user.id, "collection_notify_pending": user != self.env.user or None}
            )

    def _collection_reassignees(self, activities, moves_by_partner):
        """{user: activities}: to whom the run would give ``activities``, the current
        company's collection activities on customers, today. ``moves_by_partner``: {customer:
        its invoices on the ladder}, whose salespeople come after its collection
        responsible."""
        by_user = defaultdict(lambda: self.env["mail.activity"])
        if not activities:
            return by_user
        fallback = self._collection_default_responsible()
        for activity in activities:
            partner = self.env["res.partner"].browse(activity.res_id)
            moves = self.env["account.move"].union(*moves_by_partner.get(partner, ()))
            by_user[self._collection_responsible(partner, moves, fallback)] |= activity
        return by_user

    def _collection_last_activities(self, partner_stage):
        """{(customer id, stage id): date of the last activity of that stage for the
        customer}, from the events of the activities the run scheduled."""
        return {
            (partner.id, stage.id): date
            for partner, stage, kind, date in self.env["collection.event"]._read_group(
                [
                    ("partner_id", "in", [partner.id for partner in partner_stage]),
                    ("stage_id", "in", list({stage.id for stage in partner_stage.values()})),
                    ("kind", "in", list(set(ACTIVITY_EVENT_KIND.values()) | {"note"})),
                    ("activity_cancelled", "=", False),
                ],
                ["partner_id", "stage_id", "kind"],
                ["date:max"],
            )
            if kind == activity_kind(stage)
        }

    @api.model
    def _collection_activity_done_lately(self, partner, stage, last_done, moves, today):
        """Whether the stage's activity for the customer's invoices on it was already
        scheduled: since they came to the stage, and less than its ``repeat_days`` ago (ever,
        when the stage acts once)."""
        last = last_done.get((partner.id, stage.id))
        if not last:
            return False
        on_stage_since = min(
            (move.collection_stage_date for move in moves if move.collection_stage_id == stage),
            default=None,
        )
        if on_stage_since and last < on_stage_since:
            return False  # an earlier time on the stage, for invoices since paid
        return not stage.repeat_days or (today - last).days < stage.repeat_days

    def _collection_create_activities(self, vals_list, today):
        """Create activities on customers in one INSERT, and do what mail.activity's create()
        does for them per responsible user: subscribe the user to the customers and refresh
        the user's activity counter. Returns the activities' ids."""
        if not vals_list:
            return []
        model_id = self.env["ir.model"]._get_id("res.partner")
        ids = insert_rows(
            self.env,
            "mail_activity",
            [
                dict(
                    vals,
                    user_id=vals["user_id"].id,
                    user_tz=vals["user_id"].tz or None,
                    res_model_id=model_id,
                    res_model="res.partner",
                    collection_company_id=self.env.company.id,
                    automated=False,
                    active=True,
                    # Told by _collection_notify_assigned, at the end of the run.
                    collection_notify_pending=vals["user_id"] != self.env.user or None,
                )
                for vals in vals_list
            ],
        )
        by_user = defaultdict(list)
        for vals in vals_list:
            by_user[vals["user_id"]].append(vals["res_id"])
        for user, partner_ids in by_user.items():
            self.env["res.partner"].browse(partner_ids).message_subscribe(
                partner_ids=user.partner_id.ids
            )
        users = self.env["res.users"].union(
            *(vals["user_id"] for vals in vals_list if vals["date_deadline"] <= today)
        )
        if users:
            users._bus_send("mail.activity/updated", {"activity_created": True})
        # The customers' activities (and what is computed from them) were read before.
        Partner = self.env["res.partner"]
        Partner.invalidate_model([name for name in Partner._fields if name.startswith("activity_")])
        return ids

    @api.model
    def _collection_call_day(self, partner, today, recent_calls):
        """The first day from ``today`` on which the contact rules allow calling the partner."""
        rules = self.env["collection.contact.rules"]
        tz = rules._partner_tz(partner)
        now = max(fields.Datetime.now(), rules._to_utc(tz, today, time(0)))
        when, _reason = rules._next_call(partner, now, recent_calls)
        return when and max(pytz.utc.localize(when).astimezone(tz).date(), today)

    @api.model
    def _collection_responsible(self, partner, moves, fallback):
        """The partner's collection responsible, else the salesperson, else ``fallback`` (the
        company's, see _collection_default_responsible): the first of them who works for the
        company."""
        return (
            self._collection_workers(partner.collection_responsible_id)
            or self._collection_workers(moves.invoice_user_id)[:1]
            or fallback
        )

    @api.model
    def _collection_default_responsible(self):
        """The company's default collection responsible, else the administrator, else one of
        its collection managers, else one of its collection users: the first of them who
        works for the company (the current user when nobody does)."""
        company = self.env.company
        collection_users = self.env.ref("account_collection_stages.group_collection_user")
        return (
            self._collection_workers(company.collection_default_user_id)
            or self._collection_workers(self.env.ref("base.user_admin", raise_if_not_found=False))
            or self._collection_workers(company._collection_manager())
            or self._collection_workers(collection_users.users.sorted("id"))[:1]
            or self.env.user
        )

    @api.model
    def _collection_workers(self, users):
        """Those of ``users`` who can act on the current company's invoices: active employees
        of the company who are collection users with invoicing rights (a salesperson without
        the first could neither log the call nor mark it done; the call dialog reads the
        customer's invoices). workers_domain offers the same users in the forms. Not those
        being archived (``collection_leaving_user_ids`` in the context)."""
        company = self.env.company
        leaving = self.env.context.get("collection_leaving_user_ids", ())
        return (users or self.env["res.users"]).filtered(
            lambda u: (
                u.active
                and u.id not in leaving
                and not u.share
                and company in u.company_ids
                and u.has_group("account_collection_stages.group_collection_user")
                and u.has_group("account.group_account_invoice")
            )
        )
