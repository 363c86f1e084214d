"""The time zones of the states and provinces of countries that span several.

A customer whose own time zone is not set may be called only in the hours that are 08:00 to
21:00 in every zone it may be in (Regulation F, comment 6(b)(1)(i)-2): the zones of its state
when its address has one listed here, else all of its country's. Zones are those of the IANA
time zone database (zone.tab); a state split between zones lists each of them. The zones of a
country's states not listed are under ``None``; a country with no ``None`` falls back on all
of its zones for them."""

EASTERN = "America/New_York"
CENTRAL = "America/Chicago"
MOUNTAIN = "America/Denver"
PACIFIC = "America/Los_Angeles"

STATE_ZONES = {
    "ES": {
        None: ("Europe/Madrid",),
        "GC": ("Atlantic/Canary",),  # Las Palmas
        "TF": ("Atlantic/Canary",),  # Santa Cruz de Tenerife
        "CE": ("Africa/Ceuta",),
        "ME": ("Africa/Ceuta",),  # Melilla
    },
    "US": {
        # One zone.
        **dict.fromkeys(
            "CT DC DE GA MA MD ME NC NH NJ NY OH PA RI SC VA VT WV".split(), (EASTERN,)
        ),
        **dict.fromkeys("AL AR IA IL LA MN MO MS OK WI".split(), (CENTRAL,)),
        **dict.fromkeys("CO MT NM UT WY".split(), (MOUNTAIN,)),
        **dict.fromkeys("CA WA".split(), (PACIFIC,)),
        # Split between two zones.
        "FL": (EASTERN, CENTRAL),  # the western panhandle is Central
        "IN": ("America/Indiana/Indianapolis", CENTRAL),
        "KY": (EASTERN, CENTRAL),
        "MI": ("America/Detroit", "America/Menominee"),
        "TN": (EASTERN, CENTRAL),
        "KS": (CENTRAL, MOUNTAIN),
        "NE": (CENTRAL, MOUNTAIN),
        "ND": (CENTRAL, MOUNTAIN),
        "SD": (CENTRAL, MOUNTAIN),
        "TX": (CENTRAL, MOUNTAIN),  # El Paso and Hudspeth counties are Mountain
        "ID": ("America/Boise", PACIFIC),
        "OR": (PACIFIC, "America/Boise"),  # Malheur county is Mountain
        "NV": (PACIFIC, MOUNTAIN),  # West Wendover is Mountain
        "AZ": ("America/Phoenix", MOUNTAIN),  # the Navajo Nation keeps daylight saving time
        "AK": ("America/Anchorage", "America/Adak"),
        "HI": ("Pacific/Honolulu",),
        "PR": ("America/Puerto_Rico",),
        "VI": ("America/St_Thomas",),
        "GU": ("Pacific/Guam",),
        "MP": ("Pacific/Saipan",),
        "AS": ("Pacific/Pago_Pago",),
        # Freely associated states, listed with the US states in Odoo.
        "FM": ("Pacific/Chuuk", "Pacific/Pohnpei", "Pacific/Kosrae"),
        "MH": ("Pacific/Majuro", "Pacific/Kwajalein"),
        "PW": ("Pacific/Palau",),
    },
}
