"""One intake for every channel: a complaint, its first trail entry and its outbox work are
committed together before the citizen is told "received"."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, Select, bindparam, insert, select
from sqlalchemy.orm import Session

from foundation.db import connection_of
from foundation.hot_select import HotSelect
from foundation.privacy import phone_hashes
from grievance.models import Category, Channel, Grievance, GrievanceEvent, OutboxEntry, Status, utcnow
from grievance.status import citizen_notice, record
from grievance.tracking import is_valid, new_tracking_number
from registry.models import Citizen

DUPLICATE_WINDOW = dt.timedelta(hours=24)
MAX_TEXT = 200

# Words that say someone asked for money or a bribe, in Bangla, romanized Bangla and English.
# Bangla letters are not "word" characters to \b (vowel signs are combining marks), hence
# the explicit spaces. "টাকার চেয়ে কম" (less than ... taka) and "টাকা চাই" (I want my money)
# are a citizen's underpayment, not a demand, and do not match.
_MONEY_DEMANDED = re.compile(
    unicodedata.normalize(
        "NFC",
        r"""
        ঘুষ | ঘুস | উৎকোচ | bribe | kickback | speed\s+money | \bgh(?:u|oo)s
        | (?<![^\s\d০-৯]) (?:টাকা|taka|tk|money) \S* \s+ (?:\S+\s+){0,2}?
          (?: চেয়ে(?:ছে|ছেন|ছিল|ছিলেন) | চায় | চাচ্ছে | চাইছে | চাইল | চাইলো | চাইলেন | দাবি | দিতে\s+বল
            | নিয়েছে | নিয়েছেন | নিল | নিলো
            | chey(?:ech|s|ic|il) | cha(?:y|i\S) | chacche | dabi | dite\s+bol | nise | niyeche | nilo
            | demanded | asked )
        | \b(?:ask|asks|asked|asking|demand|demands|demanded|demanding|took|takes|taking) \s+ (?:for\s+)?
          (?:a\s+|some\s+|extra\s+|more\s+)? (?:[\d,]+\s*)? (?:money|taka|tk|cash|fee|commission)\b
        """,
    ),
    re.IGNORECASE | re.VERBOSE,
)


def mentions_money_demanded(text: str | None) -> bool:
    """Whether a complaint's own words report a demand for money (a bribe, "speed money")."""
    return bool(text) and _MONEY_DEMANDED.search(unicodedata.normalize("NFC", text)) is not None


def category_for(chosen: Category, text: str | None) -> Category:
    """The category a complaint is filed under: the citizen's choice, unless its words report
    a demand for money, which makes it a bribe report on every channel (an SMS complaint
    comes as "other"; a citizen asked for a cut may choose "paid less"). Misreading an
    underpayment costs it a slower answer from the ministry's redress officer; misreading a
    bribe report puts the complainant's name before the office that asked for the bribe."""
    if chosen.sensitive or not mentions_money_demanded(text):
        return chosen
    return Category.BRIBE_OR_HARASSMENT


@dataclass(frozen=True)
class Filing:
    phone: str  # E.164
    category: Category
    programme_code: str | None
    text: str | None
    channel: Channel
    locale: str
    citizen_id: int | None = None
    # What the complaint is about when a citizen's answer files it: the payment they deny
    # receiving, the redemption they dispute.
    payment_id: int | None = None
    redemption_id: int | None = None


@dataclass(frozen=True)
class Filed:
    id: int
    tracking_number: str
    duplicate: bool  # True: the same complaint was filed in the last 24 hours; this is that one
    session: Session

    @property
    def grievance(self) -> Grievance:
        """The whole complaint, loaded only when asked for: the citizen is told the number."""
        return self.session.get_one(Grievance, self.id)


def file_grievance(session: Session, filing: Filing, actor: str = "citizen") -> Filed:
    """File a complaint, or return the same one filed in the last 24 hours.

    ``session`` must be transactional (not autocommit): the complaint, its trail and its
    outbox entries are committed together or not at all."""
    # Written under the current key; a twin filed under an earlier key (before a key
    # rotation) still counts as the same complaint.
    hashed, *earlier = phone_hashes(filing.phone)
    text = (filing.text or "").strip()[:MAX_TEXT] or None
    category = category_for(filing.category, text)
    connection = session.connection()
    # The id first: nearly every filing is new, and loading a whole complaint to learn that
    # there is none costs more than the query.
    existing_id = connection.execute(
        _twin_query(
            filing.programme_code is None,
            _only_words_tell(category, filing.programme_code),
            text is None,
            filing.payment_id is not None or filing.redemption_id is not None,
        ),
        {
            "hashes": [hashed, *earlier],
            "category": category,
            "programme": filing.programme_code,
            "text": text,
            "since": utcnow() - DUPLICATE_WINDOW,
            "payment_id": filing.payment_id,
            "redemption_id": filing.redemption_id,
        },
    ).scalar()
    if existing_id is not None:
        existing = session.get_one(Grievance, existing_id)
        if text and text != existing.text:
            # The same complaint told again in other words: the words join its trail, so
            # nothing the citizen wrote is lost (the office reads them on the case page).
            record(session, existing, existing.status, actor, f"the citizen wrote again: {text}", tell_citizen=False)
            session.commit()
        return Filed(existing.id, existing.tracking_number, duplicate=True, session=session)
    # A new complaint is three plain inserts on the session's connection, each built once (the
    # ORM's unit of work, and building the statements per call, would cost more than running
    # them): the complaint, its first trail entry and its outbox work, in one transaction.
    place = connection.execute(_CITIZEN_PLACE, {"id": filing.citizen_id}).first() if filing.citizen_id else None
    tracking_number = _free_tracking_number(connection)
    grievance_id = connection.execute(
        _INSERT_GRIEVANCE,
        {
            "tracking_number": tracking_number,
            "citizen_id": filing.citizen_id,
            "phone_hash": hashed,
            "contact_phone": filing.phone,
            "programme_code": filing.programme_code,
            "category": category,
            "text": text,
            "channel": filing.channel,
            "locale": filing.locale,
            "district_id": place.district_id if place else None,
            "upazila_id": place.upazila_id if place else None,
            "status": Status.RECEIVED,
            "tier": 1,
            "payment_id": filing.payment_id,
            "redemption_id": filing.redemption_id,
        },
    ).scalar_one()
    note = None
    if category is not filing.category:
        note = f"filed as {filing.category.value}; its text reports a demand for money: a bribe report"
    connection.execute(
        _INSERT_EVENT,
        {"grievance_id": grievance_id, "actor": actor, "from_status": None, "to_status": Status.RECEIVED, "note": note},
    )
    connection.execute(
        _INSERT_OUTBOX,
        [
            citizen_notice(grievance_id, Status.RECEIVED, filing.locale, tracking_number),
            {"kind": "route_grievance", "grievance_id": grievance_id, "payload": {}},
        ],
    )
    session.commit()
    # Only now, after the commit, may a worker see it (and if Redis is down, the sweeper will).
    from grievance.jobs import dispatch

    dispatch([("notify_citizen", grievance_id), ("route_grievance", grievance_id)])
    return Filed(grievance_id, tracking_number, duplicate=False, session=session)


def _only_words_tell(category: Category, programme_code: str | None) -> bool:
    """A complaint about no programme under "other" (every SMS complaint) is told apart from
    another only by its words: two of them the same day with other words are two complaints."""
    return category is Category.OTHER and programme_code is None


@functools.cache
def _twin_query(no_programme: bool, words_tell: bool, no_text: bool, linked: bool = False) -> Select:
    """The same complaint from the same phone in the last 24 hours: one statement per shape.
    A complaint about a payment or a redemption (an answer filed it) is the same only as one
    about that same payment or redemption: denying July's payment is not last week's complaint."""
    query = select(Grievance.id).where(
        Grievance.phone_hash.in_(bindparam("hashes", expanding=True)),
        Grievance.category == bindparam("category"),
        Grievance.programme_code.is_(None) if no_programme else Grievance.programme_code == bindparam("programme"),
        Grievance.created_at >= bindparam("since"),
    )
    if words_tell:
        query = query.where(Grievance.text.is_(None) if no_text else Grievance.text == bindparam("text"))
    if linked:
        query = query.where(
            Grievance.payment_id.is_not_distinct_from(bindparam("payment_id")),
            Grievance.redemption_id.is_not_distinct_from(bindparam("redemption_id")),
        )
    return query.order_by(Grievance.id).limit(1)


_CITIZEN_PLACE = select(Citizen.district_id, Citizen.upazila_id).where(Citizen.id == bindparam("id"))
_TRACKING_NUMBER_TAKEN = select(Grievance.id).where(Grievance.tracking_number == bindparam("number"))
_INSERT_GRIEVANCE = insert(Grievance.__table__).returning(Grievance.__table__.c.id)
_INSERT_EVENT = insert(GrievanceEvent.__table__)
_INSERT_OUTBOX = insert(OutboxEntry.__table__)


def _free_tracking_number(connection: Connection) -> str:
    """A random number not yet used. Two filings drawing the same one of 90 million in the
    same instant would meet the unique constraint, and the second would fail cleanly."""
    for _attempt in range(10):
        number = new_tracking_number()
        if connection.execute(_TRACKING_NUMBER_TAKEN, {"number": number}).first() is None:
            return number
    raise RuntimeError("could not draw a free tracking number")


@dataclass(frozen=True)
class ComplaintStatus:
    tracking_number: str
    status: Status
    filed_at: dt.datetime


# A citizen asks "where is my complaint?" on USSD and SMS: one prepared select
# (foundation.hot_select), not the whole complaint through the ORM.
_STATUS_BY_NUMBER = HotSelect(
    select(Grievance.tracking_number, Grievance.status, Grievance.created_at)
    .where(Grievance.tracking_number == bindparam("number"))
    .limit(1),
    "number",
)


def status_by_tracking_number(db: Session | Connection, number: str) -> ComplaintStatus | None:
    """What a citizen may be told of a complaint by its number; None for a number whose
    check digit is wrong, as for one that does not exist."""
    if not is_valid(number):
        return None
    row = _STATUS_BY_NUMBER.first(connection_of(db), number=number)
    return ComplaintStatus(*row) if row else None


def find_by_tracking_number(session: Session, number: str) -> Grievance | None:
    """None for a number whose check digit is wrong, as for one that does not exist."""
    if not is_valid(number):
        return None
    return session.scalars(select(Grievance).where(Grievance.tracking_number == number)).first()
