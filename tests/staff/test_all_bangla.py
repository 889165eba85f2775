"""Every staff page, for every role, wholly in the user's language: rendered in Bangla it shows
no catalogue string left in English, no raw enum value or code, no ASCII digit and no "UTC";
rendered in English it shows no Bengali script but the names the data holds. A dashboard in
Bangla shows no Latin letter at all: its USSD screens, outlets and commands are named in Bangla
or set apart as codes in an element of their own language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.mofile import read_mo
from sqlalchemy import select

from foundation import screen_counts
from foundation.config import PROJECT_ROOT
from foundation.jobs import redis_connection
from grievance.actions import Action
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Channel, Grievance, GrievanceEvent, Status
from monitoring.signals import mask_name
from notices.notifications import deliver_complaint_updates, deliver_questions
from outbound_sms.models import Message, MessageStatus
from outbound_sms.receipts import apply_receipt
from registry.models import (
    Citizen,
    Ministry,
    Outlet,
    PaymentStatus,
    Programme,
    Redemption,
    RedemptionChannel,
    RedemptionStatus,
)
from staff import aggregates, signal_store
from staff.models import StaffAudit, StaffUser
from staff.queue import SLA_STATES
from tests.factories import make_citizen, make_enrolment, make_filing, make_payment, make_staff
from tests.redemption_support import funded_wallet, make_outlet
from ussd_app.journeys import JOURNEYS

PHONE = "+8801712345678"
ROLES = ("officer", "gro", "coordinator", "monitoring", "admin")
# Pages with no Latin letter when rendered in Bangla (beyond what the data holds and elements
# in another language): every word on them is the catalogue's or a name's.
NO_LATIN_IN_BANGLA = ("dashboard", "dashboard of a ministry")

BENGALI = re.compile(r"[\u0980-\u09FF]")
LATIN = re.compile(r"[A-Za-z]")
ASCII_DIGIT = re.compile(r"[0-9]")
CHECKED_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")


class _VisibleText(HTMLParser):
    """The text a reader meets: element text (not script or style) and the attributes a
    screen reader or a tooltip says. An element with a ``lang`` other than the page's
    declares itself another language (the language switch says "বাংলা" in its own script),
    and so does an SMS quoted verbatim (``class="sms"``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = ""
        self.stack: list[tuple[str, bool]] = []  # (tag, another language)
        self.parts: list[str] = []

    VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source", "wbr", "col", "area", "base", "embed"})

    def _foreign(self) -> bool:
        return any(foreign for _tag, foreign in self.stack) or any(tag in ("script", "style") for tag, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "html":
            self.page_lang = values.get("lang") or ""
        lang = values.get("lang")
        foreign = bool(lang) and tag != "html" and lang != self.page_lang
        # An SMS is shown word for word as the citizen got or wrote it, in their language.
        foreign = foreign or "sms" in (values.get("class") or "").split()
        if not self._foreign() and not foreign:
            self.parts.extend(values[a] for a in CHECKED_ATTRIBUTES if values.get(a))
        if tag not in self.VOID:
            self.stack.append((tag, foreign))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self._foreign() and data.strip():
            self.parts.append(data)


def visible_text(page: str) -> tuple[str, str]:
    """(the page's lang attribute, its visible text with the checked attributes)."""
    parser = _VisibleText()
    parser.feed(page)
    return parser.page_lang, " \n ".join(" ".join(part.split()) for part in parser.parts)


def _catalogue() -> dict[str, str]:
    with open(PROJECT_ROOT / "locales" / "bn" / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        return {m.id: m.string for m in read_mo(handle) if m.id and isinstance(m.id, str) and m.string}


PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _fragments(msgid: str) -> list[str]:
    """The literal words of a msgid between its placeholders; the longest ones stand for it."""
    return [f.strip() for f in PLACEHOLDER.split(msgid) if len(f.strip()) >= 3 and re.search("[A-Za-z]{3}", f)]


def _as_word(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9_:-]){re.escape(text)}(?![A-Za-z0-9_-])")


# -- the data a demo shows ------------------------------------------------------------------
def _filed(session, citizen=None, **changes) -> Grievance:
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id if citizen else None, **changes)).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    return grievance


def _citizen_with_history(session) -> Citizen:
    citizen = make_citizen(session, mobile=PHONE, district="Cumilla")
    make_enrolment(session, citizen, "OAA", account_number="01712345678")
    for back, month in enumerate(("2026-10", "2026-09", "2026-08")):
        failed = back == 0
        make_payment(
            session,
            citizen,
            cycle=month,
            status=PaymentStatus.FAILED if failed else PaymentStatus.CREDITED,
            paid_on=None if failed else dt.date(2026, int(month[-2:]), 12),
            failure_reason="account closed" if failed else None,
            txn_id=None if failed else f"T{citizen.id}-{back}",
        )
    session.commit()
    wallet = funded_wallet(session, citizen, "FFP", "30")
    outlet = make_outlet(session, name_en="Karim Rice Dealer", name_bn="করিম চাল ডিলার")
    at = dt.datetime(2026, 10, 1, 4, 0, tzinfo=dt.UTC)
    session.add(
        Redemption(
            outlet_id=outlet.id,
            wallet_id=wallet.id,
            citizen_id=citizen.id,
            programme_code="FFP",
            quantity=Decimal(10),
            unit="kg rice",
            operator_mobile=outlet.operator_mobile,
            channel=RedemptionChannel.SMS,
            status=RedemptionStatus.COMPLETED,
            code_hash="0" * 64,
            code_expires_at=at + dt.timedelta(minutes=10),
            started_at=at,
            finished_at=at + dt.timedelta(minutes=2),
        )
    )
    session.commit()
    return citizen


# A week of USSD use as the screen counters hold it: sessions dialled, journeys' steps reached,
# screens left and wrong keys pressed, and a screen an older release had ("retired_menu").
USSD_WEEK = {
    "main": {"dialled": 64, "views": 70, "invalid": 3, "dropoffs": 2},
    "complaint_category": {"reached": 21, "views": 31, "invalid": 6, "dropoffs": 7},
    "complaint_programme": {"reached": 17, "views": 18, "dropoffs": 1},
    "complaint_text": {"reached": 15, "views": 40, "invalid": 2, "dropoffs": 9, "timeouts": 4},
    "complaint_confirm": {"reached": 12, "views": 12, "finished": 11},
    "other_birth_date": {"reached": 9, "views": 33, "invalid": 11, "dropoffs": 5, "timeouts": 2},
    "eligibility_result": {"reached": 30, "views": 30, "dropoffs": 1},
    "outlet_code": {"reached": 8, "views": 35, "invalid": 4, "timeouts": 3},
    "redemption_waiting": {"reached": 5, "views": 31, "dropoffs": 6},
    "payment": {"reached": 25, "views": 45},
    "retired_menu": {"views": 32, "dropoffs": 3},
}


def _count_ussd_week(redis) -> None:
    events = [(screen, event) for screen, counts in USSD_WEEK.items() for event, n in counts.items() for _ in range(n)]
    for command in screen_counts.commands(events, dt.date.today()):
        redis.execute_command(*command)


def _clear_ussd_counts(redis) -> None:
    for key in redis.scan_iter("ussd:analytics:*"):
        redis.delete(key)


@pytest.fixture
def demo(app, session, staff_client, no_dispatch):
    """Demo-like data: the demo registry with its disputes and answers, a case worked through
    every action (question and answer, internal note, resolution, delivery reports), one
    transferred, one escalated; a week of USSD use on the dashboards; and one account of each
    role, named in Bangla."""
    from sahayata.demo import load_demo
    from sms.replies import answer

    load_demo(session, 200, seed=4)
    for grievance in session.scalars(select(Grievance).where(Grievance.status == Status.RECEIVED)):
        route_grievance(grievance.id)
    names = {
        "officer": "রহিমা খাতুন",
        "gro": "করিম উদ্দিন",
        "coordinator": "নাসরিন আক্তার",
        "monitoring": "জাহিদ হাসান",
        "admin": "ফারহানা ইসলাম",
    }
    users = {role: make_staff(session, role, name=name) for role, name in names.items()}
    session.commit()
    citizen = _citizen_with_history(session)
    worked = _filed(session, citizen, channel=Channel.SMS, text="no money since July")
    officer = staff_client(users["officer"])
    act = f"/staff/cases/{worked.tracking_number}/act"
    assert officer.post(act, {"action": Action.ACKNOWLEDGE.value}).status_code == 303
    assert officer.post(act, {"action": "ask", "note": "Which union do you collect it in?"}).status_code == 303
    deliver_questions(worked.id)
    answer(session, PHONE, f"INFO {worked.tracking_number} Burichang union")
    officer.post(act, {"action": "note", "note": "called the union office"})
    officer.post(act, {"action": "resolve", "note": "Paid on 20 November through Nagad"})
    deliver_complaint_updates(worked.id)
    session.expire_all()
    for message in session.scalars(select(Message).where(Message.template != "reply")):
        apply_receipt(session, message, MessageStatus.DELIVERED, "")
    officer.post(f"/staff/cases/{worked.tracking_number}/phone")

    moved_by = make_citizen(session, mobile="+8801812345670")
    moved = _filed(session, moved_by, phone=moved_by.mobile, category=Category.WRONG_DATA)
    transferrer = staff_client(users["admin"])
    transferrer.post(
        f"/staff/cases/{moved.tracking_number}/act",
        {"action": "transfer", "to": "MOFOOD", "note": "a food programme"},
    )
    late_by = make_citizen(session, mobile="+8801912345671")
    late = _filed(session, late_by, phone=late_by.mobile, category=Category.AMOUNT_SHORT)
    from grievance.jobs import escalate_breached

    escalate_breached((dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).isoformat())
    session.expire_all()
    redis = redis_connection(app)
    _clear_ussd_counts(redis)
    _count_ussd_week(redis)
    aggregates.refresh(session, redis)
    signal_store.refresh(session)
    yield {"users": users, "worked": worked, "moved": moved, "late": late}
    _clear_ussd_counts(redis)


def _data_texts(session) -> list[str]:
    """What the data says verbatim (what a citizen or an officer wrote, people's and outlets'
    names, the SMS as sent): shown as it is, in whatever language it was written."""
    texts: list[str] = []
    for name_en, name_bn in session.execute(select(Citizen.name_en, Citizen.name_bn)):
        # The signals show a name by its initials ("R. B."), in each script.
        texts += [name_en or "", name_bn or "", mask_name(name_en) or "", mask_name(name_bn) or ""]
    for name_en, name_bn in session.execute(select(Outlet.name_en, Outlet.name_bn)):
        texts += [name_en or "", name_bn or ""]
    texts += list(session.scalars(select(StaffUser.name)))
    texts += [t for t in session.scalars(select(Grievance.text)) if t]
    texts += [t for t in session.scalars(select(Message.text)) if t]
    staff_notes = select(GrievanceEvent.note).where(
        GrievanceEvent.actor.like("staff:%"), GrievanceEvent.note.is_not(None)
    )
    texts += list(session.scalars(staff_notes))
    for detail in session.scalars(select(StaffAudit.detail)):
        texts += [str(detail.get("note") or "")]
    said = select(GrievanceEvent.note).where(GrievanceEvent.actor == "citizen", GrievanceEvent.note.is_not(None))
    for note in session.scalars(said):
        texts += [note.split(": ", 1)[-1]]
    return sorted({" ".join(t.split()) for t in texts if t and t.strip()}, key=len, reverse=True)


def _pages(role: str, demo) -> list[tuple[str, str]]:
    worked, moved, late = (demo[k].tracking_number for k in ("worked", "moved", "late"))
    queue = [
        ("queue", "/staff/"),
        ("queue filtered", "/staff/?status=all&sla=overdue&sort=activity&mine=1&waiting=1&programme=OAA"),
        ("queue by district", "/staff/?status=all&district=Cumilla&category=payment_not_received&sort=filed"),
        ("queue unknown district", "/staff/?district=Comila"),
        ("queue search", f"/staff/?q={worked}&status=all"),
        ("queue search finding nothing", "/staff/?q=Nobody%20Atall"),
        ("queue search by name", "/staff/?q=a&status=all"),
        ("queue search too long", "/staff/?q=" + "x" * 300),
    ]
    pages = [("dashboard", "/staff/dashboard"), ("password", "/staff/password"), ("not found", "/staff/cases/1")]
    if role != "monitoring":
        pages = queue + pages
    if role in ("officer", "admin"):
        pages += [("case worked", f"/staff/cases/{worked}")]
    if role == "admin":
        pages += [("case transferred", f"/staff/cases/{moved}"), ("case escalated", f"/staff/cases/{late}")]
    if role == "gro":
        pages += [("case escalated", f"/staff/cases/{late}")]
    if role in ("monitoring", "coordinator", "admin"):
        pages += [("signals", "/staff/signals")]
    if role in ("monitoring", "admin"):
        pages += [("dashboard of a ministry", "/staff/dashboard?scope=ministry:MOSW")]
    return pages


# -- the checks -----------------------------------------------------------------------------
def _raw_values(session) -> list[str]:
    """Values a page must name, never show: statuses, categories, deadline states, actions,
    actors, USSD screens and journeys, and the codes of programmes and ministries (which have
    names)."""
    values = {s.value for s in Status} | {c.value for c in Category} | set(SLA_STATES)
    values |= {a.value for a in Action} | {"start", "reveal_phone", "router", "sla-clock", "outbox"}
    values |= set(JOURNEYS) | set(USSD_WEEK) | {funnel.journey for funnel in screen_counts.FUNNELS}
    values |= set(session.scalars(select(Programme.code))) | set(session.scalars(select(Ministry.code)))
    return sorted(values)


STAFF_ACTOR = re.compile(r"(?<![A-Za-z])staff:\d+")


def _problems_bn(
    text: str, data: list[str], catalogue: dict[str, str], raw: list[str], latin: bool = True
) -> list[str]:
    """What is not Bangla on a Bangla page; ``latin=False`` also refuses any Latin letter."""
    for verbatim in data:
        text = text.replace(verbatim, " ")
    problems = []
    for msgid, msgstr in catalogue.items():
        if msgstr == msgid:
            continue
        fragments = _fragments(msgid)
        if fragments and all(_as_word(f).search(text) for f in fragments):
            problems.append(f"untranslated: {msgid!r}")
    problems += [f"raw value: {value!r}" for value in raw if _as_word(value).search(text)]
    problems += [f"actor id: {m!r}" for m in STAFF_ACTOR.findall(text)]
    for line in text.split("\n"):
        if ASCII_DIGIT.search(line):
            problems.append(f"ASCII digits: {line.strip()!r}")
        if not latin and LATIN.search(line):
            problems.append(f"Latin script: {line.strip()!r}")
    if "UTC" in text:
        problems.append("UTC")
    return problems


def _problems_en(text: str, data: list[str], raw: list[str]) -> list[str]:
    for verbatim in data:
        text = text.replace(verbatim, " ")
    problems = [f"Bengali script: {line.strip()!r}" for line in text.split("\n") if BENGALI.search(line)]
    # In English a status may read as its own value ("resolved"); what has an underscore, a
    # colon or a code's capitals is never English.
    codes = [v for v in raw if "_" in v or "-" in v or v.isupper() or v == "router" or not v.islower()]
    problems += [f"raw value: {value!r}" for value in codes if _as_word(value).search(text)]
    problems += [f"actor id: {m!r}" for m in STAFF_ACTOR.findall(text)]
    if "UTC" in text:
        problems.append("UTC")
    return problems


def _render_all(session, staff_client, demo, role: str, language: str) -> dict[str, list[str]]:
    user = demo["users"][role]
    user.language = language
    session.commit()
    client = staff_client(user)
    data, raw = _data_texts(session), _raw_values(session)
    catalogue = _catalogue()
    found: dict[str, list[str]] = {}
    for name, path in _pages(role, demo):
        response = client.get(path)
        assert response.status_code in (200, 400, 404), (name, response.status_code)
        assert response.mimetype == "text/html", name
        lang, text = visible_text(response.get_data(as_text=True))
        problems = [] if lang == language else [f"<html lang={lang!r}>"]
        # What the user typed in the search box is shown back as typed.
        typed = [q for q in parse_qs(urlsplit(path).query).get("q", []) if len(q) < 100]
        shown = [*typed, *data]
        if language == "bn":
            problems += _problems_bn(text, shown, catalogue, raw, latin=name not in NO_LATIN_IN_BANGLA)
        else:
            problems += _problems_en(text, shown, raw)
        if problems:
            found[name] = problems
    return found


def _judge(found: dict[str, list[str]]) -> None:
    assert not found, "\n".join(f"{page}: {p}" for page, problems in found.items() for p in problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_wholly_bangla_for_a_bangla_user(session, staff_client, demo, role):
    _judge(_render_all(session, staff_client, demo, role, "bn"))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_wholly_english_for_an_english_user(session, staff_client, demo, role):
    _judge(_render_all(session, staff_client, demo, role, "en"))


@pytest.mark.parametrize(("language", "lang"), [("bn", "bn"), ("en", "en")])
def test_the_sign_in_page_and_its_refusal_speak_the_chosen_language(staff_client, session, language, lang):
    client = staff_client()
    catalogue = _catalogue()
    for response in (
        client.get(f"/staff/login?lang={language}"),
        client.post(f"/staff/login?lang={language}", {"email": "nobody@example.gov.bd", "password": "wrong"}),
    ):
        page_lang, text = visible_text(response.get_data(as_text=True))
        assert page_lang == lang
        problems = _problems_bn(text, [], catalogue, []) if language == "bn" else _problems_en(text, [], [])
        assert not problems, problems


def test_open_data_serves_no_html_page_to_check(client):
    """The open-data pages are CSV, JSON and Markdown: nothing there is a staff HTML page."""
    for path in ("/open-data/", "/open-data/grievances.csv", "/open-data/signals.csv"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype != "text/html", path


def test_the_checker_sees_english_digits_enums_and_utc_it_is_meant_to_catch():
    """The checks themselves: a Bangla page with each fault is caught, a clean one is not."""
    catalogue = {"Acknowledge": "স্বীকার করুন", "%(count)s complaint(s) acknowledged.": "%(count)sটি অভিযোগ স্বীকৃত।"}
    page = '<html lang="bn"><body><p title="Acknowledge">৫টি</p><p>{}</p></body></html>'
    for fault, why in (
        ("3 complaint(s) acknowledged.", "untranslated"),
        ("due_soon", "raw value"),
        ("staff:12", "actor id"),
        ("১২:৩০ UTC", "UTC"),
        ("১২:30", "ASCII digits"),
    ):
        _lang, text = visible_text(page.format(fault))
        assert any(p.startswith(why) for p in _problems_bn(text, [], catalogue, ["due_soon"])), fault
    _lang, text = visible_text('<html lang="bn"><p>৫টি অভিযোগ</p><button lang="en">English</button></html>')
    assert _problems_bn(text, [], catalogue, ["due_soon"]) == []
    # Where no Latin letter may be, one outside an element of its own language is caught.
    _lang, text = visible_text('<html lang="bn"><p>যে USSD স্ক্রিন</p><span lang="en">DLR-7</span></html>')
    assert _problems_bn(text, [], catalogue, [], latin=False) == ["Latin script: 'যে USSD স্ক্রিন'"]
    assert _problems_bn(text, [], catalogue, []) == []
