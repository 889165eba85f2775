"""`flask --app wsgi staff create | disable | enable | reset-password | demo-accounts`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("staff")
def staff_cli() -> None:
    """Staff accounts."""


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="", help="Shown in the workspace (default: the email).")
@click.option("--role", type=click.Choice(["officer", "gro", "coordinator", "monitoring", "admin"]), required=True)
@click.option("--ministry", default=None, help="Ministry code (officer, gro).")
@click.option("--cluster", default=None, help="Cluster code (coordinator).")
@click.option(
    "--district",
    "districts",
    multiple=True,
    help="Limit an officer to these districts, wholly (code, any spelling of the name, or BBS geo-code).",
)
@click.option(
    "--upazila",
    "upazilas",
    multiple=True,
    help="Limit an officer to these upazila offices (code, any spelling of the name, BBS geo-code, or "
    "District/Upazila for a name several districts have).",
)
@click.option("--language", type=click.Choice(["bn", "en"]), default="bn", show_default=True)
@click.password_option(help="At least 12 characters; asked for when not given.")
@with_appcontext
def create_command(email, name, role, ministry, cluster, districts, upazilas, language, password) -> None:
    """Create a staff account.

    An officer with neither --district nor --upazila sees every tier-1 case of the ministry.
    --district gives whole districts: every tier-1 case filed there, whichever office routing chose.
    --upazila gives upazila offices: the cases of that upazila routed to the upazila office,
    not those routed to the district office. Given both, the officer sees the listed districts
    wholly plus the listed upazilas (an upazila inside a listed district is refused: the district
    covers it already). Only officers are limited to places."""
    from foundation.db import db_session
    from registry.imports.lookups import Lookups
    from registry.models import Cluster, Ministry
    from registry.validation import InvalidValue
    from staff.auth import hash_password
    from staff.models import Role, StaffUser

    session = db_session()
    role = Role(role)
    if role in (Role.OFFICER, Role.GRO) and (not ministry or session.get(Ministry, ministry.upper()) is None):
        raise click.ClickException("an officer needs --ministry with a known ministry code")
    if role is Role.COORDINATOR and (not cluster or session.get(Cluster, cluster.upper()) is None):
        raise click.ClickException("a coordinator needs --cluster with a known cluster code")
    if (districts or upazilas) and role is not Role.OFFICER:
        # The other roles' cases (escalated, sensitive, a cluster's) are not an office's.
        raise click.ClickException(f"only an officer is limited to districts or upazilas, not a {role.value}")
    try:
        lookups = Lookups.load(session) if districts or upazilas else None
        district_ids = _unique(lookups.district(d) for d in districts) if lookups else []
        upazila_ids = _unique(lookups.upazila_anywhere(u) for u in upazilas) if lookups else []
        password_hash = hash_password(password)
    except (InvalidValue, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for upazila_id in upazila_ids:
        if lookups.places.places[("upazila", upazila_id)].parent_id in district_ids:
            where = lookups.district_and_upazila(upazila_id)
            raise click.ClickException(f"upazila {where} is in a district given wholly by --district; leave one out")
    session.add(
        StaffUser(
            email=email.strip().lower(),
            name=name or email,
            password_hash=password_hash,
            role=role,
            ministry_code=ministry.upper() if ministry and role in (Role.OFFICER, Role.GRO) else None,
            cluster_code=cluster.upper() if cluster and role is Role.COORDINATOR else None,
            district_ids=district_ids,
            upazila_ids=upazila_ids,
            language=language,
        )
    )
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise click.ClickException(f"an account for {email} exists already") from None
    # The places a spelling or code resolved to are shown: an officer sees only their cases.
    where = []
    if district_ids:
        where.append(", ".join(lookups.places.places[("district", i)].name_en for i in district_ids))
    if upazila_ids:
        where.append("upazilas " + ", ".join(lookups.district_and_upazila(i) for i in upazila_ids))
    if role is Role.OFFICER and not where:
        where.append(f"all of {ministry.upper()}")
    click.echo(f"{role.value} {email} created" + (f" for {' and '.join(where)}" if where else ""))


def _unique(ids) -> list[int]:
    """Each place once, in the order given (two spellings of one place are one limit)."""
    return list(dict.fromkeys(ids))


def _account(email: str):
    """The account with this email (any case), or a ClickException."""
    from foundation.db import db_session
    from staff.auth import find_account

    user = find_account(db_session(), email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    return user


@staff_cli.command("disable")
@click.argument("email")
@with_appcontext
def disable_command(email: str) -> None:
    """Refuse the account's sign-in and end every session of it now."""
    from foundation.clock import utcnow
    from foundation.db import db_session
    from staff.models import StaffAudit

    user = _account(email)
    user.disabled_at = user.disabled_at or utcnow()
    user.revoke_sessions()
    db_session().add(StaffAudit(staff_id=user.id, action="disabled", detail={"by": "cli"}))
    db_session().commit()
    click.echo(f"{user.email} disabled; every session of it has ended")


@staff_cli.command("enable")
@click.argument("email")
@with_appcontext
def enable_command(email: str) -> None:
    """Let a disabled account sign in again (its old sessions stay ended)."""
    from foundation.db import db_session
    from staff.models import StaffAudit

    user = _account(email)
    user.disabled_at = None
    db_session().add(StaffAudit(staff_id=user.id, action="enabled", detail={"by": "cli"}))
    db_session().commit()
    click.echo(f"{user.email} enabled")


@staff_cli.command("reset-password")
@click.argument("email")
@click.password_option(help="At least 12 characters; asked for when not given.")
@with_appcontext
def reset_password_command(email: str, password: str) -> None:
    """Set a new password and end every session of the account."""
    from foundation.db import db_session
    from staff.auth import set_password

    user = _account(email)
    try:
        set_password(db_session(), user, password, "password_reset")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.email}: new password set; every session of it has ended")


DEMO_PASSWORD = "sahayata-demo-only"
DEMO_ACCOUNTS = (
    ("officer@demo.sahayata", "officer", "MOSW", None),
    ("gro@demo.sahayata", "gro", "MOSW", None),
    ("coordinator@demo.sahayata", "coordinator", None, "SA"),
    ("monitoring@demo.sahayata", "monitoring", None, None),
)


@staff_cli.command("demo-accounts")
@with_appcontext
def demo_accounts_command() -> None:
    """Demo accounts for trying the workspace; refused in production mode (their password
    is public, and sign-in refuses them there too)."""
    from flask import current_app
    from sqlalchemy import select

    from foundation.config import is_production
    from foundation.db import db_session
    from staff.auth import hash_password
    from staff.models import Role, StaffUser

    if is_production(current_app.config):
        raise click.ClickException("production mode: this is a deployment, create real accounts instead")
    session = db_session()
    for email, role, ministry, cluster in DEMO_ACCOUNTS:
        if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is None:
            session.add(
                StaffUser(
                    email=email,
                    name=email.split("@")[0].title(),
                    password_hash=hash_password(DEMO_PASSWORD),
                    role=Role(role),
                    ministry_code=ministry,
                    cluster_code=cluster,
                    district_ids=[],
                    language="bn",
                )
            )
        click.echo(f"  staff: {email} / {DEMO_PASSWORD} ({role})")
    session.commit()
    filed = _demo_complaints(session)
    if filed:
        click.echo(f"  {filed} demo complaints filed for the queues")


def _demo_complaints(session, count: int = 60) -> int:
    """Some complaints from demo citizens, so the queues have work in them (only if none exist)."""
    import random

    from sqlalchemy import func, select

    from grievance.intake import Filing, file_grievance
    from grievance.models import Category, Channel, Grievance
    from registry.models import Citizen, Enrolment

    if session.scalar(select(func.count()).select_from(Grievance)):
        return 0
    rng = random.Random(7)
    people = session.execute(
        select(Citizen.id, Citizen.mobile, Enrolment.programme_code)
        .join(Enrolment, Enrolment.citizen_id == Citizen.id)
        .where(Citizen.mobile.is_not(None))
        .order_by(Citizen.id)
        .limit(count)
    ).all()
    categories = [c for c in Category if c is not Category.OTHER]
    for citizen_id, mobile, programme in people:
        file_grievance(
            session,
            Filing(
                phone=mobile,
                category=rng.choice(categories),
                programme_code=programme,
                text=None,
                channel=rng.choice([Channel.USSD, Channel.SMS]),
                locale="bn",
                citizen_id=citizen_id,
            ),
        )
    return len(people)


@staff_cli.command("digest-sms")
@click.argument("email")
@click.option("--phone", default=None, help="Send the daily digest by SMS to this mobile (+8801…).")
@click.option("--off", is_flag=True, help="Stop sending the daily digest by SMS.")
@with_appcontext
def digest_sms_command(email: str, phone: str | None, off: bool) -> None:
    """Whether the account gets its daily digest by SMS too (the email goes anyway); with
    neither option, says what is set."""
    from foundation.db import db_session
    from foundation.masking import mask_mobile
    from registry.validation import InvalidValue, normalise_mobile
    from staff.models import StaffAudit

    if phone is not None and off:
        raise click.ClickException("give --phone or --off, not both")
    user = _account(email)
    if phone is None and not off:
        state = f"on, to {mask_mobile(user.phone)}" if user.digest_by_sms and user.phone else "off"
        click.echo(f"{user.email}: digest by SMS {state}")
        return
    if off:
        user.digest_by_sms = False
    else:
        try:
            user.phone = normalise_mobile(phone)
        except InvalidValue as exc:
            raise click.ClickException(str(exc)) from None
        user.digest_by_sms = True
    # The number is in the audit masked, as in every log.
    detail = {"by": "cli", "sms": user.digest_by_sms, "phone": mask_mobile(user.phone)}
    db_session().add(StaffAudit(staff_id=user.id, action="digest_sms", detail=detail))
    db_session().commit()
    click.echo(f"{user.email}: digest by SMS " + (f"on, to {mask_mobile(user.phone)}" if user.digest_by_sms else "off"))


@staff_cli.command("digest")
@click.option("--dry-run", is_flag=True, help="Say who would get what today; send nothing.")
@with_appcontext
def digest_command(dry_run: bool) -> None:
    """Send today's digests that have not gone yet (what the scheduler does every hour):
    from 08:00 Dhaka time on working days, each user's once a day."""
    from foundation.clock import utcnow
    from foundation.db import db_session
    from foundation.masking import mask_mobile
    from staff import digest

    session = db_session()
    now = utcnow()
    if not digest.sending_time(session, now):
        click.echo("before 08:00 Dhaka time or not a working day: a run now sends nothing")
        if not dry_run:
            return
    outcomes = digest.run(session, now, dry_run=dry_run)
    verb = "would get" if dry_run else "got"
    for outcome in outcomes:
        user, found = outcome.user, outcome.digest
        counts = f"{len(found.due_today)} due today, {len(found.overdue)} overdue" if found else ""
        ways = [
            f"email to {user.email}" if c == digest.EMAIL else f"SMS to {mask_mobile(user.phone)}"
            for c in outcome.channels
        ]
        if ways:
            click.echo(f"{user.email} ({user.role.value}, {user.language}) {verb} {counts}: {'; '.join(ways)}")
        elif outcome.already:
            click.echo(f"{user.email}: sent already today by {', '.join(outcome.already)}")
        else:
            click.echo(f"{user.email}: nothing sent ({outcome.note or 'failed, see the log'})")
    sent = sum(len(o.channels) for o in outcomes)
    click.echo(f"{sent} digest(s) {'to send' if dry_run else 'sent'} to {len(outcomes)} officer(s) checked")
