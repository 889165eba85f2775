"""Days and times as Dhaka's clocks and calendars show them, in the page's language and digits:
the workspace stores UTC and never shows it."""

from __future__ import annotations

import datetime as dt

from foundation.clock import as_utc
from foundation.i18n import format_day
from foundation.wording import wording
from grievance.sla import DHAKA


def local_day(moment: dt.datetime | dt.date | None, locale: str) -> str:
    """ "৫ নভে ২০২৬" / "5 Nov 2026": a time's day in Dhaka (a deadline at 23:59 Dhaka is that
    day, not the next one UTC names); "" for none."""
    if moment is None:
        return ""
    day = as_utc(moment).astimezone(DHAKA).date() if isinstance(moment, dt.datetime) else moment
    return format_day(day, locale, short=True)


def local_time(moment: dt.datetime | dt.date | None, locale: str) -> str:
    """A time as Dhaka's clocks show it ("5 Nov 2026, 14:30"), a day as its date; "" for none."""
    if not isinstance(moment, dt.datetime):
        return local_day(moment, locale)
    local = as_utc(moment).astimezone(DHAKA)
    return f"{format_day(local.date(), locale, short=True)}, {wording(locale).digits(local.strftime('%H:%M'))}"
