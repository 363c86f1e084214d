import ast

from markupsafe import Markup, escape

from odoo.tools import float_round
from odoo.tools.misc import NON_BREAKING_SPACE, get_lang

from odoo.addons.base.models.res_lang import intersperse


class ActivityNotes:
    """Notes of the activities the collection run schedules: the call script, or a proposal.

    The run writes thousands of them: each phrase is translated once per language, then
    filled in for each customer, in the language of the user who gets the activity."""

    def __init__(self, env):
        self.env = env
        self._by_lang = {}
        self._money = {}

    def render(self, lang, stage, proposal, partner, contact, phone, lines, totals, charges):
        """The note's HTML. ``lines``: (invoice name, amount, currency, days overdue) of each
        invoice; ``totals``: what is overdue, credited and claimed per currency (see
        collection.engine's _collection_currency_totals); ``charges``: the finance charges
        (collection.finance.charge's Charge) the invoices bear, in the company currency."""
        text = self._phrases(lang)
        parts = []
        if proposal:
            parts.append(
                text["proposal"]
                % {"customer": strong(partner.name), "stage": strong(text["stage"](stage))}
            )
        elif stage.kind == "call":
            call = text["call_phone"] if phone else text["call"]
            parts.append(
                call
                % {
                    "contact": strong(contact.name or partner.name),
                    "customer": strong(partner.name),
                    "phone": strong(phone or ""),
                }
            )
            parts.append(text["tone"])
        description = text["description"](stage)
        if description:
            parts.append(escape(description))
        html = Markup("").join(Markup("<p>%s</p>") % part for part in parts)
        # Thousands of lines a run: formatted as text, each value escaped, then marked safe.
        line = str(text["line"])
        html += Markup("<ul>%s</ul>") % Markup(
            "".join(
                "<li>%s</li>"
                % (
                    line
                    % {
                        "invoice": escape(name),
                        "amount": escape(self.money(lang, line_amount, currency)),
                        "days": days,
                    }
                )
                for name, line_amount, currency, days in lines
            )
        )
        for total in totals:
            currency = total["currency"]
            amounts = {
                "amount": strong(self.money(lang, total["overdue"], currency)),
                "credit": self.money(lang, total["credit"], currency),
                "claimed": strong(self.money(lang, total["claimed"], currency)),
            }
            phrase = text["total_credit"] if total["credit"] else text["total"]
            html += Markup("<p>%s</p>") % (phrase % amounts)
        fee = sum(charge.fee for charge in charges)
        interest = sum(amount for charge in charges for _start, _days, amount in charge.interest)
        if interest or fee:
            currency = self.env.company.currency_id
            amount = strong(self.money(lang, interest + fee, currency))
            # Consumers bear no fee: the note names only what is charged.
            phrase = (
                text["charge"]
                if interest and fee
                else text["charge_fee" if fee else "charge_interest"]
            )
            html += Markup("<p>%s</p>") % (phrase % {"amount": amount})
        return Markup("<div>%s</div>") % html

    def money(self, lang, value, currency):
        """``value`` formatted in ``currency`` for ``lang``."""
        key = (lang, currency.id)
        if key not in self._money:
            env = self.env(context=dict(self.env.context, lang=lang))
            self._money[key] = self._money_format(env, currency)
        return self._money[key](value)

    def _phrases(self, lang):
        if lang not in self._by_lang:
            env = self.env(context=dict(self.env.context, lang=lang))
            self._by_lang[lang] = {
                "proposal": escape(
                    env._(
                        "The overdue invoices of %(customer)s reached the stage %(stage)s. This "
                        "stage is not executed automatically: decide whether to go ahead with it."
                    )
                ),
                "call": escape(
                    env._(
                        "Ask for %(contact)s, the person in charge of payments at %(customer)s, "
                        "and ask for the full balance."
                    )
                ),
                "call_phone": escape(
                    env._(
                        "Ask for %(contact)s, the person in charge of payments at %(customer)s "
                        "(phone: %(phone)s), and ask for the full balance."
                    )
                ),
                "tone": env._("Be firm, professional and courteous."),
                "line": escape(env._("%(invoice)s: %(amount)s, %(days)s days overdue")),
                "total": escape(env._("Total overdue: %(amount)s")),
                "total_credit": escape(
                    env._(
                        "Total overdue: %(amount)s, less credits of %(credit)s: ask for "
                        "%(claimed)s."
                    )
                ),
                "charge": escape(
                    env._(
                        "Point out the finance charge that applies: %(amount)s (late interest "
                        "and fees)."
                    )
                ),
                "charge_interest": escape(
                    env._("Point out the finance charge that applies: %(amount)s (late interest).")
                ),
                "charge_fee": escape(
                    env._("Point out the finance charge that applies: %(amount)s (late fees).")
                ),
                "stage": lambda stage, env=env: stage.with_env(env).name,
                "description": lambda stage, env=env: stage.with_env(env).description,
            }
        return self._by_lang[lang]

    def _money_format(self, env, currency):
        """formatLang with ``currency``, minus its per-call lookups of the language."""
        lang = env["res.lang"]._get_data(id=get_lang(env).id)
        grouping = ast.literal_eval(lang.grouping)
        separator = lang.thousands_sep or ""
        digits = currency.decimal_places
        symbol = currency.symbol

        def money(value):
            rounded = float_round(value, precision_digits=digits, rounding_method="HALF-EVEN")
            parts = f"{rounded:.{digits}f}".split(".")
            parts[0] = intersperse(parts[0], grouping, separator)[0]
            number = lang.decimal_point.join(parts)
            if not symbol:
                return number
            if currency.position == "after":
                return f"{number}{NON_BREAKING_SPACE}{symbol}"
            return f"{symbol}{NON_BREAKING_SPACE}{number}"

        return money


def strong(text):
    return Markup("<strong>%s</strong>") % text
