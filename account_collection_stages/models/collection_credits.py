class Credits:
    """A customer's unapplied credits (credit notes, payments) in one company, and how they
    pay its overdue invoices: as an accountant would match them in Odoo.

    ``lots``: {currency: (amount in the company currency, amount in that currency)}, what
    the customer's open lines other than invoices leave in its favour in each currency (a
    negative lot is in the company's favour: a refund paid out beyond the credit, say)."""

    def __init__(self, company_currency, lots=None):
        self.company_currency = company_currency
        self.lots = dict(lots or {})

    @property
    def total(self):
        """All the credits, in the company currency, never below 0."""
        return max(sum(amount for amount, _in_currency in self.lots.values()), 0.0)

    def split(self, moves, overdue, last=()):
        """{invoice: (credit that pays it in the company currency, in its own currency)} for
        the overdue invoices ``moves``: the credits pay the oldest first, as a payment is
        usually applied, so what pays an invoice does not change as newer ones fall due; the
        invoices ``last`` (on hold, not chased) take only what the others leave.
        Each invoice is paid first by the credits in its own currency, at their value in it,
        as Odoo matches them; then by the others (Odoo lets any credit of the customer pay any
        of its invoices), at their value in the company currency and the invoice's rate.
        ``overdue``: {invoice: (earliest due date, amount in the company currency, in its
        currency)} (see collection.engine's _collection_overdue)."""
        company = self.company_currency
        lots = self._net_lots()
        if not lots:
            # Most customers: no credit, nothing paid.
            return dict.fromkeys(moves, (0.0, 0.0))
        parts = {}
        for move in sorted(moves, key=lambda m: (m in last, overdue[m][0], m.id)):
            amount, in_currency = overdue[move][1:]
            currency = move.currency_id
            paid = paid_in_currency = 0.0
            if currency in lots and currency.compare_amounts(lots[currency][1], 0) > 0:
                # In the invoice's currency.
                lot_amount, lot_in_currency = lots[currency]
                paid_in_currency = min(currency.round(lot_in_currency), in_currency)
                paid = (
                    amount
                    if paid_in_currency == in_currency
                    else company.round(amount * paid_in_currency / in_currency)
                )
                lots[currency] = (
                    lot_amount * (1 - paid_in_currency / lot_in_currency),
                    lot_in_currency - paid_in_currency,
                )
            for other, (lot_amount, lot_in_currency) in lots.items():
                # In the company currency, what the invoice's own currency did not pay.
                rest = amount - paid
                if company.compare_amounts(rest, 0) <= 0:
                    break
                if company.compare_amounts(lot_amount, 0) <= 0:
                    continue
                taken = min(lot_amount, rest)
                lots[other] = (lot_amount - taken, lot_in_currency * (1 - taken / lot_amount))
                paid += taken
                paid_in_currency = (
                    in_currency
                    if company.compare_amounts(paid, amount) >= 0
                    else paid_in_currency
                    + currency.round((in_currency - paid_in_currency) * taken / rest)
                )
            parts[move] = (paid, paid_in_currency)
        return parts

    def _net_lots(self):
        """The lots in the customer's favour, less those in the company's: these take what
        they are worth in the company currency from the others, the company currency's
        first."""
        owed = -sum(amount for amount, _in_currency in self.lots.values() if amount < 0)
        lots = {}
        for currency in sorted(
            (currency for currency, (amount, _x) in self.lots.items() if amount > 0),
            key=lambda c: (c != self.company_currency, c.name),
        ):
            amount, in_currency = self.lots[currency]
            taken = min(owed, amount)
            owed -= taken
            if amount - taken > 0:
                lots[currency] = (amount - taken, in_currency * (amount - taken) / amount)
        return lots
