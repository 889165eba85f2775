"""Creating and sending messages: at most once per purpose, never holding a database
transaction open across a provider call."""

from __future__ import annotations

import datetime as dt
import logging

import requests
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.masking import mask_mobile
from sahayata.db import transaction
from sahayata.jobs import enqueue, jobs_run_inline, redis_connection, with_app_context
from sms.encoding import segments
from sms.models import Message, MessageStatus, utcnow
from sms.providers import Provider, ProviderError
from sms.providers.console import ConsoleProvider

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60
RETRY_DELAYS = (5, 30, 120)  # seconds, for 429, 5xx and timeouts


def provider(name: str | None = None) -> Provider:
    """An outbound provider: ``name``, or the one that sends alerts (SMS_PROVIDER; console in
    embedded mode). Replies go back through the provider the command came in on."""
    config = current_app.config
    name = name or config["SMS_PROVIDER"]
    if name == "console":
        return ConsoleProvider(redis_connection())
    if name == "twilio":
        from sms.providers.twilio import TwilioProvider

        base = config["TWILIO_PUBLIC_BASE_URL"]
        return TwilioProvider(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            from_number=config["TWILIO_FROM"],
            messaging_service_sid=config["TWILIO_MESSAGING_SERVICE_SID"],
            status_callback=f"{base}/sms/twilio/status" if base else None,
            http_client=config.get("TWILIO_HTTP_CLIENT"),  # tests inject one; None: the real client
        )
    if name == "kannel":
        from sms.providers.kannel import KannelProvider

        return KannelProvider(
            config["KANNEL_SENDSMS_URL"],
            config["KANNEL_USERNAME"],
            config["KANNEL_PASSWORD"],
            sender=config["KANNEL_FROM"],
            dlr_base_url=config["KANNEL_DLR_BASE_URL"],
            secret=config["SECRET_KEY"],
            smsc_id=config["KANNEL_SMSC_ID"],
            # One connection pool per process: a campaign sends thousands through it.
            session=current_app.extensions.setdefault("sahayata.kannel_http", requests.Session()),
        )
    raise RuntimeError(f"unknown SMS provider {name!r}")


def create_message(
    session: Session,
    *,
    phone: str,
    text: str,
    locale: str,
    template: str | None,
    dedupe_key: str | None,
    via: str | None = None,
) -> Message:
    """A new outbound message, or the existing one with the same ``dedupe_key``; caller commits.

    ``via`` names the provider that must carry it (a reply goes back the way the command
    came); None means the alerts provider at sending time."""
    if dedupe_key:
        existing = session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    encoded = segments(text)
    message = Message(
        dedupe_key=dedupe_key,
        phone=phone,
        text=text,
        locale=locale,
        template=template,
        encoding=encoded.encoding,
        segments=encoded.segments,
        status=MessageStatus.CREATED,
        provider=via,
    )
    session.add(message)
    try:
        session.flush()
    except IntegrityError:  # the same purpose, created a moment ago by a twin job
        session.rollback()
        return session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
    return message


def _claim(message_id: int) -> Message | None:
    """Take the message for sending, unless another sender holds it or it went out already."""
    now = utcnow()
    with transaction() as session:
        claimed = session.execute(
            update(Message)
            .where(Message.id == message_id)
            .where(
                or_(
                    Message.status == MessageStatus.CREATED,
                    (Message.status == MessageStatus.SENDING) & (Message.claimed_until < now),
                )
            )
            .values(
                status=MessageStatus.SENDING,
                attempts=Message.attempts + 1,
                claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS),
            ),
            execution_options={"synchronize_session": "fetch"},
        ).rowcount
        return session.get(Message, message_id, populate_existing=True) if claimed else None


@with_app_context
def send_message(message_id: int) -> str:
    message = _claim(message_id)
    if message is None:
        return "not mine"
    phone, text, attempts, reference = message.phone, message.text, message.attempts, message.reference
    sender = provider(message.provider)
    try:
        sent = sender.send(phone, text, reference=reference)  # no transaction is open here
    except ProviderError as exc:
        retry = exc.retryable and attempts <= len(RETRY_DELAYS)
        if retry:  # release the claim so the retry (or the sweeper) can take it
            _set(message_id, claimed_until=utcnow(), error=str(exc)[:200])
        else:
            _set(message_id, status=MessageStatus.FAILED, error=str(exc)[:200])
        log.warning("SMS to %s failed (%s)%s", mask_mobile(phone), exc, ", will retry" if retry else "")
        if retry:
            enqueue_in_or_now(RETRY_DELAYS[attempts - 1], message_id)
        return "retry" if retry else "failed"
    _set(
        message_id,
        provider=sender.name,
        provider_message_id=sent.provider_message_id,
        claimed_until=None,
        error=None,
    )
    # Only from "sending": a fast delivery report may have moved it on already.
    _set(message_id, only_if=MessageStatus.SENDING, status=MessageStatus.SENT)
    return "sent"


def _set(message_id: int, only_if: MessageStatus | None = None, **values: object) -> None:
    statement = update(Message).where(Message.id == message_id)
    if only_if is not None:
        statement = statement.where(Message.status == only_if)
    with transaction() as session:
        session.execute(
            statement.values(**values),
            # "fetch", not "evaluate": SQLite hands back naive timestamps and ours are aware,
            # so the criteria cannot be checked in Python; the session still sees the new values.
            execution_options={"synchronize_session": "fetch"},
        )


def enqueue_in_or_now(delay_seconds: int, message_id: int) -> None:
    from sahayata.jobs import get_queue

    queue = get_queue()
    if jobs_run_inline():
        return  # embedded mode has no scheduler; the message waits for the next sweep
    queue.enqueue_in(dt.timedelta(seconds=delay_seconds), send_message, message_id)


def queue_send(message_id: int) -> None:
    enqueue(send_message, message_id)


@with_app_context
def sweep_messages(limit: int = 1000) -> int:
    """Re-enqueue messages never sent: created but not queued (Redis was down), or held by a
    sender whose claim lapsed (it crashed, or is waiting to retry)."""
    now = utcnow()
    with transaction() as session:
        ids = list(
            session.scalars(
                select(Message.id)
                .where(
                    or_(
                        Message.status == MessageStatus.CREATED,
                        (Message.status == MessageStatus.SENDING) & (Message.claimed_until < now),
                    )
                )
                .order_by(Message.id)
                .limit(limit)
            )
        )
    for message_id in ids:
        queue_send(message_id)
    return len(ids)
