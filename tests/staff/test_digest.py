"""The daily digest: each officer's cases due today and overdue, by email (received by a real
SMTP server on a loopback port) and, opted in, by SMS through the outbound pipe; once per
Dhaka date from 08:00 on working days; only the cases the user's scope shows."""

import datetime as dt
import itertools
import logging
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from foundation.config import UnsafeStart, settings_from_env
from foundation.jobs import jobs_run_inline, redis_connection
from grievance.models import Category, Grievance
from grievance.sla import DHAKA
from outbound_sms import sending
from outbound_sms.models import Message, MessageStatus
from registry.models import Citizen, District, Upazila
from staff import digest
from staff.models import StaffAudit
from tests.factories import make_staff

BASE = "https://staff.sahayata.example"
SENDER = "digest@sahayata.example"
# A Wednesday, a working day: the digest's day in most tests.
DAY = dt.date(2026, 12, 2)


def dhaka(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), DHAKA).astimezone(dt.UTC)


def end_of(day: dt.date) -> dt.datetime:
    """Where the SLA clock puts a deadline: the end of the day, Dhaka time."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), DHAKA).astimezone(dt.UTC)


class Inbox:
    """What the SMTP server accepted: (envelope sender, recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # the name aiosmtpd calls
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [message for _, recipients, message in self.received if address in recipients]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """start(**controller_options) -> (Inbox, port): an aiosmtpd server on a free loopback port."""
    started = []

    def start(**options):
        inbox = Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def mail(app, monkeypatch, smtp_server):
    """The app's digest email goes to a local SMTP server (no TLS on loopback); its inbox."""
    inbox, port = smtp_server()
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False, "SMTP_FROM": SENDER}
    for key, value in {**settings, "SAHAYATA_STAFF_BASE_URL": BASE}.items():
        monkeypatch.setitem(app.config, key, value)
    return inbox


@pytest.fixture
def clock(monkeypatch):
    """set(moment): the time the digest job reads."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(digest, "utcnow", lambda: moment)

    return set_to


@pytest.fixture
def case(session, routed_case):
    """case(due_at, **filing): a routed complaint (MOSW, tier 1) with this deadline."""

    phones = itertools.count(711_000_001)

    def make(due_at: dt.datetime, **changes) -> Grievance:
        # Each from its own phone: one phone's second complaint of a kind in a day is a duplicate.
        grievance = routed_case(**{"phone": f"+8801{next(phones)}", **changes})
        grievance.due_at = due_at
        session.commit()
        return grievance

    return make


def place_names(session, grievance: Grievance) -> tuple[str, str]:
    district = session.get(District, grievance.district_id)
    upazila = session.get(Upazila, grievance.upazila_id)
    return f"{upazila.name_en}, {district.name_en}", f"{upazila.name_bn}, {district.name_bn}"


def digest_rows(session, user) -> list[dict]:
    rows = session.scalars(
        select(StaffAudit.detail).where(StaffAudit.staff_id == user.id, StaffAudit.action == "digest_sent")
    )
    return sorted(rows, key=lambda detail: (detail["day"], detail["channel"]))


def handed_to_the_sender(app, sms: Message) -> bool:
    """Sent by the console provider (jobs inline), or waiting in the sender's Redis list."""
    if jobs_run_inline(app):
        return sms.status is MessageStatus.SENT
    waiting = redis_connection(app).lrange(sending.OUTBOX_LIST, 0, -1)
    return str(sms.id).encode() in waiting


def test_an_officer_gets_an_email_of_what_is_due_today_and_overdue(session, mail, clock, case, officer):
    late = case(end_of(DAY - dt.timedelta(days=2)))
    today = case(end_of(DAY), category=Category.WRONG_DATA)
    later = case(end_of(DAY + dt.timedelta(days=5)))
    clock(dhaka(DAY, 9))
    assert digest.send_daily_digests() == {"email": 1}
    assert len(mail.received) == 1
    sender, recipients, message = mail.received[0]
    assert (sender, recipients) == (SENDER, [officer.email])
    assert message["Subject"] == "Sahayata: 1 due today, 1 overdue (2 December 2026)"
    assert message["To"] == officer.email and message["From"] == SENDER
    body = message.get_body(("plain",)).get_content()
    where, _ = place_names(session, late)
    assert f"- {late.tracking_number}: Payment not received, {where}, deadline 30 November 2026, 23:59" in body
    assert f"- {today.tracking_number}: Wrong personal data, {where}, deadline 2 December 2026, 23:59" in body
    assert body.index("Overdue (1)") < body.index(late.tracking_number) < body.index("Due today (1)")
    assert (
        f"{BASE}/staff/cases/{late.tracking_number}" in body and f"{BASE}/staff/cases/{today.tracking_number}" in body
    )
    assert later.tracking_number not in body
    # An email leaves the system: no citizen's name, phone number or NID in any part of it.
    citizen = session.get(Citizen, late.citizen_id)
    raw = message.as_string() + body
    for personal in (citizen.name_en, citizen.name_bn, citizen.nid, citizen.mobile, citizen.mobile[-10:], "+880"):
        assert personal not in raw
    assert digest_rows(session, officer) == [
        {"day": "2026-12-02", "channel": "email", "due_today": 1, "overdue": 1},
    ]


def test_a_bangla_officer_reads_it_in_bangla_with_bengali_digits_and_dhaka_time(session, mail, clock, case):
    officer = make_staff(session, "officer", language="bn")
    session.commit()
    late = case(end_of(DAY - dt.timedelta(days=1)))
    clock(dhaka(DAY, 8, 30))
    digest.send_daily_digests()
    [message] = mail.to(officer.email)
    assert message["Content-Language"] == "bn"
    assert message["Subject"] == "সহায়তা: আজ শেষ দিন ০টি, মেয়াদোত্তীর্ণ ১টি (২ ডিসেম্বর ২০২৬)"
    body = message.get_body(("plain",)).get_content()
    _, where = place_names(session, late)
    number = late.tracking_number.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    # The deadline is the end of 1 December in Dhaka (17:59 UTC), shown as Dhaka time.
    assert f"- {number}: পেমেন্ট পাইনি, {where}, সময়সীমা ১ ডিসেম্বর ২০২৬, ২৩:৫৯" in body
    assert "মেয়াদোত্তীর্ণ (১)" in body and "আজ শেষ দিন" not in body.split("\n\n")[1]
    assert f"{BASE}/staff/cases/{late.tracking_number}" in body  # the link keeps ASCII digits
    assert "Payment not received" not in body and "Overdue" not in body


def test_only_the_cases_of_the_users_own_scope_and_only_officers_and_redress_officers(session, mail, clock, case):
    cumilla = case(end_of(DAY))
    feni = case(end_of(DAY), district="Feni")
    escalated = case(end_of(DAY - dt.timedelta(days=3)))
    escalated.tier = 2
    session.commit()
    cumilla_id = session.scalar(select(District.id).where(District.name_en == "Cumilla"))
    local = make_staff(session, "officer", district_ids=[cumilla_id])
    whole_ministry = make_staff(session, "officer")
    gro = make_staff(session, "gro")
    other_ministry = make_staff(session, "officer", ministry_code="MOWCA")
    quiet = [
        make_staff(session, "coordinator"),
        make_staff(session, "monitoring"),
        make_staff(session, "admin"),
        make_staff(session, "officer", disabled_at=dhaka(DAY, 0)),
    ]
    session.commit()
    clock(dhaka(DAY, 9))
    digest.send_daily_digests()

    def numbers(user) -> set[str]:
        [message] = mail.to(user.email)
        body = message.get_body(("plain",)).get_content()
        return {n for n in (cumilla.tracking_number, feni.tracking_number, escalated.tracking_number) if n in body}

    assert numbers(local) == {cumilla.tracking_number}
    assert numbers(whole_ministry) == {cumilla.tracking_number, feni.tracking_number}
    assert numbers(gro) == {escalated.tracking_number}
    recipients = {address for _, addresses, _ in mail.received for address in addresses}
    assert recipients == {local.email, whole_ministry.email, gro.email}
    assert other_ministry.email not in recipients and not recipients & {user.email for user in quiet}


def test_once_a_day_from_eight_in_the_morning_dhaka_time(session, mail, clock, case, officer):
    case(end_of(DAY))
    clock(dhaka(DAY, 7, 59))
    assert digest.send_daily_digests() == {}
    assert mail.received == []
    for hour in (8, 9, 23):  # the hourly runs of the day: the first after 08:00 sends it
        clock(dhaka(DAY, hour))
        digest.send_daily_digests()
    assert len(mail.received) == 1
    assert digest.run(session, dhaka(DAY, 10)) and len(mail.received) == 1  # a second run by hand too
    next_day = DAY + dt.timedelta(days=1)
    case(end_of(next_day))
    clock(dhaka(next_day, 8, 5))
    assert digest.send_daily_digests() == {"email": 1}
    assert [row["day"] for row in digest_rows(session, officer)] == ["2026-12-02", "2026-12-03"]


def test_no_digest_on_the_weekend_or_for_nothing_due(session, mail, clock, case, officer):
    friday = dt.date(2026, 12, 4)
    case(end_of(DAY))  # overdue by Friday
    clock(dhaka(friday, 9))
    assert digest.send_daily_digests() == {}
    later = make_staff(session, "officer", ministry_code="MOSW", district_ids=[999])  # sees no case
    session.commit()
    clock(dhaka(DAY, 9))
    digest.send_daily_digests()
    assert mail.to(later.email) == [] and len(mail.to(officer.email)) == 1


def test_a_server_that_fails_is_tried_again_the_next_hour(app, session, monkeypatch, smtp_server, clock, case, officer):
    case(end_of(DAY))
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nobody listens there
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    clock(dhaka(DAY, 8))
    assert digest.send_daily_digests() == {}
    assert digest_rows(session, officer) == []
    inbox, port = smtp_server()
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    clock(dhaka(DAY, 9))
    assert digest.send_daily_digests() == {"email": 1}
    assert len(inbox.to(officer.email)) == 1


def test_starttls_is_required_unless_turned_off(app, session, monkeypatch, smtp_server, clock, case, officer, caplog):
    """The default never sends the case list or a password in clear to a server without TLS."""
    case(end_of(DAY))
    inbox, port = smtp_server()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", True)
    clock(dhaka(DAY, 9))
    with caplog.at_level(logging.WARNING, logger="staff.digest"):
        assert digest.send_daily_digests() == {}
    assert inbox.received == [] and "not sent" in caplog.text and "STARTTLS" in caplog.text


def test_the_username_and_password_are_given_to_the_server(app, session, monkeypatch, smtp_server, clock, case):
    logins = []

    def authenticator(server, session_, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"the smtp secret")

    # Plain AUTH on loopback only because the test server has no certificate.
    inbox, port = smtp_server(authenticator=authenticator, auth_require_tls=False)
    officer = make_staff(session, "officer")
    session.commit()
    case(end_of(DAY))
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False, "SMTP_USERNAME": "sahayata"}
    for key, value in {**settings, "SMTP_PASSWORD": "the smtp secret"}.items():
        monkeypatch.setitem(app.config, key, value)
    clock(dhaka(DAY, 9))
    assert digest.send_daily_digests() == {"email": 1}
    assert logins == [("sahayata", "the smtp secret")] and len(inbox.to(officer.email)) == 1


def test_sms_for_those_who_opt_in_once_a_day_through_the_outbound_pipe(app, session, cli, clock, case, caplog):
    officer = make_staff(session, "officer", language="bn")
    session.commit()
    case(end_of(DAY))
    case(end_of(DAY - dt.timedelta(days=4)))
    result = cli.invoke(args=["staff", "digest-sms", officer.email, "--phone", "01711 223344"])
    assert result.exit_code == 0, result.output
    assert "+88017*****344" in result.output and "01711223344" not in result.output
    session.refresh(officer)
    assert (officer.phone, officer.digest_by_sms) == ("+8801711223344", True)
    assert app.config["SMTP_HOST"] == ""  # no email server: the SMS goes anyway
    clock(dhaka(DAY, 8))
    with caplog.at_level(logging.INFO, logger="staff.digest"):
        assert digest.send_daily_digests() == {"sms": 1}
        clock(dhaka(DAY, 9))
        assert digest.send_daily_digests() == {}
    assert "SMTP_HOST is not set" in caplog.text
    [sms] = session.scalars(select(Message).where(Message.phone == "+8801711223344")).all()
    assert sms.text == "সহায়তা: আপনার তালিকায় আজ শেষ দিন ১টি, মেয়াদোত্তীর্ণ ১টি অভিযোগ।"
    assert sms.template == "staff_digest" and sms.dedupe_key == f"staff_digest:{officer.id}:2026-12-02"
    assert sms.segments <= 2 and sms.locale == "bn" and handed_to_the_sender(app, sms)
    assert "+8801711223344" not in caplog.text and "01711223344" not in caplog.text

    off = cli.invoke(args=["staff", "digest-sms", officer.email, "--off"])
    assert off.exit_code == 0 and "off" in off.output
    clock(dhaka(DAY + dt.timedelta(days=1), 9))
    assert digest.send_daily_digests() == {}
    assert session.scalar(select(Message.id).where(Message.dedupe_key.like("staff_digest:%:2026-12-03"))) is None


def test_the_sms_carries_the_workspace_address_within_two_parts(app, session, monkeypatch, clock, case):
    monkeypatch.setitem(app.config, "SAHAYATA_STAFF_BASE_URL", BASE)
    english = make_staff(session, "officer", phone="+8801811223344", digest_by_sms=True)
    session.commit()
    for _ in range(3):
        case(end_of(DAY))
    clock(dhaka(DAY, 9))
    digest.send_daily_digests()
    sms = session.scalar(select(Message).where(Message.phone == english.phone))
    assert sms.text == f"Sahayata: 3 due today, 0 overdue in your queue. {BASE}/staff/"
    assert sms.segments == 1


def test_bad_input_to_the_sms_command_is_refused_in_one_line(cli, session, officer):
    for args, says in (
        (["--phone", "12345"], "not a"),
        (["--phone", "+8801711223344", "--off"], "not both"),
    ):
        result = cli.invoke(args=["staff", "digest-sms", officer.email, *args])
        assert result.exit_code != 0 and says in result.output
    assert cli.invoke(args=["staff", "digest-sms", "nobody@example.org", "--off"]).exit_code != 0
    shown = cli.invoke(args=["staff", "digest-sms", officer.email])
    assert shown.exit_code == 0 and "digest by SMS off" in shown.output


def test_the_digest_command_runs_it_by_hand_and_dry_runs_say_who_would_get_what(session, mail, monkeypatch, cli, case):
    officer = make_staff(session, "officer", phone="+8801911223344", digest_by_sms=True)
    session.commit()
    case(end_of(DAY))
    monkeypatch.setattr("foundation.clock.utcnow", lambda: dhaka(DAY, 9))
    dry = cli.invoke(args=["staff", "digest", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{officer.email} (officer, en) would get 1 due today, 0 overdue" in dry.output
    assert "SMS to +88019*****344" in dry.output and "+8801911223344" not in dry.output
    assert mail.received == [] and session.scalar(select(Message.id)) is None
    sent = cli.invoke(args=["staff", "digest"])
    assert sent.exit_code == 0 and f"{officer.email} (officer, en) got" in sent.output
    assert len(mail.to(officer.email)) == 1 and session.scalar(select(Message.template)) == "staff_digest"
    again = cli.invoke(args=["staff", "digest"])
    assert "sent already today by email, sms" in again.output and len(mail.received) == 1


def test_the_digest_settings_default_to_no_email_and_refuse_a_bad_port():
    settings = settings_from_env({})
    assert settings["SMTP_HOST"] == "" and settings["SMTP_PORT"] == 587 and settings["SMTP_STARTTLS"] is True
    assert settings["SAHAYATA_STAFF_BASE_URL"] == ""
    given = settings_from_env({"SMTP_PORT": "2525", "SMTP_STARTTLS": "0", "SAHAYATA_STAFF_BASE_URL": BASE + "/"})
    assert given["SMTP_PORT"] == 2525 and given["SMTP_STARTTLS"] is False and given["SAHAYATA_STAFF_BASE_URL"] == BASE
    with pytest.raises(UnsafeStart, match="SMTP_PORT"):
        settings_from_env({"SMTP_PORT": "smtp"})


def test_the_job_is_scheduled_hourly():
    from sahayata.scheduler import PERIODIC_JOBS

    assert ("staff.digest.send_daily_digests", 3600) in PERIODIC_JOBS
