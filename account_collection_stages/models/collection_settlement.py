import logging

from odoo import SUPERUSER_ID, api, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import clean_context

from .collection_stage import Ladder
from .sql_rows import update_rows

_logger = logging.getLogger(__name__)

# precommit data: {invoice id: its company's day} of the invoices whose customers are to be
# settled at the end of the transaction, as of that day.
SETTLED_KEY = "account_collection_stages.settled_invoices"


class CollectionSettlement(models.AbstractModel):
    """What the day's work changes on the ladder shows when it is done, not at the next daily
    run: invoices paid leave the ladder (the payment or credit note that pays them matched, or
    the payment of their installments past due), and their customers' stage follows, as after
    invoices moved by hand or on by a call; the collection activities nothing calls for any
    more close. Nothing new is done then: no invoice is moved to another stage, no reminder
    sent, no activity scheduled; the daily run does that."""

    _name = "collection.settlement"
    _description = "Collection Settlement"

    @api.model
    def _collection_settle_later(self, invoices):
        """Settle the customers of ``invoices`` (_collection_settle) when the cursor's
        precommit hooks run: at the commit, or at a savepoint before it, once the work that
        changed them is complete (a reconciliation with its exchange difference entries and
        full reconcile, an import of many invoices); all of the transaction's at once."""
        if not invoices:
            return
        precommit = self.env.cr.precommit
        if SETTLED_KEY not in precommit.data:
            precommit.data[SETTLED_KEY] = {}
            # Not with the defaults of the form that did the work, as Odoo's tracking does;
            # nor as the public user of an online payment.
            settlement = self.with_context(clean_context(self.env.context))
            if self.env.user._is_public():
                settlement = settlement.with_user(SUPERUSER_ID)
            precommit.add(settlement._collection_settle_pending)
        for company, moves in invoices.grouped("company_id").items():
            today = company._collection_today()
            precommit.data[SETTLED_KEY].update(dict.fromkeys(moves.ids, today))

    def _collection_settle_pending(self):
        days = self.env.cr.precommit.data.pop(SETTLED_KEY, {})
        # Whatever companies the user works in at the moment.
        settlement = self.sudo()
        invoices = settlement.env["account.move"].browse(days).exists()
        for (company, today), moves in invoices.grouped(
            lambda move: (move.company_id, days[move.id])
        ).items():
            try:
                with self.env.cr.savepoint(flush=False):
                    settlement.with_company(company).with_context(
                        allowed_company_ids=company.ids, tz=company._collection_tz()
                    )._collection_settle(moves.commercial_partner_id, today)
                    # The commit that runs this flushes nothing after it.
                    self.env.flush_all()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise  # the whole transaction is tried again
            except Exception:
                # The work done stands all the same (a payment, say): the daily run brings
                # the ladder in line. Only what this wrote is pending: the commit flushed the
                # rest.
                self.env.clear()
                _logger.exception(
                    "Collection: bringing the ladder in line with the invoices %s of %s "
                    "failed; the daily run does it",
                    moves.ids,
                    company.name,
                )

    def _collection_settle(self, partners, today):
        """Take the customers' paid invoices off the current company's ladder, as the daily
        run would on ``today``, and bring the customers in line with the invoices left on it
        (_collection_align)."""
        # Their figures of this company, whatever environment they come in.
        partners = partners.with_env(self.env)
        engine = self.env["collection.engine"]
        writes = {}
        overdue = engine._collection_overdue(engine._collection_line_domain(today, partners))
        if event_vals := engine._collection_release_paid(partners, today, writes, overdue):
            engine._collection_write_moves(writes)
            self.env["collection.event"]._collection_record(event_vals)
        self._collection_align(partners, today, overdue)

    def _collection_align(self, partners, today, overdue):
        """Bring the customers' stage and collection activities in line with their invoices
        on the current company's ladder, after some left it or moved by hand: the customer's
        stage as the run would make it today, the firmest of the stages the invoices it chases
        go on (those that reached a later stage since the last run included), the credits not
        paying them; and the activities nothing calls for any more closed. A customer whose
        invoices the day's run has not moved on yet keeps the activity of the stage they
        reach. ``overdue``: the customers' invoices chased today (_collection_overdue)."""
        engine = self.env["collection.engine"]
        ladder = Ladder(
            self.env["collection.stage"].search([("company_id", "=", self.env.company.id)])
        )
        credits = engine._collection_credits(partners, today)
        _moves, by_hand, moves_by_partner = engine._collection_read_overdue(overdue, today)
        chased = {}
        for partner, moves in moves_by_partner.items():
            parts = credits[partner].split(moves, overdue)
            placed = engine._collection_placed(moves, overdue, parts, by_hand, ladder, today)
            if stages := [stage for _move, _current, stage, _days, _amount in placed if stage]:
                chased[partner] = max(stages, key=ladder.key)
        writes = {}
        engine._collection_stage_writes(
            partners, engine._collection_customer_stages(partners, today, ladder, chased), writes
        )
        update_rows(self.env["res.partner"], writes)
        engine._collection_close_stale_activities(partners, chased, ladder, today)
