"""Payment confirmations: "did you receive Tk 600 for July 2026? 1 yes, 2 no".

Monitoring should count what reached people, not what a ministry's file says was paid. When
an import marks payments credited, a share of them (SAHAYATA_CONFIRM_SHARE, default 0.1)
get a ``registry.models.PaymentConfirmation`` row in the import's own transaction, and
once it commits a job sends each its question, recording the message and the open question
(grievance.questions) together. The answer is grievance.citizen_answers.payment_received's.

Which payments: a keyed hash of the payment's natural key (citizen, programme, cycle)
compared with the share. The same payment is always in or out, whatever file or order it
comes in; nobody without the key (an official who would rather not be checked) can tell
which payments will be asked about; and over many payments the share asked is the setting.

One SMS, not two. The question itself says the amount was credited, so a payment asked
about gets no "credited" alert as well: its alert row is recorded done with the
confirmation (or marked done, if the alerts listener recorded it first in the same import),
and the alerts never send it. Kinder to the citizen, and half the cost.

Never twice: a payment has at most one confirmation (its primary key), so a file imported
again asks nothing. A phone that said STOP, or a citizen with no phone, is not asked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from decimal import Decimal

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from foundation.bulk import in_rows, insert_new
from foundation.clock import utcnow
from foundation.config import CONFIRM_SHARE
from foundation.db import transaction
from foundation.i18n import translate
from foundation.jobs import SMS_QUEUE, enqueue, with_app_context
from foundation.privacy import phone_hash_keys
from foundation.wording import wording
from grievance import questions
from grievance.citizen_answers import CONFIRMATION_OPEN_FOR
from grievance.models import CitizenQuestion, QuestionKind
from notices.alerts import ALERT_WINDOW_DAYS
from notices.models import Alert, AlertKind
from outbound_sms.opt_outs import opted_out_among
from outbound_sms.sending import NewMessage, create_messages, queue_send_batches
from registry.eligibility.engine import rulebook
from registry.eligibility.explain import programme_name
from registry.events import PaymentKey
from registry.models import Citizen, Payment, PaymentConfirmation, PaymentStatus

TEMPLATE = "payment_confirmation"
BATCH = 500
# Changing the label changes which payments are chosen: it is part of the sample's definition.
SAMPLE_LABEL = b"sahayata:payment-confirmation-share:v1"
_SCALE = 2**64


def sample_key(config: Mapping[str, object]) -> bytes:
    """The key of the choice: derived from the phone-hash key, which a deployment keeps for
    good, so the choice does not move when SECRET_KEY is rotated."""
    return hmac.new(phone_hash_keys(config)[0], SAMPLE_LABEL, hashlib.sha256).digest()


def chosen(key: bytes, citizen_id: int, programme_code: str, cycle: str, share: float) -> bool:
    """Whether this payment is among the ``share`` asked about: always the same answer."""
    digest = hmac.new(key, f"{citizen_id}|{programme_code}|{cycle}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") < share * _SCALE


def question_text(locale: str, programme: str, amount: Decimal, cycle: str) -> str:
    """The question, within 2 parts in every locale (tests/notices/test_confirmations.py)."""
    w = wording(locale)
    return translate(
        locale,
        "%(programme)s: %(amount)s for %(cycle)s is shown as credited to you. Did you receive it? "
        "Reply 1 for yes, 2 for no.",
        programme=programme,
        amount=w.money(amount),
        cycle=w.cycle(cycle),
    )


def record_payment_confirmations(session: Session, changed: Sequence[PaymentKey], today: dt.date) -> list[int]:
    """The listener of an import's payments: a confirmation for each chosen payment just
    credited (within the alerts' window: last year's history is not asked about); returns
    their payment ids, which ``queue_confirmations`` sends once the import commits."""
    share = float(current_app.config[CONFIRM_SHARE])
    if share <= 0 or not changed:
        return []
    earliest = (today - dt.timedelta(days=ALERT_WINDOW_DAYS)).strftime("%Y-%m")
    rows = session.execute(
        select(Payment.id, Payment.citizen_id, Payment.programme_code, Payment.cycle, Citizen.mobile)
        .join(Citizen, Citizen.id == Payment.citizen_id)
        .where(
            in_rows(session, (Payment.citizen_id, Payment.programme_code, Payment.cycle), changed),
            Payment.status == PaymentStatus.CREDITED,
            Payment.cycle >= earliest,
            Citizen.mobile.is_not(None),
        )
    ).all()
    key = sample_key(current_app.config)
    picked = [(pid, mobile) for pid, citizen, code, cycle, mobile in rows if chosen(key, citizen, code, cycle, share)]
    silenced = opted_out_among(session, [mobile for _, mobile in picked])
    payment_ids = [pid for pid, mobile in picked if mobile not in silenced]
    new = _insert_confirmations(session, payment_ids)
    _replace_credited_alerts(session, new)
    return new


def _insert_confirmations(session: Session, payment_ids: Sequence[int]) -> list[int]:
    """Insert a confirmation per payment that has none; returns the payments newly asked about."""
    if not payment_ids:
        return []
    table = PaymentConfirmation.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["payment_id"])
    now = utcnow()
    rows = [{"payment_id": pid, "asked_at": now} for pid in payment_ids]
    return list(session.execute(statement.returning(table.c.payment_id), rows).scalars())


def _replace_credited_alerts(session: Session, payment_ids: Sequence[int]) -> None:
    """These payments' "credited" alert is their question: recorded done, whichever listener
    of the import runs first."""
    if not payment_ids:
        return
    now = utcnow()
    done = {"kind": AlertKind.PAYMENT_CREDITED, "ledger_entry_id": None, "created_at": now, "done_at": now}
    insert_new(session, Alert.__table__, [{**done, "payment_id": pid} for pid in payment_ids])
    session.execute(
        update(Alert)
        .where(
            Alert.payment_id.in_(list(payment_ids)),
            Alert.kind == AlertKind.PAYMENT_CREDITED,
            Alert.done_at.is_(None),
        )
        .values(done_at=now)
    )


def queue_confirmations(payment_ids: Sequence[int]) -> None:
    ids = list(payment_ids)
    for start in range(0, len(ids), BATCH):
        enqueue(deliver_confirmations, ids[start : start + BATCH], queue_name=SMS_QUEUE)


_ASKED = (
    exists()
    .where(CitizenQuestion.kind == QuestionKind.PAYMENT_RECEIVED)
    .where(CitizenQuestion.subject_id == PaymentConfirmation.payment_id)
)


@with_app_context
def deliver_confirmations(payment_ids: Sequence[int]) -> int:
    """Send each confirmation not yet asked its question (one message each, ever), with the
    question recorded open in the same transaction; returns how many messages. One whose
    citizen has since said STOP or lost their phone is dropped unasked."""
    with transaction() as session:
        rows = session.execute(
            select(PaymentConfirmation, Payment, Citizen.mobile, Citizen.language)
            .join(Payment, Payment.id == PaymentConfirmation.payment_id)
            .join(Citizen, Citizen.id == Payment.citizen_id)
            .where(PaymentConfirmation.payment_id.in_(list(payment_ids)), ~_ASKED)
            .order_by(PaymentConfirmation.payment_id)
            .with_for_update(of=PaymentConfirmation, skip_locked=True)
        ).all()
        if not rows:
            return 0
        silenced = opted_out_among(session, [mobile for *_, mobile, _ in rows if mobile])
        drafts, asked = [], []
        now = utcnow()
        for confirmation, payment, mobile, language in rows:
            if not mobile or mobile in silenced:
                session.delete(confirmation)
                continue
            locale = language.value
            name = programme_name(payment.programme_code, locale, rulebook(session), short=True)
            text = question_text(locale, name, payment.amount_bdt, payment.cycle)
            drafts.append(NewMessage(mobile, text, locale, TEMPLATE, f"confirmation:{payment.id}"))
            confirmation.asked_at = now
            asked.append((mobile, payment.id, locale))
        message_ids = create_messages(session, drafts)
        for mobile, payment_id, locale in asked:
            questions.ask(session, mobile, QuestionKind.PAYMENT_RECEIVED, payment_id, locale, CONFIRMATION_OPEN_FOR)
    queue_send_batches(message_ids)
    return len(message_ids)


@with_app_context
def sweep_confirmations(older_than_seconds: int = 60, limit: int = 10_000) -> int:
    """Queue confirmations whose question never went out (Redis was down when the import committed)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    with transaction() as session:
        ids = list(
            session.scalars(
                select(PaymentConfirmation.payment_id)
                .where(PaymentConfirmation.answered_at.is_(None), PaymentConfirmation.asked_at < cutoff, ~_ASKED)
                .order_by(PaymentConfirmation.payment_id)
                .limit(limit)
            )
        )
    queue_confirmations(ids)
    return len(ids)
