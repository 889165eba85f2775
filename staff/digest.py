"""The daily digest: what is due today and overdue in each officer's and grievance redress
officer's queue, by email and, for those who asked for it, by SMS.

The scheduler runs ``send_daily_digests`` every hour. On a working day (the SLA clock's:
no Friday, Saturday or public holiday, when no deadline falls and nobody reads it) the
first run after 08:00 Dhaka time sends each user's digest, and a "digest_sent" audit row
per channel and date makes every later run skip it: the next hour's, a second scheduler's,
or `flask --app wsgi staff digest` by hand. A channel that failed (the SMTP server was
down) has no row, so the next hour tries it again. Users with nothing due or overdue get
nothing; coordinators, monitoring, admins and disabled accounts get nothing.

The cases are those ``staff.scope.visible`` gives the user: the digest is their queue. An
email leaves the system, so it names no citizen and carries no phone number or NID: the
tracking number, category, place and deadline are enough to find the case.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import ssl
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.clock import as_utc, utcnow
from foundation.db import db_session
from foundation.i18n import SUPPORTED_LOCALES
from foundation.jobs import redis_connection, with_app_context
from foundation.masking import mask_mobile
from foundation.wording import Wording, wording
from grievance import calendar
from grievance.labels import category_label
from grievance.models import Category, Grievance
from grievance.sla import DHAKA, clock_years, is_working_day
from grievance.status import OPEN
from outbound_sms.encoding import segments
from outbound_sms.opt_outs import opted_out
from outbound_sms.sending import create_message, wake_sender
from registry.models import District, Upazila
from staff.models import Role, StaffAudit, StaffUser
from staff.scope import visible

log = logging.getLogger(__name__)

SENDS_FROM = dt.time(8, 0)  # Dhaka time: officers read it as the working day starts
ROLES = (Role.OFFICER, Role.GRO)
DIGEST_SENT = "digest_sent"
EMAIL, SMS = "email", "sms"
TEMPLATE = "staff_digest"
SMS_MAX_PARTS = 2
# An email lists this many cases per section, then says how many more the queue holds.
MAX_LINES = 100
SMTP_TIMEOUT = 20  # seconds; a hung server must not hold the job
# One user's digest is being sent by one run at a time (two schedulers, a run by hand).
LOCK_SECONDS = 600


@dataclass(frozen=True)
class CaseLine:
    tracking_number: str
    category: Category
    due_at: dt.datetime  # UTC
    district: tuple[str, str] | None  # (English, Bangla)
    upazila: tuple[str, str] | None

    def place(self, w: Wording) -> str:
        names = [pair[1] if w.bangla_script else pair[0] for pair in (self.upazila, self.district) if pair]
        return ", ".join(names) or w._("place not known")


@dataclass(frozen=True)
class Digest:
    user: StaffUser
    day: dt.date  # Dhaka date
    overdue: list[CaseLine]
    due_today: list[CaseLine]

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_today)

    @property
    def locale(self) -> str:
        return self.user.language if self.user.language in SUPPORTED_LOCALES else "bn"


@dataclass
class Outcome:
    """What one run did (or, dry, would do) for one user."""

    user: StaffUser
    digest: Digest | None = None
    channels: list[str] = field(default_factory=list)  # sent now (dry run: would be sent)
    already: list[str] = field(default_factory=list)  # sent earlier the same date
    note: str = ""  # why nothing went


def dhaka_date(now: dt.datetime) -> dt.date:
    return as_utc(now).astimezone(DHAKA).date()


def sending_time(session: Session, now: dt.datetime) -> bool:
    """Whether a run at ``now`` sends: 08:00 Dhaka or later, on a working day."""
    local = as_utc(now).astimezone(DHAKA)
    off = calendar.off_days(session, clock_years(local.date()))
    return local.time() >= SENDS_FROM and is_working_day(local.date(), off)


def build_digest(session: Session, user: StaffUser, now: dt.datetime) -> Digest:
    """The user's open cases whose deadline has passed, and those whose deadline is today."""
    now = as_utc(now)
    day = dhaka_date(now)
    tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), DHAKA).astimezone(dt.UTC)
    rows = session.execute(
        select(
            Grievance.tracking_number,
            Grievance.category,
            Grievance.due_at,
            District.name_en,
            District.name_bn,
            Upazila.name_en,
            Upazila.name_bn,
        )
        .outerjoin(District, District.id == Grievance.district_id)
        .outerjoin(Upazila, Upazila.id == Grievance.upazila_id)
        .where(visible(user), Grievance.status.in_(OPEN), Grievance.due_at < tomorrow)
        .order_by(Grievance.due_at, Grievance.id)
    ).all()
    lines = [
        CaseLine(
            number,
            Category(category),
            as_utc(due),
            (district_en, district_bn) if district_en else None,
            (upazila_en, upazila_bn) if upazila_en else None,
        )
        for number, category, due, district_en, district_bn, upazila_en, upazila_bn in rows
    ]
    return Digest(
        user, day, [line for line in lines if line.due_at < now], [line for line in lines if line.due_at >= now]
    )


# --- wording ---------------------------------------------------------------------------


def _deadline(w: Wording, due_at: dt.datetime) -> str:
    local = due_at.astimezone(DHAKA)
    return f"{w.day(local.date())}, {w.digits(local.strftime('%H:%M'))}"


def _case_link(base_url: str, number: str) -> str:
    return f"{base_url}/staff/cases/{number}"


def subject(digest: Digest) -> str:
    w = wording(digest.locale)
    return w._(
        "Sahayata: %(due)s due today, %(overdue)s overdue (%(day)s)",
        due=w.number(len(digest.due_today)),
        overdue=w.number(len(digest.overdue)),
        day=w.day(digest.day),
    )


def email_text(digest: Digest, base_url: str) -> str:
    w = wording(digest.locale)
    lines = [
        w._(
            "Your queue on %(day)s: %(overdue)s overdue, %(due)s due today. Times are Dhaka time.",
            day=w.day(digest.day),
            overdue=w.number(len(digest.overdue)),
            due=w.number(len(digest.due_today)),
        ),
        "",
    ]
    sections = ((w._("Overdue"), digest.overdue), (w._("Due today"), digest.due_today))
    for title, cases in sections:
        if not cases:
            continue
        lines.append(f"{title} ({w.number(len(cases))})")
        for case in cases[:MAX_LINES]:
            line = w._(
                "%(number)s: %(category)s, %(place)s, deadline %(deadline)s",
                number=w.digits(case.tracking_number),
                category=category_label(w.locale, case.category),
                place=case.place(w),
                deadline=_deadline(w, case.due_at),
            )
            lines.append(f"- {line}")
            if base_url:
                lines.append(f"  {_case_link(base_url, case.tracking_number)}")
        if len(cases) > MAX_LINES:
            lines.append(w._("…and %(count)s more in the queue.", count=w.number(len(cases) - MAX_LINES)))
        lines.append("")
    if base_url:
        lines += [w._("Your queue: %(link)s", link=f"{base_url}/staff/"), ""]
    lines.append(
        w._("This email names no citizen and carries no phone number or NID: the case page shows what you may see.")
    )
    return "\n".join(lines) + "\n"


def email_message(digest: Digest, config: Mapping[str, object], now: dt.datetime) -> EmailMessage:
    sender = str(config["SMTP_FROM"])
    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = sender
    message["To"] = digest.user.email
    message["Date"] = format_datetime(as_utc(now).astimezone(DHAKA))
    # The sender's domain, not this host's name: make_msgid would otherwise look it up.
    message["Message-ID"] = make_msgid("digest", domain=sender.rpartition("@")[2].strip("> ") or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    message.set_content(email_text(digest, str(config["SAHAYATA_STAFF_BASE_URL"])))
    message["Content-Language"] = digest.locale  # after set_content, which drops Content-* headers
    return message


def sms_text(digest: Digest, base_url: str) -> str:
    """A summary within SMS_MAX_PARTS parts; the workspace's address if it fits too."""
    w = wording(digest.locale)
    text = w._(
        "Sahayata: %(due)s due today, %(overdue)s overdue in your queue.",
        due=w.number(len(digest.due_today)),
        overdue=w.number(len(digest.overdue)),
    )
    linked = f"{text} {base_url}/staff/"
    return linked if base_url and segments(linked).segments <= SMS_MAX_PARTS else text


# --- sending ---------------------------------------------------------------------------


class Mailer:
    """One SMTP connection for a run's emails, opened for the first one; a failed send
    closes it, and the next send opens a new one."""

    def __init__(self, config: Mapping[str, object]) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except BaseException:
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(str(config["SMTP_HOST"]), int(config["SMTP_PORT"]), timeout=SMTP_TIMEOUT)
        try:
            smtp.ehlo()
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())  # refused if the server offers none
                smtp.ehlo()
            if config["SMTP_USERNAME"]:
                smtp.login(str(config["SMTP_USERNAME"]), str(config["SMTP_PASSWORD"]))
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _sent_channels(session: Session, user_id: int, day: dt.date) -> list[str]:
    since = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), DHAKA).astimezone(dt.UTC)
    details = session.scalars(
        select(StaffAudit.detail).where(
            StaffAudit.staff_id == user_id, StaffAudit.action == DIGEST_SENT, StaffAudit.at >= since
        )
    )
    return sorted({d.get("channel") for d in details if d.get("day") == day.isoformat()} - {None})


@contextmanager
def _one_run_at_a_time(user_id: int, day: dt.date) -> Iterator[bool]:
    """True while this run holds the user's digest for the day; False if another run does."""
    redis = redis_connection()
    key = f"staff:digest:{user_id}:{day.isoformat()}"
    token = secrets.token_hex(8)
    held = bool(redis.set(key, token, nx=True, ex=LOCK_SECONDS))
    try:
        yield held
    finally:
        if held and redis.get(key) in (token, token.encode()):
            redis.delete(key)


def _wanted(user: StaffUser, email_on: bool) -> list[str]:
    return ([EMAIL] if email_on else []) + ([SMS] if user.digest_by_sms and user.phone else [])


def _record(session: Session, digest: Digest, channel: str, now: dt.datetime, **detail: object) -> None:
    session.add(
        StaffAudit(
            staff_id=digest.user.id,
            action=DIGEST_SENT,
            at=as_utc(now),
            detail={
                "day": digest.day.isoformat(),
                "channel": channel,
                "due_today": len(digest.due_today),
                "overdue": len(digest.overdue),
                **detail,
            },
        )
    )


def _send_sms(session: Session, digest: Digest, now: dt.datetime) -> bool:
    user = digest.user
    if opted_out(session, user.phone):
        log.info("digest SMS for staff %s not sent: %s sent STOP", user.id, mask_mobile(user.phone))
        return False
    message_id = create_message(
        session,
        phone=user.phone,
        text=sms_text(digest, current_app.config["SAHAYATA_STAFF_BASE_URL"]),
        locale=digest.locale,
        template=TEMPLATE,
        dedupe_key=f"{TEMPLATE}:{user.id}:{digest.day.isoformat()}",
    )
    _record(session, digest, SMS, now, message_id=message_id)
    session.commit()
    wake_sender([message_id])
    return True


def digest_users(session: Session) -> list[StaffUser]:
    return list(
        session.scalars(
            select(StaffUser).where(StaffUser.role.in_(ROLES), StaffUser.disabled_at.is_(None)).order_by(StaffUser.id)
        )
    )


def run(session: Session, now: dt.datetime | None = None, *, dry_run: bool = False) -> list[Outcome]:
    """Send (dry: say) each user's digest of ``now``'s Dhaka date that has not gone yet.
    Sends nothing before 08:00 Dhaka or on a day off; a dry run reports the day anyway."""
    now = as_utc(now or utcnow())
    config = current_app.config
    if not dry_run and not sending_time(session, now):
        return []
    email_on = bool(config["SMTP_HOST"])
    if not email_on:
        log.info("digest: SMTP_HOST is not set, so no digest goes by email (SMS digests still go)")
    day = dhaka_date(now)
    mailer = Mailer(config)
    outcomes = []
    try:
        for user in digest_users(session):
            outcomes.append(_one_user(session, user, day, now, email_on, mailer, dry_run))
    finally:
        mailer.close()
    return outcomes


def _one_user(
    session: Session, user: StaffUser, day: dt.date, now: dt.datetime, email_on: bool, mailer: Mailer, dry_run: bool
) -> Outcome:
    outcome = Outcome(user)
    wanted = _wanted(user, email_on)
    if not wanted:
        outcome.note = "no channel (no SMTP_HOST, no SMS asked for)"
        return outcome
    guard = _nothing() if dry_run else _one_run_at_a_time(user.id, day)
    with guard as held:
        if not held:
            outcome.note = "another run is sending it"
            return outcome
        outcome.already = _sent_channels(session, user.id, day)
        to_send = [channel for channel in wanted if channel not in outcome.already]
        if not to_send:
            return outcome
        digest = outcome.digest = build_digest(session, user, now)
        if digest.empty:
            outcome.note = "nothing due or overdue"
            return outcome
        if dry_run:
            outcome.channels = to_send
            return outcome
        if EMAIL in to_send:
            try:
                mailer.send(email_message(digest, current_app.config, now))
            except (smtplib.SMTPException, OSError) as exc:
                # The next hour's run tries again: no row says it went.
                log.warning("digest email for staff %s not sent (%s: %s)", user.id, type(exc).__name__, exc)
            else:
                _record(session, digest, EMAIL, now)
                session.commit()
                outcome.channels.append(EMAIL)
        if SMS in to_send and _send_sms(session, digest, now):
            outcome.channels.append(SMS)
    return outcome


@contextmanager
def _nothing() -> Iterator[bool]:
    yield True


@with_app_context
def send_daily_digests() -> dict[str, int]:
    """The scheduler's hourly job; returns how many digests went by each channel."""
    sent = Counter(channel for outcome in run(db_session()) for channel in outcome.channels)
    if sent:
        log.info("daily digests sent: %s", ", ".join(f"{n} by {channel}" for channel, n in sorted(sent.items())))
    return dict(sent)
