"""A dashboard as its page shows it, in the reader's language: names instead of codes and ids,
numbers in the page's digits, each figure's "as of" time in Dhaka, and a rate only where its
denominator reaches the configured minimum ("—" otherwise)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation import screen_counts
from foundation.cache import cached
from foundation.clock import utcnow
from foundation.i18n import format_day, format_number, to_bengali_digits, translate
from grievance.labels import category_label
from grievance.models import Category
from grievance.sla import DHAKA
from registry.labels import channel_label, unit_label
from registry.models import District, PaymentChannel
from staff.dashboards import Dashboard, rate, scope_names

NO_RATE = "—"  # a rate whose denominator is too small to mean anything
DISTRICTS_SHOWN = 15
SCREENS_SHOWN = 10


@dataclass
class Funnel:
    journey: str
    steps: list[tuple[str, str, str]]  # label, count, share of sessions dialled


@dataclass
class Page:
    title: str
    as_of: str  # "As of 10:42": the activity part's figures (complaints, redemptions, answers, USSD)
    registry_as_of: str  # beneficiaries and payment failures
    district_as_of: str  # complaints per beneficiaries: the older of the two
    minimum: str  # the configured minimum denominator, as the page writes numbers
    open: str = ""
    overdue: str = ""
    median_days: str = ""
    breach_rate: str = ""
    weekly: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    district_rates: list[tuple[str, float]] = field(default_factory=list)  # for the chart: rated districts only
    districts: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, complaints, people, per 10,000
    failure_rates: list[tuple[str, float]] = field(default_factory=list)  # for the chart, in per cent
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)  # channel, attempted, failed, rate
    redemptions: list[tuple[str, str, str]] = field(default_factory=list)  # unit, completed, quantity
    confirmations: tuple[str, str, str, str] = ("", "", "", "")  # asked, confirmed, denied, denial rate
    # name, code (what the outlet commands and the Signals page know it by), done, disputed, night, away
    outlets: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    channels: list[tuple[str, str, str, str]] = field(default_factory=list)  # channel, asked, yes, no (rate)
    dialled: str = ""
    funnels: list[Funnel] = field(default_factory=list)
    screens: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # name, views, wrong, dropped, rate


def build(session: Session, board: Dashboard, locale: str, minimum: int, now: dt.datetime | None = None) -> Page:
    def n(value: int | float) -> str:
        return format_number(value, locale)

    def share(part: int, whole: int) -> str:
        value = rate(part, whole, minimum)
        return NO_RATE if value is None else f"{format_number(_tenth(100 * value), locale)}%"

    bangla = locale == "bn"
    districts = _district_names(session)
    registry_at = board.registry_as_of or board.as_of
    page = Page(
        title=_title(session, board, locale),
        as_of=as_of_label(board.as_of, locale, now),
        registry_as_of=as_of_label(registry_at, locale, now),
        district_as_of=as_of_label(min(board.as_of, registry_at), locale, now),
        minimum=n(minimum),
    )
    page.open, page.overdue = n(board.open), n(board.overdue)
    median = board.median_resolution_working_days
    page.median_days = "–" if median is None else format_number(_tenth(median), locale)
    page.breach_rate = share(board.breached, board.with_deadline)
    page.weekly = [(_digits(week.strftime("%d/%m"), locale), count) for week, count in board.weekly]
    page.categories = [(category_label(locale, Category(category)), count) for category, count in board.top_categories]

    def district(district_id: int) -> str:
        names = districts.get(district_id)
        return names[1 if bangla else 0] if names else translate(locale, "Unknown district")

    rated = [
        (district(d), 10_000 * per)
        for d, cases, people in board.by_district
        if (per := rate(cases, people, minimum)) is not None
    ]
    page.district_rates = sorted(rated, key=lambda row: (-row[1], row[0]))[:DISTRICTS_SHOWN]
    busiest = sorted(board.by_district, key=lambda row: (-row[1], -row[2], district(row[0])))[:DISTRICTS_SHOWN]
    page.districts = [
        (district(d), n(cases), n(people), _per_10k(cases, people, minimum, locale))
        for d, cases, people in busiest
        if cases or people
    ]
    page.failure_rates = [
        (channel_label(locale, PaymentChannel(c)), 100 * r)
        for c, total, bad in board.payment_failures
        if (r := rate(bad, total, minimum)) is not None
    ]
    page.failures = [
        (channel_label(locale, PaymentChannel(c)), n(total), n(bad), share(bad, total))
        for c, total, bad in board.payment_failures
    ]
    page.redemptions = [
        (unit_label(locale, unit) or unit, n(count), n(Decimal(str(quantity)).normalize()))
        for unit, count, quantity in board.redemptions
    ]
    asked, confirmed, denied = board.confirmations
    page.confirmations = (n(asked), n(confirmed), n(denied), share(denied, confirmed + denied))
    page.outlets = [
        (name_bn if bangla else name_en, code, n(done), share(disputed, done), n(night), n(away))
        for code, name_en, name_bn, done, disputed, night, away in board.worst_outlets
    ]
    page.channels = [
        (channel_label(locale, PaymentChannel(c)), n(asked), n(yes), f"{n(no)} ({share(no, yes + no)})")
        for c, asked, yes, no in board.worst_channels
    ]
    _ussd(page, board.ussd, locale, n, share, minimum)
    return page


def _ussd(page: Page, counts: dict[str, dict[str, int]], locale: str, n, share, minimum: int) -> None:
    dialled = counts.get(screen_counts.HOME, {}).get("dialled", 0)
    page.dialled = n(dialled)
    for funnel in screen_counts.FUNNELS:
        steps = []
        for step in funnel.steps:
            count = screen_counts.step_count(counts, step)
            steps.append((screen_counts.step_label(locale, step), n(count), share(count, dialled)))
        page.funnels.append(Funnel(screen_counts.journey_label(locale, funnel.journey), steps))
    screens = []
    for screen, events in counts.items():
        views = events.get("views", 0)
        if not views:
            continue
        dropped = events.get("dropoffs", 0) + events.get("timeouts", 0)
        screens.append((screen, views, events.get("invalid", 0), dropped, rate(dropped, views, minimum)))
    screens.sort(key=lambda row: (row[4] is None, -(row[4] or 0), -row[3], -row[1], row[0]))
    page.screens = [
        (screen_counts.screen_label(locale, screen), n(views), n(wrong), n(dropped), share(dropped, views))
        for screen, views, wrong, dropped, _rate in screens[:SCREENS_SHOWN]
    ]


def as_of_label(moment: dt.datetime, locale: str, now: dt.datetime | None = None) -> str:
    """ "As of 10:42" in Dhaka time, with the day too when it is not today's."""
    local, today = moment.astimezone(DHAKA), (now or utcnow()).astimezone(DHAKA).date()
    time = _digits(local.strftime("%H:%M"), locale)
    if local.date() != today:
        time = f"{format_day(local.date(), locale, short=True)}, {time}"
    return translate(locale, "As of %(time)s", time=time)


def _title(session: Session, board: Dashboard, locale: str) -> str:
    if board.scope.kind == "all":
        return translate(locale, "All ministries")
    names = scope_names(session).get(board.scope.key)
    return names[1 if locale == "bn" else 0] if names else board.scope.code


def _district_names(session: Session) -> dict[int, tuple[str, str]]:
    return cached(
        "staff.dashboard.districts",
        lambda: {
            id_: (en, bn) for id_, en, bn in session.execute(select(District.id, District.name_en, District.name_bn))
        },
    )


def _per_10k(cases: int, people: int, minimum: int, locale: str) -> str:
    value = rate(cases, people, minimum)
    return NO_RATE if value is None else format_number(_tenth(10_000 * value), locale)


def _tenth(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def _digits(text: str, locale: str) -> str:
    return to_bengali_digits(text) if locale == "bn" else text
