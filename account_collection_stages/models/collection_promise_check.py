from collections import defaultdict
from datetime import timedelta

from odoo import api, models

from .account_move import PAID_STATES, payment_line_domain


class CollectionPromiseCheck(models.AbstractModel):
    """The collection run's check of the promises to pay whose date and grace have passed:
    kept, superseded or broken, and what follows when broken."""

    _name = "collection.promise.check"
    _description = "Collection Promise Check"

    def _collection_check_promises(self, partners, today):
        """Judge the promises whose date and grace have passed (see _collection_promise_state):
        for a broken one, the customer's broken promises go up and the invoices still to
        chase move on to the next stage."""
        grace = timedelta(days=self.env.company.collection_promise_grace_days)
        promises = self.env["collection.event"].search(
            [
                ("company_id", "=", self.env.company.id),
                ("partner_id", "in", partners.ids),
                ("kind", "=", "promise"),
                ("promise_state", "=", "open"),
                ("promise_date", "<", today - grace),
            ]
        )
        received, counted = self._collection_received_since(promises)
        for state, group in promises.grouped(
            lambda p: self._collection_promise_state(p, received.get(p, 0.0))
        ).items():
            group.sudo().promise_state = state
        # What they counted of payments not matched yet is not counted again.
        self.env["collection.promise.payment"].sudo().create(
            [vals for promise in promises for vals in counted[promise]]
        )
        broken = promises.filtered(lambda p: p.promise_state == "broken")
        if not broken:
            return
        for partner, group in broken.grouped("partner_id").items():
            partner.collection_broken_promises += len(group)
        engine = self.env["collection.engine"]
        engine._collection_escalate(engine._collection_moving_on(broken.move_ids, today), today)
        # What is past due of the invoices, as the other events of the run record.
        overdue = engine._collection_past_due(broken.move_ids, today)
        self.env["collection.event"]._collection_record(
            [
                dict(
                    engine._collection_event_vals(
                        promise.partner_id,
                        "promise",
                        promise.move_ids,
                        today,
                        amount=sum(overdue[m][1] for m in promise.move_ids if m in overdue),
                    ),
                    promise_date=promise.promise_date,
                    promise_amount=promise.promise_amount,
                    # The promise itself says it was broken: one state per promise.
                    note=self.env._("Promise to pay broken."),
                )
                for promise in broken
            ]
        )

    def _collection_received_since(self, promises):
        """What the customers paid since each promise was made and nobody matched with an
        invoice yet, that the promise counts, in company currency: ``({promise: amount},
        {promise: values of the collection.promise.payment that record it}})``. A promise
        records them only when they keep it.

        What was paid is the open balance, in the customer's favour, of the receivable lines
        outside invoices dated since the promise: payments, less what went back to the
        customer (a refund, a bounced payment). Promises share them: oldest first, a promise
        that they keep takes what it lacks from the oldest payments it may count, and those
        are not counted again for another one, judged the same day or later."""
        if not promises:
            return {}, {}
        lines = self.env["account.move.line"].search_fetch(
            [
                ("company_id", "=", self.env.company.id),
                ("partner_id", "in", promises.partner_id._collection_contact_ids()),
                *payment_line_domain(min(promises.mapped("date"))),
            ],
            ["partner_id", "date", "amount_residual"],
            order="date, id",
        )
        left = self._collection_left_to_count(lines)  # in the customer's favour
        currency = self.env.company.currency_id
        received = {}
        counted = defaultdict(list)
        for promise in promises.sorted(lambda p: (p.date, p.id)):
            since = [
                line
                for line in lines
                if line.partner_id.commercial_partner_id == promise.partner_id
                and line.date >= promise.date
            ]
            available = max(sum(left[line] for line in since), 0.0)
            lacking = max(promise.promise_amount - self._collection_promise_paid(promise), 0.0)
            if all(move.payment_state in PAID_STATES for move in promise.move_ids):
                lacking = 0.0  # kept whatever it was paid: it needs none of them
            elif all(move.state == "cancel" for move in promise.move_ids):
                lacking = 0.0  # superseded: nothing is owed, the payments are for others
            received[promise] = min(available, lacking)
            if currency.compare_amounts(available, lacking) < 0:
                continue  # not kept by them: they are left for another promise
            for line in since:
                part = min(max(left[line], 0.0), lacking)
                if currency.is_zero(part):
                    continue
                left[line] -= part
                lacking -= part
                counted[promise].append(
                    {"event_id": promise.id, "line_id": line.id, "amount": part}
                )
        matched = self._collection_matched_with_promises(
            [
                (vals["line_id"], promise)
                for promise, vals_list in counted.items()
                for vals in vals_list
            ]
        )
        for promise, vals_list in counted.items():
            for vals in vals_list:
                vals["matched_then"] = matched[vals["line_id"], promise]
        return received, counted

    @api.model
    def _collection_left_to_count(self, lines):
        """{line: what is unmatched of it, in the customer's favour, less what kept promises
        counted of it} for receivable ``lines`` not matched in full. What was matched of a
        line with a promise's invoices since the promise counted it gives that count back:
        it shows in the balance of the promise's invoices. A payment matched with anything
        else, or made smaller, gives nothing back."""
        counts = (
            self.env["collection.promise.payment"]
            .sudo()
            .search_fetch(
                [("line_id", "in", lines.ids)], ["line_id", "event_id", "amount", "matched_then"]
            )
        )
        matched = self._collection_matched_with_promises(
            [(count.line_id.id, count.event_id) for count in counts]
        )
        counted = defaultdict(float)
        for count in counts:
            given_back = max(matched[count.line_id.id, count.event_id] - count.matched_then, 0.0)
            counted[count.line_id] += max(count.amount - given_back, 0.0)
        left = {}
        for line in lines:
            unmatched = -line.amount_residual
            # Never below nothing: counts a payment no longer has (matched elsewhere since)
            # take nothing from the others.
            left[line] = unmatched - min(counted[line], max(unmatched, 0.0))
        return left

    @api.model
    def _collection_matched_with_promises(self, pairs):
        """{(payment line id, promise): what is matched of the line with the promise's
        invoices}, in company currency, for the ``pairs`` given."""
        if not pairs:
            return {}
        matched = defaultdict(list)  # line id -> [(invoice, amount)]
        for partial in self.env["account.partial.reconcile"].search_fetch(
            [("credit_move_id", "in", list({line_id for line_id, _promise in pairs}))],
            ["credit_move_id", "debit_move_id", "amount"],
        ):
            matched[partial.credit_move_id.id].append(
                (partial.debit_move_id.move_id, partial.amount)
            )
        return {
            (line_id, promise): sum(
                amount for move, amount in matched[line_id] if move in promise.move_ids
            )
            for line_id, promise in pairs
        }

    @api.model
    def _collection_promise_paid(self, promise):
        """What the promise's invoices were paid since it: the balance when promised, less the
        balance now."""
        return promise.amount_overdue - sum(promise.move_ids.mapped("amount_residual_signed"))

    @api.model
    def _collection_promise_state(self, promise, received=0.0):
        """What became of a promise once its date and grace have passed:

        - kept: its invoices are paid, or the customer paid at least the amount promised
          (the balance when promised, less the balance now, plus ``received``: payments since
          the promise not matched with an invoice yet);
        - superseded: what is unpaid is in a payment plan or disputed, which replace it (a
          promise put off by a new one is superseded when that one is made);
        - broken otherwise."""
        moves = promise.move_ids
        paid = self._collection_promise_paid(promise) + received
        currency = promise.currency_id
        if (
            all(move.payment_state in PAID_STATES for move in moves)
            or currency.compare_amounts(paid, promise.promise_amount) >= 0
        ):
            return "kept"
        if not moves.filtered(self.env["collection.engine"]._collection_to_chase):
            return "superseded"
        return "broken"
