"""Per-screen USSD counters for monitoring, and what the screens are called.

The counters live in one Redis hash per day, keyed by screen id only: no phone number is
stored. The USSD channel adds to them (``commands``, written with the hop's own save) and
the staff dashboard reads them (``day``); both go through this module, so neither channel
needs the other. For the same reason the screens' human names (``screen_label``) and the
journeys' funnels (``FUNNELS``) are here: the dashboard must not show "other_birth_date",
and it may not import the USSD app to ask what that screen is.

Events:
- ``views``: a hop showed the screen (every page, every wrong key's re-showing);
- ``reached``: the screen was first shown in its place in the session (however many pages
  or wrong keys followed), which is what a funnel counts;
- ``invalid``: a wrong key on it; ``dropoffs``/``timeouts``: the session ended there
  without our END;
- ``dialled``: a session began (counted on the main menu's id);
- ``finished``: a choice on the screen ended the session with its answer (a complaint sent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from redis import Redis

from foundation.i18n import translate

EVENTS = ("views", "reached", "invalid", "dropoffs", "timeouts", "dialled", "finished")
RETENTION_DAYS = 35
HOME = "main"  # the main menu's screen id, where "dialled" is counted

Command = tuple[Any, ...]


def key(day: dt.date) -> str:
    return f"ussd:analytics:{day.isoformat()}"


def commands(events: list[tuple[str, str]], today: dt.date, retention_days: int = RETENTION_DAYS) -> list[Command]:
    """The Redis commands that add one to each (screen, event), for a write the caller makes anyway."""
    if not events:
        return []
    day_key = key(today)
    counts: list[Command] = [("HINCRBY", day_key, f"{screen}:{event}", 1) for screen, event in events]
    return [*counts, ("EXPIRE", day_key, retention_days * 24 * 3600)]


def day(redis: Redis, on: dt.date) -> dict[str, dict[str, int]]:
    """One day's counts by screen: {"main": {"views": 12, "invalid": 1, ...}, ...}."""
    counts: dict[str, dict[str, int]] = {}
    for field, value in redis.hgetall(key(on)).items():
        screen, event = field.decode().rsplit(":", 1)
        counts.setdefault(screen, dict.fromkeys(EVENTS, 0))[event] = int(value)
    return counts


def days(redis: Redis, last: dt.date, count: int) -> dict[str, dict[str, int]]:
    """The counts of ``count`` days up to ``last``, added up per screen and event."""
    totals: dict[str, dict[str, int]] = {}
    for n in range(count):
        for screen, events in day(redis, last - dt.timedelta(days=n)).items():
            entry = totals.setdefault(screen, dict.fromkeys(EVENTS, 0))
            for event, value in events.items():
                entry[event] = entry.get(event, 0) + value
    return totals


# -- what the screens are called ---------------------------------------------------------------
def screen_label(locale: str, screen: str) -> str:
    """A screen's name for staff, in ``locale``; one a later release removed is "Other screen"."""
    labels = {
        "main": translate(locale, "Main menu"),
        "own_menu": translate(locale, "Outlet operator's own menu"),
        "resume": translate(locale, "Offer to continue a dropped session"),
        "eligibility": translate(locale, "Eligibility: choose a programme"),
        "eligibility_all": translate(locale, "Eligibility: all programmes"),
        "eligibility_result": translate(locale, "Eligibility: one programme's answer"),
        "other_eligibility": translate(locale, "Another person: choose a programme"),
        "other_eligibility_all": translate(locale, "Another person: all programmes"),
        "other_eligibility_result": translate(locale, "Another person: one programme's answer"),
        "payments": translate(locale, "Payments: choose a programme"),
        "payment": translate(locale, "Payment details"),
        "etokens": translate(locale, "E-token balances"),
        "other_nid": translate(locale, "Another person: NID asked"),
        "other_birth_date": translate(locale, "Another person: date of birth asked"),
        "lookup_limit": translate(locale, "Another person: daily limit reached"),
        "not_found": translate(locale, "Another person: not found"),
        "enrol": translate(locale, "How to enrol: choose a programme"),
        "enrol_office": translate(locale, "How to enrol: the office to visit"),
        "language": translate(locale, "Choose language"),
        "complaint_category": translate(locale, "Complaint: what happened"),
        "complaint_programme": translate(locale, "Complaint: which programme"),
        "complaint_text": translate(locale, "Complaint: a few words"),
        "complaint_confirm": translate(locale, "Complaint: confirm and send"),
        "complaint_status": translate(locale, "Complaint status: number asked"),
        "complaint_status_result": translate(locale, "Complaint status: answer"),
        "complaint_not_found": translate(locale, "Complaint status: number not found"),
        "outlet_beneficiary": translate(locale, "Outlet: beneficiary asked"),
        "outlet_programme": translate(locale, "Outlet: choose a programme"),
        "outlet_quantity": translate(locale, "Outlet: quantity asked"),
        "outlet_code": translate(locale, "Outlet: beneficiary's code asked"),
        "outlet_done": translate(locale, "Outlet: hand-over recorded"),
        "outlet_refused": translate(locale, "Outlet: hand-over refused"),
        "outlet_pending": translate(locale, "Outlet: hand-overs awaiting a code"),
        "outlet_today": translate(locale, "Outlet: today's hand-overs"),
        "redemption_waiting": translate(locale, "Beneficiary: is this hand-over you?"),
        "redemption_answered": translate(locale, "Beneficiary: answer recorded"),
    }
    return labels.get(screen) or translate(locale, "Other screen")


# -- funnels: from the dial to the answer ----------------------------------------------------
@dataclass(frozen=True)
class Step:
    screens: tuple[str, ...]  # any of these counts
    event: str = "reached"


@dataclass(frozen=True)
class Funnel:
    journey: str
    steps: tuple[Step, ...]  # the last one is the answer

    @property
    def answer(self) -> Step:
        return self.steps[-1]


FUNNELS = (
    Funnel("eligibility", (Step(("eligibility",)), Step(("eligibility_result", "eligibility_all")))),
    Funnel("payments", (Step(("payment",)),)),  # "My payments" opens on the latest payment
    Funnel("etokens", (Step(("etokens",)),)),
    Funnel(
        "complaint",
        (
            Step(("complaint_category",)),
            Step(("complaint_programme",)),
            Step(("complaint_text",)),
            Step(("complaint_confirm",)),
            Step(("complaint_confirm",), "finished"),
        ),
    ),
    Funnel("complaint_status", (Step(("complaint_status",)), Step(("complaint_status_result", "complaint_not_found")))),
    Funnel(
        "another_person",
        (
            Step(("other_nid",)),
            Step(("other_birth_date",)),
            Step(("other_eligibility_result", "other_eligibility_all", "not_found", "lookup_limit")),
        ),
    ),
    Funnel("enrol", (Step(("enrol",)), Step(("enrol_office",)))),
    Funnel(
        "redemption",
        (
            Step(("outlet_beneficiary",)),
            Step(("outlet_programme",)),
            Step(("outlet_quantity",)),
            Step(("outlet_code",)),
            Step(("outlet_done",)),
        ),
    ),
)


def journey_label(locale: str, journey: str) -> str:
    return {
        "eligibility": translate(locale, "Am I eligible?"),
        "payments": translate(locale, "My payments"),
        "etokens": translate(locale, "My e-tokens"),
        "complaint": translate(locale, "Make a complaint"),
        "complaint_status": translate(locale, "Complaint status"),
        "another_person": translate(locale, "Check another person"),
        "enrol": translate(locale, "How to enrol"),
        "redemption": translate(locale, "Hand-over at an outlet"),
    }[journey]


def step_label(locale: str, step: Step) -> str:
    if step.event == "finished":
        return translate(locale, "Sent")
    if len(step.screens) > 1:
        return translate(locale, "Answer shown")
    return screen_label(locale, step.screens[0])


def step_count(counts: dict[str, dict[str, int]], step: Step) -> int:
    return sum(counts.get(screen, {}).get(step.event, 0) for screen in step.screens)
