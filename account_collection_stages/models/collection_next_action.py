"""When each invoice on the collection ladder gets its next collection action: its next
overdue reminder, or the day it reaches a later stage, whichever comes first."""

from datetime import timedelta

from odoo import api, models

from .collection_stage import Ladder


class CollectionNextAction(models.AbstractModel):
    _name = "collection.next.action"
    _description = "Collection Next Action"

    @api.model
    def _collection_plan_next_actions(self, targets, placed, ladder, today, writes, force=False):
        """Date the next collection action of the invoices (``{move: stage}``, ``placed``:
        {move: (days, amount)} that place them) that changed stage, got a reminder, or whose
        next action is due or not dated (on a stage with a later one or an email): their next
        overdue reminder, or the day they reach a later stage, whichever comes first (none
        when neither is planned: on the last stage, with no email, say); with ``force``, of
        all of them. The values are added to ``writes``."""
        # Read from the cache in one go: most invoices keep their date, and the run goes
        # through all of them every day.
        moves = self.env["account.move"].browse([move.id for move in targets])
        plans = dict(zip(targets, moves.mapped("collection_next_action_date"), strict=True))
        for move, stage in targets.items():
            vals = writes.get(move, {})
            planned = plans[move]
            if not force and not (
                "collection_stage_id" in vals
                or "collection_last_reminder_date" in vals
                or (planned and planned <= today)
                or (not planned and stage and (ladder.has_later(stage) or ladder.mails(stage)))
            ):
                continue
            days, amount = placed[move]
            dates = []
            if (
                stage
                and ladder.mails(stage)
                and not move.commercial_partner_id.collection_no_contact
            ):
                dates.append(
                    self.env["collection.engine"]._collection_reminder_day(move, stage, today, vals)
                )
            if stage and (later := ladder.after(stage, amount)):
                dates.append(today + timedelta(days=max(later.min_days_overdue - days, 1)))
            following = min(filter(None, dates), default=False)
            if following != planned or vals:
                writes.setdefault(move, vals)["collection_next_action_date"] = following

    @api.model
    def _collection_replan(self, moves, today, writes):
        """_collection_plan_next_actions for invoices of the current company acted on outside
        the run's placing (a reminder sent now, a stage set by hand, an escalation), as they
        stand on ``today``."""
        engine = self.env["collection.engine"]
        overdue = engine._collection_past_due(moves, today)
        moves = moves.browse([move.id for move in overdue])
        by_hand = engine._collection_days_by_hand(moves, today)
        placed = {}
        for move, (due, amount, _amount_currency) in overdue.items():
            days = (today - due).days
            placed[move] = min(days, by_hand.get(move, days)), amount
        ladder = Ladder(
            self.env["collection.stage"].search([("company_id", "in", moves.company_id.ids)])
        )
        targets = {move: move.collection_stage_id for move in moves}
        self._collection_plan_next_actions(targets, placed, ladder, today, writes, force=True)
