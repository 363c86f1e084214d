from collections import defaultdict

from odoo import api, models

from .collection_stage import Ladder
from .sql_rows import update_rows

# precommit data: {invoice id: its company's day} of the invoices on a stage that payments or
# credit notes were matched with in the transaction, on that day.
SETTLED_KEY = "account_collection_stages.settled_invoices"


class CollectionSettlement(models.AbstractModel):
    """What a payment settles leaves the ladder when the payment is matched, not at the next
    daily run: the invoices it pays (or the credit note that reverses them, or the payment of
    their installments past due), their customer's stage, and the collection activities
    nothing calls for any more. Nothing new is decided then: no stage is reached, no reminder
    sent, no call scheduled; the daily run does that."""

    _name = "collection.settlement"
    _description = "Collection Settlement"

    @api.model
    def _collection_settle_later(self, invoices):
        """Settle ``invoices`` once the transaction is about to be committed: the
        reconciliation that pays them is then complete (its exchange difference entries, its
        full reconcile), and a statement of many payments is settled at once."""
        invoices = invoices.filtered("collection_stage_id")
        if not invoices:
            return
        precommit = self.env.cr.precommit
        if SETTLED_KEY not in precommit.data:
            precommit.data[SETTLED_KEY] = {}
            precommit.add(self._collection_settle_pending)
        for company, moves in invoices.grouped("company_id").items():
            precommit.data[SETTLED_KEY].update(
                dict.fromkeys(moves.ids, company._collection_today())
            )

    def _collection_settle_pending(self):
        days = self.env.cr.precommit.data.pop(SETTLED_KEY, {})
        # Whatever companies the user who matched the payments works in at the moment.
        settlement = self.sudo()
        invoices = settlement.env["account.move"].browse(days).exists()
        for (company, today), moves in invoices.grouped(
            lambda move: (move.company_id, days[move.id])
        ).items():
            settlement.with_company(company).with_context(
                allowed_company_ids=company.ids, tz=company._collection_tz()
            )._collection_settle(moves.commercial_partner_id, today)
        # The commit that runs this flushes nothing after it.
        self.env.flush_all()

    def _collection_settle(self, partners, today):
        """Take the customers' paid invoices off the current company's ladder, as the daily
        run would on ``today``, and bring the customers' stage and collection activities in
        line with the invoices left on it."""
        engine = self.env["collection.engine"]
        writes = {}
        overdue = engine._collection_overdue(engine._collection_line_domain(today, partners))
        event_vals = engine._collection_release_paid(partners, today, writes, overdue)
        if not event_vals:
            return
        engine._collection_write_moves(writes)
        self.env["collection.event"]._collection_record(event_vals)

        # The customers' stage, from the stages their invoices are on (the daily run places
        # them): as in the run, the firmest among those chased, the credits not paying them.
        ladder = Ladder(
            self.env["collection.stage"].search([("company_id", "=", self.env.company.id)])
        )
        credits = engine._collection_credits(partners, today)
        moves_by_partner = defaultdict(list)
        for move in overdue:
            moves_by_partner[move.commercial_partner_id].append(move)
        chased = {}
        for partner, moves in moves_by_partner.items():
            parts = credits[partner].split(moves, overdue)
            stages = [
                move.collection_stage_id
                for move in engine._collection_owed(moves, overdue, parts)
                if move.collection_stage_id
            ]
            if stages:
                chased[partner] = max(stages, key=ladder.key)
        shown = engine._collection_customer_stages(partners, today, ladder, chased)
        no_stage = self.env["collection.stage"]
        update_rows(
            self.env["res.partner"],
            {
                partner: {"collection_stage_id": shown.get(partner, no_stage).id or False}
                for partner in partners
                if partner.collection_stage_id != shown.get(partner, no_stage)
            },
        )
        engine._collection_close_stale_activities(partners, chased, ladder, today)
