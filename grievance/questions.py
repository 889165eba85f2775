"""The yes/no questions a phone was asked by SMS, and the one way a bare "1" or "2" is read.

A phone may have several questions open at once ("is your complaint resolved?", "did you
receive Tk 600?", "not you? reply 2"). A reply answers the one that phone was asked last
and that is still open; once that one is answered, the next reply answers the one before.

Whoever sends a question calls ``ask`` in the transaction that records its SMS (or, on
PostgreSQL, writes ``ASK_PART`` in the SMS's own statement), so a question is open exactly
when its message is on its way. What an answer does is the rule
of the domain that owns the subject: each kind's handler is registered for the app by the
composition root (``register``), from the module that owns that rule
(grievance.citizen_answers for complaints and payments).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Insert, Update, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session

from foundation.db import connection_of
from foundation.hot_select import HotStatement
from foundation.privacy import phone_hash, phone_hashes
from grievance.models import Channel, CitizenQuestion, QuestionKind, utcnow

log = logging.getLogger(__name__)

Outcome = TypeVar("Outcome", bound=enum.Enum)


class NoQuestion(enum.Enum):
    NOTHING_TO_ANSWER = "nothing to answer"  # no open question of this phone's


@dataclass(frozen=True)
class Answered(Generic[Outcome]):
    """What the answer did, and to which complaint (None when it did nothing to one)."""

    outcome: Outcome
    tracking_number: str | None = None
    locale: str | None = None  # the language the question was asked in, for a sender the registry does not know


# (session, the question, the sender's phone in E.164, yes?, the channel) -> what it did, or
# None when the question no longer applies (its complaint was closed meanwhile): the answer
# then goes to the phone's next open question. A handler writes in the caller's transaction
# and may commit it.
Handler = Callable[[Session, CitizenQuestion, str, bool, Channel], "Answered | None"]


def register(app: Flask, kind: QuestionKind, handler: Handler) -> None:
    """Have ``handler`` decide what an answer to a question of ``kind`` does, in this app."""
    app.extensions.setdefault("grievance.questions", {})[kind] = handler


def handlers(app: Flask | None = None) -> dict[QuestionKind, Handler]:
    return (app or current_app).extensions.get("grievance.questions", {})


def ask(
    session: Session,
    phone: str,
    kind: QuestionKind,
    subject_id: int,
    locale: str,
    open_for: dt.timedelta,
    *,
    first_asking: bool = False,
) -> int:
    """Record that ``phone`` (E.164) is asked ``kind`` about ``subject_id``, open for
    ``open_for``; the caller records the SMS and commits. An earlier question of the same
    kind about the same subject is closed: only the newest asking can be answered (with
    ``first_asking`` the caller knows there is none: a subject just created). Returns
    the question's id. One plain insert: every SMS that asks something records one."""
    now = utcnow() if first_asking else close(session, kind, subject_id)
    [(question_id,)], _ = _INSERT_QUESTION.run(
        connection_of(session),
        phone_hash=phone_hash(phone),
        kind=kind,
        subject_id=subject_id,
        locale=locale,
        asked_at=now,
        open_until=now + open_for,
    )
    return question_id


# On the driver's cursor (foundation.hot_select): every SMS that asks something records one.
_INSERT_QUESTION = HotStatement(
    insert(CitizenQuestion.__table__).returning(CitizenQuestion.__table__.c.id),
    "phone_hash",
    "kind",
    "subject_id",
    "locale",
    "asked_at",
    "open_until",
)


# The same insert as a part of a caller's own statement: notices records a redemption's SMS
# and the question it asks in one round trip on PostgreSQL (a data-modifying WITH). Every
# value is given, each parameter named apart from the columns and from the SMS's.
ASK_PART = insert(CitizenQuestion.__table__).values(
    phone_hash=bindparam("q_phone_hash"),
    kind=bindparam("q_kind"),
    subject_id=bindparam("q_subject_id"),
    locale=bindparam("q_locale"),
    asked_at=bindparam("q_asked_at"),
    open_until=bindparam("q_open_until"),
)
ASK_PART_PARAMETERS = ("q_phone_hash", "q_kind", "q_subject_id", "q_locale", "q_asked_at", "q_open_until")


def ask_part_when(when: ColumnElement[bool]) -> Insert:
    """``ASK_PART`` inserting only where ``when`` holds (a statement whose own write may find
    nothing to do: the question is asked with that write or not at all)."""
    table = CitizenQuestion.__table__
    columns = [name.removeprefix("q_") for name in ASK_PART_PARAMETERS]
    row = select(*(cast(bindparam("q_" + name, type_=table.c[name].type), table.c[name].type) for name in columns))
    return insert(table).from_select(columns, row.where(when))


def ask_part_values(
    phone: str, kind: QuestionKind, subject_id: int, locale: str, open_for: dt.timedelta, now: dt.datetime
) -> dict[str, object]:
    """``ASK_PART``'s parameters: ``ask`` with ``first_asking``, as one part of a statement."""
    return {
        "q_phone_hash": phone_hash(phone),
        "q_kind": kind,
        "q_subject_id": subject_id,
        "q_locale": locale,
        "q_asked_at": now,
        "q_open_until": now + open_for,
    }


def answer(
    session: Session, phone: str, said_yes: bool, channel: Channel, *, kind: QuestionKind | None = None
) -> Answered:
    """Answer the question ``phone`` was asked last that is still open (of ``kind`` only, when
    given); commits. Returns ``NoQuestion.NOTHING_TO_ANSWER`` when the phone has no open
    question (or none with a handler in this app)."""
    known = handlers()
    skipped: list[int] = []
    while True:
        question = _latest_open(session, phone, skipped, kind, said_yes)
        if question is None:
            session.commit()  # questions found stale are closed all the same
            return Answered(NoQuestion.NOTHING_TO_ANSWER)
        handler = known.get(question.kind)
        if handler is None:
            log.warning("no handler for %s questions: question %s left open", question.kind.value, question.id)
            skipped.append(question.id)
            continue
        question.answered_at, question.answer = utcnow(), said_yes
        _rehash(question, phone)
        answered = handler(session, question, phone, said_yes, channel)
        if answered is not None:
            session.commit()
            return answered
        # Its subject moved on (a complaint closed meanwhile): the question closes unanswered.
        question.answered_at, question.answer = None, None
        question.open_until = utcnow()
        session.flush()


def open_question(session: Session, phone: str, kind: QuestionKind, subject_id: int) -> CitizenQuestion | None:
    """This phone's open question of ``kind`` about ``subject_id``, if it has one."""
    return session.scalars(
        _open(phone).where(CitizenQuestion.kind == kind, CitizenQuestion.subject_id == subject_id).limit(1)
    ).first()


def close(session: Session, kind: QuestionKind, subject_id: int, *, beside_answers: bool = False) -> dt.datetime:
    """No question of ``kind`` about ``subject_id`` may be answered any more (its subject was
    settled another way, or it is asked again); the caller commits. Returns when. With
    ``beside_answers``, one being answered right now is left to its answer
    (``CLOSE_PART_BESIDE_ANSWERS``)."""
    now = utcnow()
    closing = _CLOSE_BESIDE_ANSWERS if beside_answers else _CLOSE
    closing.run(connection_of(session), **close_part_values(session, kind, subject_id, now))
    forget_closed(session, kind, subject_id)
    return now


def close_part_values(session: Session, kind: QuestionKind, subject_id: int, now: dt.datetime) -> dict[str, object]:
    """``CLOSE_PART``'s parameters, for a caller that closes questions in a statement of its
    own (then ``forget_closed``). The session is flushed first, as the ORM would before an
    UPDATE: an answer being recorded is not "open"."""
    session.flush()
    return {"b_kind": kind, "b_subject_id": subject_id, "b_now": now}


def forget_closed(session: Session, kind: QuestionKind, subject_id: int) -> None:
    """After the closing: any of the rows loaded in this session reads its new deadline when
    next used (cheaper than the ORM's own synchronisation of an UPDATE, which every SMS that
    asks a question paid)."""
    for loaded in list(session.identity_map.values()):
        if not isinstance(loaded, CitizenQuestion):
            continue
        # What is loaded of it: reading an expired attribute would query the database (and
        # begin a transaction), while an expired row reads its deadline afresh anyway.
        values = vars(loaded)
        if values.get("kind", kind) == kind and values.get("subject_id", subject_id) == subject_id:
            session.expire(loaded, ["open_until"])


_QUESTIONS = CitizenQuestion.__table__


def _close_part(beside_answers: bool) -> Update:
    open_about_subject = (
        _QUESTIONS.c.kind == bindparam("b_kind"),
        _QUESTIONS.c.subject_id == bindparam("b_subject_id"),
        _QUESTIONS.c.answered_at.is_(None),
        _QUESTIONS.c.open_until > bindparam("b_now"),
    )
    closing = update(_QUESTIONS).values(open_until=bindparam("b_now"))
    if not beside_answers:
        return closing.where(*open_about_subject)
    unlocked = select(_QUESTIONS.c.id).where(*open_about_subject).with_for_update(skip_locked=True)
    return closing.where(_QUESTIONS.c.id.in_(unlocked))


# Also a part of a caller's own statement, as ``ASK_PART`` is. A question being answered
# right now is locked by its answer (``_latest_open``): the closing waits for it, then closes
# it if the answer left it open (rolled back).
CLOSE_PART = _close_part(beside_answers=False)
# The same, passing over a question whose answer is being recorded, for a caller that holds
# the answer's subject locked: a redemption's confirm closes the code's question while it
# holds the redemption, and a "2" to that question holds the question, then waits for the
# redemption; waiting would deadlock. The "2", let through once the confirm commits, then
# finds the redemption completed (grievance.redemption_answers). If that answer rolls back
# instead, the question stays open until it lapses, behind the receipt's newer one.
# (SQLite has no row locks: there the subquery is a plain one.)
CLOSE_PART_BESIDE_ANSWERS = _close_part(beside_answers=True)
CLOSE_PART_PARAMETERS = ("b_kind", "b_subject_id", "b_now")


def close_part_when(when: ColumnElement[bool], *, beside_answers: bool = False) -> Update:
    """``CLOSE_PART`` (or ``CLOSE_PART_BESIDE_ANSWERS``) closing only where ``when`` holds."""
    return (CLOSE_PART_BESIDE_ANSWERS if beside_answers else CLOSE_PART).where(when)


# On the driver's cursor: every re-asking closes the earlier question.
_CLOSE = HotStatement(CLOSE_PART, *CLOSE_PART_PARAMETERS)
_CLOSE_BESIDE_ANSWERS = HotStatement(CLOSE_PART_BESIDE_ANSWERS, *CLOSE_PART_PARAMETERS)


def _open(phone: str):
    return (
        select(CitizenQuestion)
        .where(
            CitizenQuestion.phone_hash.in_(phone_hashes(phone)),
            CitizenQuestion.answered_at.is_(None),
            CitizenQuestion.open_until > utcnow(),
        )
        .order_by(CitizenQuestion.asked_at.desc(), CitizenQuestion.id.desc())
    )


def _latest_open(
    session: Session, phone: str, skipped: list[int], kind: QuestionKind | None, said_yes: bool
) -> CitizenQuestion | None:
    # Locked: the same "2" delivered twice at once (a provider's retry) answers once; the
    # second waits, then finds the question answered.
    query = _open(phone)
    if kind is not None:
        query = query.where(CitizenQuestion.kind == kind)
    if said_yes:  # a "1" passes by the questions that offer only "2"
        query = query.where(CitizenQuestion.kind.in_([k for k in QuestionKind if k.takes_yes]))
    if skipped:
        query = query.where(CitizenQuestion.id.not_in(skipped))
    return session.scalars(query.limit(1).with_for_update()).first()


def _rehash(question: CitizenQuestion, phone: str) -> None:
    """A question asked under an earlier phone key moves to the current one as it is answered."""
    current, *earlier = phone_hashes(phone)
    if question.phone_hash in earlier:
        question.phone_hash = current
