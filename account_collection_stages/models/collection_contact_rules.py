from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from .state_zones import STATE_ZONES

# Outcomes of a call in which the customer was reached and the debt talked about.
CONVERSATION_OUTCOMES = ("promise_to_pay", "plan_requested", "dispute", "refused", "already_paid")
CALL_WINDOW = (8, 21)  # local hours
MAX_CALLS = 7
WINDOW_DAYS = 7
# States whose law caps the calls about a consumer debt lower, creditors' own calls included:
# {(country code, state code): calls in WINDOW_DAYS}. Massachusetts: 2 in 7 days to the
# debtor's home or personal phone (940 CMR 7.04(1)(f)); its 2 in 30 days to other numbers
# (work) is not told apart, the addon not knowing which number is which.
STATE_MAX_CALLS = {("US", "MA"): 2}


class CollectionContactRules(models.AbstractModel):
    """When a customer may be called: Regulation F's 7-in-7 and 7-days-after-a-conversation
    presumptions (fewer calls where a state's law says so), the 08:00-21:00 local calling
    hours, and cease-communication requests."""

    _name = "collection.contact.rules"
    _description = "Collection Contact Rules"

    @api.model
    def _applies(self, partner):
        mode = self.env.company.collection_contact_rules
        return mode == "all" or (mode == "consumer" and partner.collection_is_consumer)

    @api.model
    def _max_calls(self, partner):
        """Calls allowed in WINDOW_DAYS: Regulation F's, or for a consumer the lower cap of
        the state of its address (the state laws protect consumer debtors)."""
        if not partner.collection_is_consumer:
            return MAX_CALLS
        state = partner.state_id
        return STATE_MAX_CALLS.get((state.country_id.code, state.code), MAX_CALLS)

    @api.model
    def _partner_zones(self, partner):
        """(zones, place): the time zones ``partner`` may be in, and the name of the state or
        country they are of. Its own zone (place ""); unknown, every zone of its state when
        STATE_ZONES lists them, else of its country, since the calling hours must be
        convenient in all the places it may be (Regulation F, comment 6(b)(1)(i)-2); else the
        company's (place ""), else UTC."""
        if partner.tz:
            return [pytz.timezone(partner.tz)], ""
        company_zone = self.env.company.partner_id.tz or "UTC"
        state = partner.state_id
        country = partner.country_id or state.country_id
        by_state = STATE_ZONES.get(country.code, {})
        place, zones = country.name, pytz.country_timezones.get(country.code or "", [])
        if state and state.country_id == country and (state.code in by_state or None in by_state):
            place, zones = state.name, by_state.get(state.code) or by_state[None]
        if not zones:
            return [pytz.timezone(company_zone)], ""
        # The company's zone first when it is one of them: the times are shown in it.
        return [
            pytz.timezone(zone) for zone in sorted(zones, key=lambda z: z != company_zone)
        ], place

    @api.model
    def _partner_tz(self, partner):
        """The time zone the times of ``partner``'s calls are shown in, and its days counted
        in: its own; else, of its state's or country's zones, the company's, or the first
        listed (New York for the United States); else the company's."""
        return self._partner_zones(partner)[0][0]

    @api.model
    def _recent_calls(self, partners, now):
        """{partner: its calls of the 7 days before ``now``, newest first}, in one query.
        The current company's only: the limits count the calls about its own debts, whichever
        companies the user has selected."""
        calls = self.env["collection.event"].search(
            [
                ("company_id", "=", self.env.company.id),
                ("partner_id", "in", partners.ids),
                ("kind", "=", "call"),
                ("call_outcome", "!=", False),
                ("call_time", ">", now - timedelta(days=WINDOW_DAYS)),
                ("call_time", "<=", now),
            ],
            order="call_time desc, id desc",
        )
        return calls.grouped("partner_id")

    @api.model
    def _next_call(self, partner, now=None, recent_calls=None):
        """(when, reason): the first UTC time a call to ``partner`` is allowed, not before
        ``now``, and why it is not now; ``when`` is None when no call is allowed at all.
        ``recent_calls`` is what _recent_calls() gave for a batch of partners."""
        now = now or fields.Datetime.now()
        if partner.collection_no_contact:
            return None, self.env._("the customer asked to cease communication")
        if not self._applies(partner):
            return now, ""
        zones, place = self._partner_zones(partner)
        tz = zones[0]
        allowed, reason = now, ""
        if recent_calls is None:
            recent_calls = self._recent_calls(partner, now)
        attempts = recent_calls.get(partner, self.env["collection.event"])
        placed = attempts.filtered(lambda e: not e.call_inbound)  # the customer's own don't count
        max_calls = self._max_calls(partner)
        if len(placed) >= max_calls:
            candidate = placed[max_calls - 1].call_time + timedelta(days=WINDOW_DAYS)
            if candidate > allowed:
                allowed = candidate
                reason = self.env._("%(count)s calls in the last 7 days", count=len(placed))
        talks = attempts.filtered(lambda e: e.call_outcome in CONVERSATION_OUTCOMES)
        if talks:
            # The day of the conversation counts as the first of the 7 days.
            talk_day = pytz.utc.localize(talks[0].call_time).astimezone(tz).date()
            candidate = self._to_utc(tz, talk_day + timedelta(days=WINDOW_DAYS), time(0))
            if candidate > allowed:
                allowed = candidate
                reason = self.env._(
                    "a conversation about the debt on %(day)s",
                    day=format_date(self.env, talk_day),
                )
        in_hours = self._within_hours(allowed, zones)
        if in_hours > allowed and not reason:
            if len(zones) > 1:
                reason = self.env._(
                    "calls are allowed from 08:00 to 21:00 in every time zone of %(place)s, "
                    "the customer's own not being set",
                    place=place,
                )
            elif place:
                reason = self.env._(
                    "calls are allowed from 08:00 to 21:00 in the time zone of %(place)s "
                    "(%(tz)s), the customer's own not being set",
                    place=place,
                    tz=tz.zone,
                )
            else:
                reason = self.env._(
                    "calls are allowed from 08:00 to 21:00 in the customer's time zone (%(tz)s)",
                    tz=tz.zone,
                )
        return in_hours, reason

    @api.model
    def _within_hours(self, when, zones):
        """The first UTC time from ``when`` on that is within the calling hours in all of
        ``zones``: each zone's own next calling time, until they agree."""
        for _attempt in range(3 * len(zones) + 2):
            latest = max(self._within_zone_hours(when, tz) for tz in zones)
            if latest == when:
                return when
            when = latest
        # The zones' hours never overlap (a country spanning half the globe): the first
        # zone's alone.
        return self._within_zone_hours(when, zones[0])

    @api.model
    def _within_zone_hours(self, when, tz):
        local = pytz.utc.localize(when).astimezone(tz)
        start, end = CALL_WINDOW
        if local.hour < start:
            return self._to_utc(tz, local.date(), time(start))
        if local.hour >= end:
            return self._to_utc(tz, local.date() + timedelta(days=1), time(start))
        return when

    @api.model
    def _to_utc(self, tz, day, at):
        local = tz.localize(datetime.combine(day, at))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _check_call(self, partner, now=None):
        """Raise a UserError saying when the next call is allowed, if it is not now."""
        now = now or fields.Datetime.now()
        when, reason = self._next_call(partner, now)
        if when is None:
            raise UserError(
                self.env._(
                    "%(partner)s may not be called: %(reason)s. Only legal notices may be sent.",
                    partner=partner.display_name,
                    reason=reason,
                )
            )
        if when > now:
            tz = self._partner_tz(partner)
            local = pytz.utc.localize(when).astimezone(tz)
            local_time = f"{format_date(self.env, local.date())} {local:%H:%M}"
            raise UserError(
                self.env._(
                    "%(partner)s may not be called before %(when)s (%(tz)s): %(reason)s.",
                    partner=partner.display_name,
                    when=local_time,
                    tz=tz.zone,
                    reason=reason,
                )
            )
