"""Creating and sending messages: at most once per purpose, never holding a database
transaction open across a provider call."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, Insert, bindparam, cast, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from foundation.bulk import insert_new
from foundation.db import transaction
from foundation.jobs import SMS_QUEUE, enqueue, jobs_run_inline, redis_connection, redis_links, with_app_context
from foundation.masking import mask_mobile
from foundation.metrics import SMS_SENDS
from outbound_sms.encoding import segments
from outbound_sms.models import Message, MessageStatus, message_reference, utcnow
from outbound_sms.providers import Provider, ProviderError
from outbound_sms.providers.console import ConsoleProvider
from outbound_sms.rate_limit import TokenBucket, Unlimited

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60
RETRY_DELAYS = (5, 30, 120)  # seconds, for 429, 5xx and timeouts
BATCH_SIZE = 500  # messages per sending job
RECORD_EVERY = 100  # sent messages are recorded at least this often, to keep a crash's doubt small


def provider(name: str | None = None) -> Provider:
    """An outbound provider: ``name``, or the one that sends alerts (SMS_PROVIDER; console in
    embedded mode). Replies go back through the provider the command came in on."""
    config = current_app.config
    name = name or config["SMS_PROVIDER"]
    if name == "console":
        return ConsoleProvider(redis_connection())
    if name == "twilio":
        from outbound_sms.providers.twilio import TwilioProvider

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
        from outbound_sms.providers.kannel import KannelProvider

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
) -> int:
    """The id of a new outbound message, or of the existing one with the same ``dedupe_key``
    (a twin job made it); the caller commits.

    ``via`` names the provider that must carry it (a reply goes back the way the command
    came); None means the alerts provider at sending time."""
    now = utcnow()
    values = {
        **_message_values(phone, text, locale, template, dedupe_key, via),
        "provider": via,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # One statement: a twin's row makes it insert nothing, and never fails the transaction.
    statement = dialect.insert(Message.__table__).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    new_id = session.execute(statement.returning(Message.__table__.c.id)).scalar()
    if new_id is None:
        new_id = session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key))
    return new_id


def _message_values(
    phone: str, text: str, locale: str, template: str | None, dedupe_key: str | None, via: str | None = None
) -> dict:
    # Parts as the provider that carries it will bill them (None: the alerts provider).
    encoded = segments(text, via)
    return {
        "dedupe_key": dedupe_key,
        "phone": phone,
        "text": text,
        "locale": locale,
        "template": template,
        "encoding": encoded.encoding,
        "segments": encoded.segments,
        "status": MessageStatus.CREATED,
    }


@dataclass(frozen=True)
class NewMessage:
    phone: str
    text: str
    locale: str
    template: str
    dedupe_key: str
    campaign_id: int | None = None


def create_messages(session: Session, messages: Sequence[NewMessage]) -> list[int]:
    """Many messages in one statement; those whose dedupe key exists already are skipped.
    Returns the ids of the new ones. The caller commits."""
    if not messages:
        return []
    return insert_new(session, Message.__table__, [_new_row(m) for m in messages], ["dedupe_key"])


def _new_row(message: NewMessage) -> dict[str, Any]:
    """Every column a new message is written with."""
    now = utcnow()
    return {
        **_message_values(message.phone, message.text, message.locale, message.template, message.dedupe_key),
        "campaign_id": message.campaign_id,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


# One message as a part of a caller's own statement: notices records a redemption's SMS and
# the question it asks in one round trip on PostgreSQL (a data-modifying WITH), as
# ``create_messages`` would: skipped when its dedupe key exists, the new id returned. Every
# column given, each parameter named apart from the columns and from the question's.
_PART_COLUMNS = (
    "dedupe_key",
    "phone",
    "text",
    "locale",
    "template",
    "encoding",
    "segments",
    "status",
    "campaign_id",
    "attempts",
    "created_at",
    "updated_at",
)
MESSAGE_PART = (
    postgresql.insert(Message.__table__)
    .values({column: bindparam(f"m_{column}") for column in _PART_COLUMNS})
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(Message.__table__.c.id)
)
MESSAGE_PART_PARAMETERS = tuple(f"m_{column}" for column in _PART_COLUMNS)


def message_part_when(when: ColumnElement[bool]) -> Insert:
    """``MESSAGE_PART`` inserting only where ``when`` holds: for a statement whose own write
    may find nothing to do (the message goes with that write or not at all)."""
    table = Message.__table__
    row = select(
        *(cast(bindparam(f"m_{column}", type_=table.c[column].type), table.c[column].type) for column in _PART_COLUMNS)
    ).where(when)
    return (
        postgresql.insert(table)
        .from_select(list(_PART_COLUMNS), row)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )


def message_part_values(message: NewMessage) -> dict[str, Any]:
    """``MESSAGE_PART``'s parameters for ``message``."""
    values = _new_row(message)
    return {f"m_{column}": values[column] for column in _PART_COLUMNS}


@dataclass(frozen=True)
class _Claimed:
    id: int
    phone: str
    text: str
    attempts: int
    reference: str
    provider: str | None


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    """Not sent yet, and nobody holds it (a crashed or waiting sender's claim has lapsed)."""
    return or_(
        Message.status == MessageStatus.CREATED,
        (Message.status == MessageStatus.SENDING) & (Message.claimed_until < now),
    )


def _claim(message_ids: Sequence[int], hold_seconds: float) -> list[_Claimed]:
    """Take the messages for sending, but for those another sender holds or that went out."""
    now = utcnow()
    with transaction() as session:
        rows = session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), _claimable(now))
            .values(
                status=MessageStatus.SENDING,
                attempts=Message.attempts + 1,
                claimed_until=now + dt.timedelta(seconds=hold_seconds),
            )
            .returning(Message.id, Message.phone, Message.text, Message.attempts, Message.created_at, Message.provider),
            execution_options={"synchronize_session": False},
        ).all()
        _expire(session, [row[0] for row in rows])
    claimed = [_Claimed(i, phone, text, n, message_reference(i, at), via) for i, phone, text, n, at, via in rows]
    return sorted(claimed, key=lambda m: m.id)


def rate_limiter(provider_name: str) -> TokenBucket | Unlimited:
    rate = current_app.config["SMS_RATE_PER_SECOND"]
    if not rate:
        return Unlimited()
    return TokenBucket(redis_connection(), provider_name, rate)


@with_app_context
def send_message(message_id: int) -> str:
    """Send one message: "sent", "retry", "failed", or "not mine" (taken or sent already)."""
    return send_batch([message_id]).get(message_id, "not mine")


@with_app_context
def send_batch(message_ids: Sequence[int]) -> dict[int, str]:
    """Send the messages this job may take, at the provider's rate; returns each one's outcome.

    No transaction is open during a provider call. What was sent is recorded every
    RECORD_EVERY messages, so a worker killed mid-batch leaves at most that many in doubt
    (their claim lapses and they are sent again: a crash can duplicate, never lose)."""
    rate = current_app.config["SMS_RATE_PER_SECOND"] or 0

    def hold_for(count: int) -> float:
        # Other workers share the bucket, so allow twice the time this batch would take alone.
        return CLAIM_SECONDS + (2 * count / rate if rate else 0)

    held_until = time.monotonic() + hold_for(len(message_ids))
    claimed = _claim(message_ids, hold_for(len(message_ids)))
    outcomes: dict[int, str] = {}
    senders: dict[str | None, tuple[Provider, TokenBucket | Unlimited]] = {}
    sent: list[dict[str, Any]] = []
    try:
        for position, message in enumerate(claimed):
            if message.provider not in senders:
                chosen = provider(message.provider)
                senders[message.provider] = (chosen, rate_limiter(chosen.name))
            sender, bucket = senders[message.provider]
            bucket.take()
            try:
                receipt = sender.send(message.phone, message.text, reference=message.reference)
            except ProviderError as exc:
                outcomes[message.id] = _failed(message, exc)
                SMS_SENDS.labels(sender.name, outcomes[message.id]).inc()
                continue
            outcomes[message.id] = "sent"
            SMS_SENDS.labels(sender.name, "sent").inc()
            sent.append({"id": message.id, "provider": sender.name, "provider_message_id": receipt.provider_message_id})
            if len(sent) >= RECORD_EVERY:
                _record_sent(sent)
                sent = []
                # Running out of held time (a shared, slow rate): keep the rest ours.
                rest = [m.id for m in claimed[position + 1 :]]
                if held_until - time.monotonic() < hold_for(len(rest)) / 2:
                    _extend_claims(rest, hold_for(len(rest)))
                    held_until = time.monotonic() + hold_for(len(rest))
    finally:  # whatever stops the batch, what went out is recorded as sent
        _record_sent(sent)
    return outcomes


def _extend_claims(message_ids: Sequence[int], seconds: float) -> None:
    if not message_ids:
        return
    with transaction() as session:
        session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status == MessageStatus.SENDING)
            .values(claimed_until=utcnow() + dt.timedelta(seconds=seconds)),
            execution_options={"synchronize_session": False},
        )


def _expire(session: Session, message_ids: Sequence[int]) -> None:
    """Bulk statements bypass the ORM: make this session reload those messages when read.
    (Goes by identity keys: reading ``obj.id`` of an expired object would load it.)"""
    wanted = set(message_ids)
    for key, obj in list(session.identity_map.items()):
        if key[0] is Message and key[1][0] in wanted:
            session.expire(obj)


def _record_sent(sent: list[dict[str, Any]]) -> None:
    if not sent:
        return
    with transaction() as session:
        _expire(session, [row["id"] for row in sent])
        session.execute(update(Message), [{**row, "claimed_until": None, "error": None} for row in sent])
        # Only from "sending": a fast delivery report may have moved it on already.
        session.execute(
            update(Message)
            .where(Message.id.in_([row["id"] for row in sent]), Message.status == MessageStatus.SENDING)
            .values(status=MessageStatus.SENT),
            execution_options={"synchronize_session": False},
        )


def _failed(message: _Claimed, exc: ProviderError) -> str:
    retry = exc.retryable and message.attempts <= len(RETRY_DELAYS)
    if retry:  # held until the retry is due (less a second, so the delayed job finds it free)
        delay = RETRY_DELAYS[message.attempts - 1]
        _set(message.id, claimed_until=utcnow() + dt.timedelta(seconds=delay - 1), error=str(exc)[:200])
    else:
        _set(message.id, status=MessageStatus.FAILED, claimed_until=None, error=str(exc)[:200])
    log.warning("SMS to %s failed (%s)%s", mask_mobile(message.phone), exc, ", will retry" if retry else "")
    if retry:
        enqueue_in_or_now(RETRY_DELAYS[message.attempts - 1], message.id)
    return "retry" if retry else "failed"


def _set(message_id: int, **values: object) -> None:
    with transaction() as session:
        _expire(session, [message_id])
        session.execute(
            update(Message).where(Message.id == message_id).values(**values),
            execution_options={"synchronize_session": False},
        )


def enqueue_in_or_now(delay_seconds: int, message_id: int) -> None:
    from foundation.jobs import get_queue

    queue = get_queue(SMS_QUEUE)
    if jobs_run_inline():
        return  # embedded mode has no scheduler; the message waits for the next sweep
    queue.enqueue_in(dt.timedelta(seconds=delay_seconds), send_message, message_id)


def queue_send(message_id: int) -> None:
    wake_sender([message_id])


# One message at a time (a reply, a redemption's code, its receipt) is handed to the sender
# through a Redis list rather than a job of its own: queueing an RQ job costs the web request
# far more than the message's own insert. One drain job is queued at a time (the flag); it
# clears the flag before it takes the list, so a message pushed after the drain began either
# is taken by it or finds the flag clear and queues the next drain. Nothing is lost when Redis
# is: the message is in the database, and the sweeper sends whatever was never sent.
OUTBOX_LIST = "sahayata:sms:outbox"
DRAIN_FLAG = "sahayata:sms:drain-queued"
# A drain job lost with its worker leaves the flag set at most this long.
DRAIN_FLAG_SECONDS = CLAIM_SECONDS
# A drain takes this many at a time and stops after this long, handing what is left to the next
# drain: a backlog is shared by every sms worker, and no job runs into RQ's timeout.
DRAIN_TAKE = 50
DRAIN_SECONDS = 30


def wake_sender(message_ids: Sequence[int]) -> None:
    """Have these just-committed messages sent soon (inline in embedded mode)."""
    ids = list(message_ids)
    if not ids:
        return
    if jobs_run_inline():
        enqueue(send_batch, ids, queue_name=SMS_QUEUE)
        return
    # One round trip on the web thread's own connection (foundation/redis_link.py): the
    # wake-up follows every reply, code and receipt.
    token = _flag_token()
    try:
        with redis_links().link() as link:
            *_, holder = link.repeatable([("RPUSH", OUTBOX_LIST, *ids), *_raise_flag(token)])
    except RedisError:
        # The server may have run it and the reply been lost (a timeout, a connection that
        # dropped and was not sent again): the flag may then hold this token, and without a
        # drain every wake-up would wait for it to lapse. An extra drain does no harm.
        with contextlib.suppress(RedisError):
            _queue_drain()
        raise
    if _holds(holder, token):
        _queue_drain()


# The flag carries who raised it, read back in the same round trip: whoever finds their own
# token there queues the drain. A write may run twice (sent again after its connection
# dropped, when the server had run it and its reply was lost): its second run finds the flag
# raised by its first, by this very wake-up, whose drain must still be queued. A drain that
# clears the flag between the raising and the read takes the list after the push anyway.
def _flag_token() -> bytes:
    return secrets.token_hex(8).encode()


def _raise_flag(token: bytes) -> tuple[tuple[object, ...], tuple[object, ...]]:
    return ("SET", DRAIN_FLAG, token, "NX", "EX", DRAIN_FLAG_SECONDS), ("GET", DRAIN_FLAG)


def _holds(holder: bytes | str | None, token: bytes) -> bool:
    """Whether the flag read back is this token (a client may decode replies to str)."""
    return holder is not None and (holder if isinstance(holder, bytes) else holder.encode()) == token


def _queue_drain() -> None:
    try:
        enqueue(drain_outbox, queue_name=SMS_QUEUE)
    except BaseException:
        # No drain is queued: the next wake-up must not find the flag saying one is.
        redis_connection().delete(DRAIN_FLAG)
        raise


def _another_drain_if_left(redis) -> None:
    if redis.llen(OUTBOX_LIST):
        token = _flag_token()
        with redis.pipeline(transaction=False) as pipe:
            for command in _raise_flag(token):
                pipe.execute_command(*command)
            *_, holder = pipe.execute()
        if _holds(holder, token):
            _queue_drain()


@with_app_context
def drain_outbox() -> int:
    """Send messages waiting in the outbox list, DRAIN_TAKE at a time for up to DRAIN_SECONDS;
    returns how many were taken (some may have been sent already by another sender: claims
    settle that). Whatever is left, however this drain stops, goes to another drain."""
    redis = redis_connection()
    redis.delete(DRAIN_FLAG)
    taken = 0
    stop_at = time.monotonic() + DRAIN_SECONDS
    try:
        while batch := redis.lpop(OUTBOX_LIST, DRAIN_TAKE):
            _another_drain_if_left(redis)  # a backlog: another worker takes the next part meanwhile
            ids = [int(raw) for raw in batch]
            taken += len(ids)
            send_batch(ids)
            if time.monotonic() > stop_at:
                break
    finally:
        _another_drain_if_left(redis)
    return taken


def queue_send_batches(message_ids: Sequence[int]) -> int:
    """One sending job per BATCH_SIZE messages; returns how many jobs."""
    ids = list(message_ids)
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue(send_batch, ids[start : start + BATCH_SIZE], queue_name=SMS_QUEUE)
    return -(-len(ids) // BATCH_SIZE)


@with_app_context
def sweep_messages(limit: int = 10_000) -> int:
    """Re-enqueue messages never sent: created but not queued (Redis was down, a campaign was
    interrupted), or held by a sender whose claim lapsed (it crashed, or a retry is due)."""
    with transaction() as session:
        ids = list(session.scalars(select(Message.id).where(_claimable(utcnow())).order_by(Message.id).limit(limit)))
    queue_send_batches(ids)
    return len(ids)
