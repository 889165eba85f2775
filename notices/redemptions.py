"""The SMS a redemption sends the beneficiary: the code when an outlet starts one, the receipt
once it is debited.

Listeners of the registry's redemption hooks (registry.events, subscribed by the composition
root): each records its message in the redemption's own transaction, so a redemption and
its SMS commit together, and queues the sending once it has committed (outbound_sms's
sweeper sends any whose queueing failed). Both go out whatever the phone said to STOP: the
code is what the beneficiary asked the outlet for, and the receipt is how they learn of a
redemption they did not make.

Each text says where and what and fits 2 SMS parts in every locale: an outlet's name is
shortened (never the code, the quantity or the warning) when a long one would not fit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, null, select
from sqlalchemy.orm import Session

from foundation.db import connection_of
from foundation.hot_select import HotStatement
from foundation.i18n import translate
from foundation.wording import wording
from foundation.write_parts import PartShape, WritePart
from grievance import questions
from grievance.models import QuestionKind
from outbound_sms.encoding import strictest
from outbound_sms.sending import (
    MESSAGE_PART,
    MESSAGE_PART_PARAMETERS,
    NewMessage,
    create_messages,
    message_part_values,
    message_part_when,
    wake_sender,
)
from registry.events import RedemptionNotice
from registry.labels import unit_label
from registry.redemption_labels import outlet_name

MAX_PARTS = 2
# "Not you? Reply 2" can be answered while the code is valid, and for 7 days after a receipt.
CODE_QUESTION_OPEN_FOR = dt.timedelta(minutes=10)
RECEIPT_QUESTION_OPEN_FOR = dt.timedelta(days=7)


def _fit(compose: Callable[[str], str], name: str) -> str:
    """``compose(name)`` with the name cut until the text fits 2 parts. A Latin name is cut
    with "..." (a "…" would turn a GSM-7 text into UCS-2 and halve its room)."""
    text = compose(name)
    ellipsis = "..." if name.isascii() else "…"
    cut = name
    while strictest(text).segments > MAX_PARTS and cut:
        cut = cut[: max(len(cut) - 4, 0)].rstrip()
        text = compose(cut + ellipsis if cut else "")
    return text


def code_text(locale: str, outlet: str, quantity: Decimal, unit: str, code: str) -> str:
    w = wording(locale)
    what = w.quantity(quantity, unit_label(locale, unit))
    return _fit(
        lambda name: translate(
            locale,
            "%(outlet)s asks to give you %(what)s. Code %(code)s, valid 10 min. Share it only if you are "
            "there now. Not you? Reply 2.",
            outlet=name,
            what=what,
            code=w.digits(code),
        ),
        outlet,
    )


def receipt_text(locale: str, outlet: str, quantity: Decimal, unit: str, balance: Decimal) -> str:
    w = wording(locale)
    label = unit_label(locale, unit)
    return _fit(
        lambda name: translate(
            locale,
            "You were given %(what)s at %(outlet)s. E-token left: %(balance)s. Not you? Reply 2 within 7 days.",
            outlet=name,
            what=w.quantity(quantity, label),
            balance=w.quantity(balance, label),
        ),
        outlet,
    )


def _draft(
    session: Session,
    notice: RedemptionNotice,
    kind: str,
    compose: Callable[[str, str], str],
    question: QuestionKind,
    open_for: dt.timedelta,
    settles: QuestionKind | None = None,
) -> list[int]:
    subject = notice.redemption_id
    if not notice.mobile:
        # No phone to ask now (the number was removed since the start): the settled
        # question is closed all the same, so a "2" from the old phone disputes nothing.
        if settles is not None:
            questions.close(session, settles, subject, beside_answers=True)
        return []
    message = _message(notice, kind, compose)
    # The SMS asks "not you? reply 2": the question opens with it, in the same transaction.
    # Each is sent once per redemption (the code when it starts, the receipt when it
    # completes), so no earlier asking of it can be open; ``settles`` is the redemption's
    # earlier question that this one replaces (the receipt's settles the code's).
    connection = connection_of(session)
    if connection.dialect.name == "postgresql":
        return _recorded_together(session, message, question, subject, open_for, settles)
    if settles is not None:
        questions.close(session, settles, subject, beside_answers=True)
    questions.ask(session, notice.mobile, question, subject, message.locale, open_for, first_asking=True)
    return create_messages(session, [message])


def _message(notice: RedemptionNotice, kind: str, compose: Callable[[str, str], str]) -> NewMessage:
    assert notice.mobile is not None
    locale = notice.language
    text = compose(locale, outlet_name(locale, notice.outlet_name_en, notice.outlet_name_bn))
    subject = notice.redemption_id
    return NewMessage(notice.mobile, text, locale, f"redemption_{kind}", f"redemption:{subject}:{kind}")


# On PostgreSQL the question (and the closing of the one it replaces) and the SMS are one
# statement, a round trip where SQLite takes two or three: every redemption call writes them.
_ASK_AND_RECORD = HotStatement(
    MESSAGE_PART.add_cte(questions.ASK_PART.cte("asked")),
    *questions.ASK_PART_PARAMETERS,
    *MESSAGE_PART_PARAMETERS,
)
# The receipt's statements close the code's question while the confirm holds the redemption:
# beside an answer being recorded (grievance.questions.CLOSE_PART_BESIDE_ANSWERS).
_SETTLE_ASK_AND_RECORD = HotStatement(
    MESSAGE_PART.add_cte(questions.CLOSE_PART_BESIDE_ANSWERS.cte("settled"), questions.ASK_PART.cte("asked")),
    *questions.CLOSE_PART_PARAMETERS,
    *questions.ASK_PART_PARAMETERS,
    *MESSAGE_PART_PARAMETERS,
)


def _recorded_together(
    session: Session,
    message: NewMessage,
    question: QuestionKind,
    subject: int,
    open_for: dt.timedelta,
    settles: QuestionKind | None,
) -> list[int]:
    now = questions.utcnow()  # the questions' own clock, as ``questions.ask`` reads it
    values = {
        **questions.ask_part_values(message.phone, question, subject, message.locale, open_for, now),
        **message_part_values(message),
    }
    if settles is None:
        rows, _ = _ASK_AND_RECORD.run(connection_of(session), **values)
    else:
        values |= questions.close_part_values(session, settles, subject, now)
        rows, _ = _SETTLE_ASK_AND_RECORD.run(connection_of(session), **values)
        questions.forget_closed(session, settles, subject)
    return [row[0] for row in rows]


def _code_composer(notice: RedemptionNotice, code: str) -> Callable[[str, str], str]:
    return lambda locale, name: code_text(locale, name, notice.quantity, notice.unit, code)


def record_code_sms(session: Session, notice: RedemptionNotice, code: str) -> list[int]:
    """The code to the beneficiary's phone (the registry keeps only its HMAC)."""
    return _draft(
        session, notice, "code", _code_composer(notice, code), QuestionKind.REDEMPTION_CODE, CODE_QUESTION_OPEN_FOR
    )


# The code's SMS and its question as a part of the registry's insert of the redemption
# (foundation.write_parts), on PostgreSQL: an outlet app's start is one statement.
_MESSAGE = MESSAGE_PART.cte("message")
_CODE_SMS = PartShape(
    (questions.ASK_PART.cte("asked"), _MESSAGE),
    (*questions.ASK_PART_PARAMETERS, *MESSAGE_PART_PARAMETERS),
    select(_MESSAGE.c.id).scalar_subquery(),
)


def code_sms_part(notice: RedemptionNotice, code: str) -> WritePart | None:
    """What ``record_code_sms`` records, for the registry's statement to carry; its value is
    the message's id."""
    if not notice.mobile:
        return None
    message = _message(notice, "code", _code_composer(notice, code))
    values = {
        **questions.ask_part_values(
            message.phone,
            QuestionKind.REDEMPTION_CODE,
            notice.redemption_id,
            message.locale,
            CODE_QUESTION_OPEN_FOR,
            questions.utcnow(),
        ),
        **message_part_values(message),
    }
    return WritePart(_CODE_SMS, values)


def _receipt_composer(notice: RedemptionNotice) -> Callable[[str, str], str]:
    return lambda locale, name: receipt_text(locale, name, notice.quantity, notice.unit, notice.balance)


def record_receipt_sms(session: Session, notice: RedemptionNotice) -> list[int]:
    compose = _receipt_composer(notice)

    # The code's question is settled: the debit happened, and a "2" now disputes the receipt.
    return _draft(
        session,
        notice,
        "receipt",
        compose,
        QuestionKind.REDEMPTION_RECEIPT,
        RECEIPT_QUESTION_OPEN_FOR,
        settles=QuestionKind.REDEMPTION_CODE,
    )


def queue_redemption_sms(message_ids: Sequence[int]) -> None:
    wake_sender(message_ids)


# The receipt, its question and the closing of the code's question as a part of the registry's
# debit statement, on PostgreSQL: a confirm writes in one statement. A statement that may find
# nothing to debit hands a condition (``when``): each write then happens only if it holds.
def _receipt_shape(when: ColumnElement[bool] | None, with_sms: bool) -> PartShape:
    close = (
        questions.CLOSE_PART_BESIDE_ANSWERS if when is None else questions.close_part_when(when, beside_answers=True)
    )
    if not with_sms:  # nothing to send: the part returns no message id
        return PartShape((close.cte("settled"),), questions.CLOSE_PART_PARAMETERS, null())
    ask = questions.ASK_PART if when is None else questions.ask_part_when(when)
    message = (MESSAGE_PART if when is None else message_part_when(when)).cte("message")
    return PartShape(
        (close.cte("settled"), ask.cte("asked"), message),
        (*questions.CLOSE_PART_PARAMETERS, *questions.ASK_PART_PARAMETERS, *MESSAGE_PART_PARAMETERS),
        select(message.c.id).scalar_subquery(),
    )


_RECEIPT_SHAPES: dict[tuple[int | None, bool], PartShape] = {}


def receipt_sms_part(
    session: Session, notice: RedemptionNotice, when: ColumnElement[bool] | None = None
) -> WritePart | None:
    """What ``record_receipt_sms`` records, for the registry's debit statement to carry; its
    value is the message's id. With no phone, only the closing of the code's question."""
    settles, subject = QuestionKind.REDEMPTION_CODE, notice.redemption_id
    now = questions.utcnow()
    with_sms = bool(notice.mobile)
    key = (id(when) if when is not None else None, with_sms)
    shape = _RECEIPT_SHAPES.get(key)
    if shape is None:
        shape = _RECEIPT_SHAPES[key] = _receipt_shape(when, with_sms)
    values = questions.close_part_values(session, settles, subject, now)
    if with_sms:
        message = _message(notice, "receipt", _receipt_composer(notice))
        values |= {
            **questions.ask_part_values(
                message.phone, QuestionKind.REDEMPTION_RECEIPT, subject, message.locale, RECEIPT_QUESTION_OPEN_FOR, now
            ),
            **message_part_values(message),
        }
    # The rows this session loaded read their new deadline when next used (after the statement).
    questions.forget_closed(session, settles, subject)
    return WritePart(shape, values)
