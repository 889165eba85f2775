"""SMS alerts for registry events: a payment credited, failed or returned, e-tokens credited.

A listener of the registry's events (registry.events, subscribed by the composition root):
an import's changes are recorded as ``Alert`` rows in its own transaction (set-based, so
a file that credits 10,000 people costs two statements a batch, not 10,000 calls). Once
it commits, jobs of ALERT_BATCH alerts render each text in the citizen's language, create
the messages and queue their sending. The sweeper picks up alerts whose job never ran.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.bulk import in_rows, insert_new
from foundation.clock import utcnow
from foundation.db import transaction
from foundation.jobs import SMS_QUEUE, enqueue, with_app_context
from notices import templates
from notices.models import Alert, AlertKind
from outbound_sms.opt_outs import opted_out_among
from outbound_sms.sending import NewMessage, create_messages, queue_send_batches
from registry.eligibility.engine import rulebook
from registry.eligibility.explain import programme_name
from registry.events import PaymentKey
from registry.labels import failure_reason_label, office_name
from registry.models import Citizen, ETokenLedgerEntry, ETokenWallet, Payment, PaymentStatus, Programme
from registry.schedules import ExpectedPayment, expected_payment, parse_schedule

PAYMENT_ALERTS = {
    PaymentStatus.CREDITED: AlertKind.PAYMENT_CREDITED,
    PaymentStatus.FAILED: AlertKind.PAYMENT_FAILED,
    PaymentStatus.RETURNED: AlertKind.PAYMENT_RETURNED,
}
# Loading last year's history is not news: only cycles this recent are alerted.
ALERT_WINDOW_DAYS = 62
ALERT_BATCH = 500


def record_payment_alerts(session: Session, changed: Sequence[PaymentKey], today: dt.date) -> list[int]:
    """Alerts for payments whose status just changed to one the citizen must hear about."""
    if not changed:
        return []
    earliest = (today - dt.timedelta(days=ALERT_WINDOW_DAYS)).strftime("%Y-%m")
    rows = session.execute(
        select(Payment.id, Payment.status).where(
            in_rows(session, (Payment.citizen_id, Payment.programme_code, Payment.cycle), changed),
            Payment.status.in_(list(PAYMENT_ALERTS)),
            Payment.cycle >= earliest,
        )
    )
    return _insert(session, [{"kind": PAYMENT_ALERTS[status], "payment_id": pid} for pid, status in rows])


def record_etoken_alerts(session: Session, credit_entry_ids: Sequence[int]) -> list[int]:
    return _insert(session, [{"kind": AlertKind.ETOKEN_CREDITED, "ledger_entry_id": i} for i in credit_entry_ids])


def _insert(session: Session, rows: list[dict]) -> list[int]:
    """Insert alerts, skipping any that exist (a payment alerted of the same kind before)."""
    if not rows:
        return []
    now = utcnow()
    complete = [{"payment_id": None, "ledger_entry_id": None, **row, "created_at": now} for row in rows]
    return insert_new(session, Alert.__table__, complete)


def queue_alerts(alert_ids: Sequence[int]) -> None:
    ids = list(alert_ids)
    for start in range(0, len(ids), ALERT_BATCH):
        enqueue(deliver_alerts, ids[start : start + ALERT_BATCH], queue_name=SMS_QUEUE)


@with_app_context
def deliver_alerts(alert_ids: Sequence[int]) -> int:
    """Turn pending alerts into messages (one each, never two) and queue their sending;
    returns how many messages. An alert for an opted-out or phoneless citizen is done
    without a message."""
    with transaction() as session:
        alerts = session.scalars(
            select(Alert)
            .where(Alert.id.in_(list(alert_ids)), Alert.done_at.is_(None))
            .order_by(Alert.id)
            .with_for_update(skip_locked=True)
        ).all()
        if not alerts:
            return 0
        drafts = _payment_drafts(session, alerts) + _etoken_drafts(session, alerts)
        silenced = opted_out_among(session, [draft.phone for draft in drafts])
        message_ids = create_messages(session, [draft for draft in drafts if draft.phone not in silenced])
        now = utcnow()
        for alert in alerts:
            alert.done_at = now
    queue_send_batches(message_ids)
    return len(message_ids)


def _short_name(session: Session, code: str, locale: str) -> str:
    return programme_name(code, locale, rulebook(session), short=True)


def _payment_drafts(session: Session, alerts: Sequence[Alert]) -> list[NewMessage]:
    by_payment = {alert.payment_id: alert for alert in alerts if alert.payment_id is not None}
    if not by_payment:
        return []
    rows = session.execute(
        select(Payment, Citizen.mobile, Citizen.language)
        .join(Citizen, Citizen.id == Payment.citizen_id)
        .where(Payment.id.in_(list(by_payment)), Citizen.mobile.is_not(None))
    )
    drafts = []
    next_expected = _next_expected(session, utcnow().date())
    for payment, mobile, language in rows:
        alert, locale = by_payment[payment.id], language.value
        programme = _short_name(session, payment.programme_code, locale)
        if alert.kind is AlertKind.PAYMENT_CREDITED:
            expected = next_expected(payment.programme_code, payment.cycle)
            text = templates.payment_credited(
                locale, programme, payment.amount_bdt, payment.cycle, payment.channel, expected
            )
        else:
            reason, office = _why_and_where(session, payment, locale)
            compose = templates.payment_failed if alert.kind is AlertKind.PAYMENT_FAILED else templates.payment_returned
            text = compose(locale, programme, payment.amount_bdt, payment.cycle, reason, office)
        drafts.append(NewMessage(mobile, text, locale, alert.kind.value, f"alert:{alert.id}"))
    return drafts


def _next_expected(session: Session, today: dt.date) -> Callable[[str, str], ExpectedPayment | None]:
    """For a credited payment: the one its programme's schedule pays next (one select of the
    programmes' schedules per batch)."""
    columns = (Programme.code, Programme.payment_frequency, Programme.payment_months, Programme.amount_bdt)
    programmes = {
        code: (parse_schedule(frequency, months), rate, unit)
        for code, frequency, months, rate, unit in session.execute(select(*columns, Programme.unit))
    }

    def expected(code: str, cycle: str) -> ExpectedPayment | None:
        if code not in programmes:
            return None
        schedule, rate, unit = programmes[code]
        return expected_payment(schedule, rate, unit, today, cycle)

    return expected


def _why_and_where(session: Session, payment: Payment, locale: str) -> tuple[str, str]:
    """The reason, translated, and the programme's own office: the same words as on USSD."""
    programme = rulebook(session).programmes.get(payment.programme_code)
    return failure_reason_label(locale, payment.failure_reason), office_name(locale, programme)


def _etoken_drafts(session: Session, alerts: Sequence[Alert]) -> list[NewMessage]:
    by_entry = {alert.ledger_entry_id: alert for alert in alerts if alert.ledger_entry_id is not None}
    if not by_entry:
        return []
    rows = session.execute(
        select(ETokenLedgerEntry.id, ETokenLedgerEntry.amount, ETokenWallet, Citizen.mobile, Citizen.language)
        .join(ETokenWallet, ETokenWallet.id == ETokenLedgerEntry.wallet_id)
        .join(Citizen, Citizen.id == ETokenWallet.citizen_id)
        .where(ETokenLedgerEntry.id.in_(list(by_entry)), Citizen.mobile.is_not(None))
    )
    drafts = []
    for entry_id, amount, wallet, mobile, language in rows:
        alert, locale = by_entry[entry_id], language.value
        text = templates.etoken_credited(
            locale,
            _short_name(session, wallet.programme_code, locale),
            amount,
            wallet.unit,
            wallet.balance,
            wallet.expires_on,
        )
        drafts.append(NewMessage(mobile, text, locale, alert.kind.value, f"alert:{alert.id}"))
    return drafts


@with_app_context
def sweep_alerts(older_than_seconds: int = 60, limit: int = 10_000) -> int:
    """Queue alerts whose delivery job never ran (Redis was down when the import committed)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    with transaction() as session:
        ids = list(
            session.scalars(
                select(Alert.id)
                .where(Alert.done_at.is_(None), Alert.created_at < cutoff)
                .order_by(Alert.id)
                .limit(limit)
            )
        )
    queue_alerts(ids)
    return len(ids)
