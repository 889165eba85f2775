"""The staff workspace's pages: thin handlers over staff.queue, staff.cases and staff.dashboards."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy import select

from foundation.db import db_session
from foundation.i18n import format_day, format_number
from foundation.masking import mask_mobile
from foundation.wording import wording
from grievance.actions import Action, ActionRefused
from grievance.labels import status_label, trail_note
from grievance.models import Category, Channel, Grievance, Status
from grievance.status import TransitionNotAllowed
from notices.notifications import SentToCitizen
from outbound_sms.encoding import configured_billing
from outbound_sms.models import MessageStatus
from registry.case_facts import programme_name
from registry.labels import channel_label, failure_reason_label, payment_status_label, unit_label
from registry.models import (
    Cluster,
    EnrolmentStatus,
    Ministry,
    PaymentChannel,
    PaymentStatus,
    Programme,
    RedemptionChannel,
    RedemptionStatus,
)
from registry.places import place_index
from staff import aggregates, cases, charts, dashboard_page, dashboards, signal_labels, signals
from staff.auth import authenticate, change_own_password, sign_out_everywhere, start_session
from staff.local_time import local_time
from staff.models import Role
from staff.queue import (
    SLA_STATES,
    SORTS,
    QueueFilter,
    district_choices,
    place_name,
    queue_page,
    queue_query,
    sla_state,
)
from staff.scope import also_concerned, may_act, may_change, sees_cases
from staff.search import MAX_SEARCH_CHARS, MIN_NAME_CHARS

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")


@bp.before_request
def _protect_forms() -> None:
    from staff import csrf

    if request.method == "POST":
        csrf.protect()


def ministry_names(session, locale: str) -> dict[str, str]:
    """Every ministry's name in the user's language, by code (the workspace names, never codes)."""
    rows = session.execute(select(Ministry.code, Ministry.name_en, Ministry.name_bn).order_by(Ministry.code))
    return {code: (name_bn if locale == "bn" else name_en) or code for code, name_en, name_bn in rows}


@bp.app_context_processor
def _signed_in_unit() -> dict[str, object]:
    """The header's "who am I": the user's ministry or cluster by name, else their role."""

    def unit() -> str:
        if not current_user or not current_user.is_authenticated:
            return ""
        session, locale = db_session(), str(get_locale())
        if current_user.ministry_code:
            return ministry_names(session, locale).get(current_user.ministry_code, current_user.ministry_code)
        if current_user.cluster_code:
            names = session.execute(
                select(Cluster.name_en, Cluster.name_bn).where(Cluster.code == current_user.cluster_code)
            ).first()
            if names:
                return names[1] if locale == "bn" else names[0]
        return CaseLabels.role(current_user.role)

    return {"signed_in_unit": unit}


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError):
    return render_template("staff/error.html", message=_("The form has expired. Go back, reload and try again.")), 400


@bp.errorhandler(RedisError)
def _redis_down(error: RedisError):
    # Sign-in counts failures in Redis; without it no one signs in rather than everyone unthrottled.
    return render_template("staff/error.html", message=_("Service unavailable. Please try again later.")), 503


@bp.errorhandler(404)
def _not_found(error):
    return render_template("staff/error.html", message=_("Not found.")), 404


@bp.errorhandler(403)
def _forbidden(error):
    return render_template("staff/error.html", message=_("You may read this case but not act on it.")), 403


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        form = request.form
        attempt = authenticate(db_session(), form.get("email", ""), form.get("password", ""), request.remote_addr)
        if attempt.user is not None:
            start_session(attempt.user)
            return redirect(url_for("staff.home"))
        if attempt.retry_after:
            message = _("Too many failed attempts. Wait 15 minutes and try again.")
            page = render_template("staff/login.html", error=message)
            return page, 429, {"Retry-After": str(attempt.retry_after)}
        # The same answer for an unknown email, a wrong password and a disabled account.
        return render_template("staff/login.html", error=_("Wrong email or password.")), 401
    return render_template("staff/login.html")


@bp.post("/logout")
@login_required
def logout():
    sign_out_everywhere(db_session(), current_user._get_current_object())
    return redirect(url_for("staff.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    if request.method == "POST":
        user, form = current_user._get_current_object(), request.form
        fields = (form.get("current_password", ""), form.get("new_password", ""), form.get("new_password_again", ""))
        change = change_own_password(db_session(), user, *fields, request.remote_addr)
        if change.error is None:
            start_session(user)  # this browser carries on; every other session has ended
            flash(_("Password changed. Every other session of this account is signed out."))
            return redirect(url_for("staff.home"))
        status, headers = (429, {"Retry-After": str(change.retry_after)}) if change.retry_after else (400, {})
        return render_template("staff/password.html", error=change.error), status, headers
    return render_template("staff/password.html")


@bp.post("/language")
@login_required
def language():
    if request.form.get("language") in ("bn", "en"):
        current_user.language = request.form["language"]
        db_session().commit()
    return redirect(_same_site_path(request.referrer) or url_for("staff.home"))


def _same_site_path(referrer: str | None) -> str | None:
    """Back to the page the switch was pressed on, never to another site a Referer names."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or not parts.path.startswith("/staff"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.get("/")
@login_required
def home():
    if not sees_cases(current_user):
        return redirect(url_for("staff.dashboard"))
    session = db_session()
    locale = str(get_locale())
    page = queue_page(session, current_user, QueueFilter.from_args(request.args), locale)
    body = render_template(
        "staff/queue.html",
        page=page,
        sla_state=sla_state,
        may_act=may_act(current_user),
        may_change=lambda grievance: may_change(current_user, grievance),
        also_concerned=lambda grievance: also_concerned(current_user, grievance),
        statuses=[s.value for s in Status],
        categories=[c.value for c in Category],
        sla_states=SLA_STATES,
        sorts=SORTS,
        max_search=MAX_SEARCH_CHARS,
        min_name=MIN_NAME_CHARS,
        n=_n,
        districts=district_choices(locale),
        programmes=_programme_names(session, locale),
        ministry_names=ministry_names(session, locale),
    )
    # A search refused for its length is said on the page, with the form to shorten it.
    return body, 400 if page.filter.search_too_long else 200


def _programme_names(session, locale: str) -> dict[str, str]:
    """Every programme's name in the user's language, by code, in the order of the names."""
    rows = session.execute(select(Programme.code, Programme.name_en, Programme.name_bn)).all()
    names = {code: (name_bn if locale == "bn" else name_en) or code for code, name_en, name_bn in rows}
    return dict(sorted(names.items(), key=lambda item: item[1]))


@bp.get("/queue.csv")
@login_required
def queue_csv():
    if not sees_cases(current_user):
        abort(404)
    chosen = QueueFilter.from_args(request.args)
    if chosen.search_too_long:
        return Response(_search_too_long(), status=400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    # ministry is the lead; a row whose also_ministry is the reader's own is theirs to note only.
    writer.writerow(
        [
            "tracking_number",
            "status",
            "tier",
            "programme",
            "category",
            "district",
            "upazila",
            "created_at",
            "due_at",
            "ministry",
            "also_ministry",
        ]
    )
    for g in db_session().scalars(queue_query(current_user, chosen).limit(100_000)):
        writer.writerow(
            [
                g.tracking_number,
                g.status.value,
                g.tier,
                g.programme_code or "",
                g.category.value,
                place_name("district", g.district_id, "en"),
                place_name("upazila", g.upazila_id, "en"),
                g.created_at.isoformat(),
                g.due_at.isoformat() if g.due_at else "",
                g.ministry_code or "",
                g.also_ministry_code or "",
            ]
        )
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=queue.csv"}
    )


def _search_too_long() -> str:
    return _("The search is too long: at most %(count)s characters.", count=_n(MAX_SEARCH_CHARS))


@bp.post("/queue/acknowledge")
@login_required
def bulk_acknowledge():
    if not may_act(current_user):
        abort(403)
    done = cases.bulk_acknowledge(db_session(), current_user, request.form.getlist("case"))
    flash(_("%(count)s complaint(s) acknowledged.", count=done))
    return redirect(url_for("staff.home", **request.args))


def _case_or_404(number: str):
    grievance = cases.find_case(db_session(), current_user, number)
    if grievance is None:
        abort(404)
    return grievance


@bp.get("/cases/<number>")
@login_required
def case(number: str):
    return _case_page(_case_or_404(number))


def _case_page(
    grievance: Grievance,
    note: str = "",
    action: str = "",
    preview: cases.QuestionPreview | None = None,
    status: int = 200,
):
    """The whole case on one page; after a refused or previewed SMS, with the officer's text kept."""
    session = db_session()
    locale = str(get_locale())
    phone = cases.contact_phone(session, grievance)
    actions = cases.allowed_actions(current_user, grievance)
    names = ministry_names(session, locale)
    page = render_template(
        "staff/case.html",
        g=grievance,
        file=cases.case_file(session, grievance, locale),
        programme=programme_name(session, grievance.programme_code, locale),
        ministry=names.get(grievance.ministry_code or "", grievance.ministry_code or ""),
        masked_phone=mask_mobile(phone),
        may_reveal=grievance.assigned_to == current_user.id,
        may_act=bool(actions),
        also_concerned=also_concerned(current_user, grievance),
        ministries=list(names.items()),
        ministry_names=names,
        actions=actions,
        sla=sla_state(grievance),
        note=note,
        chosen_action=action,
        preview=preview,
        preview_summary=_parts_summary(preview) if preview else "",
        frames=cases.sms_frames(grievance),
        counting=_counting_words(),
        billing=configured_billing().value,
        label=CaseLabels(locale),
        when=lambda moment: local_time(moment, locale),
    )
    return page, status


def _counting_words() -> dict[str, str]:
    """What the page's script says of its own count, with {placeholders} it fills in (the
    script has no catalog); digits follow the page's language."""
    return {
        "count": _("Your text: {typed} units. The whole SMS: {units} units ({encoding}), {parts} SMS part(s)."),
        "ask_over": _("Too long: at most {max} SMS parts may be sent."),
        "resolve_over": _("The note will be shortened to fit {max} SMS parts."),
    }


class CaseLabels:
    """The case page's values in the page's language: statuses, channels, actors, actions."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.wording = wording(locale)

    def money(self, amount: Decimal) -> str:
        return self.wording.money(amount)

    def number(self, value) -> str:
        return self.wording.number(value)

    def cycle(self, cycle: str) -> str:
        return self.wording.cycle(cycle)

    def quantity(self, amount: Decimal, unit: str) -> str:
        return self.wording.quantity(amount, unit_label(self.locale, unit))

    def payment_status(self, status: PaymentStatus) -> str:
        return payment_status_label(self.locale, status)

    def payment_channel(self, channel: PaymentChannel | None) -> str:
        return channel_label(self.locale, channel)

    def failure_reason(self, reason: str | None) -> str:
        return failure_reason_label(self.locale, reason) if reason else ""

    @staticmethod
    def enrolment_status(status: EnrolmentStatus) -> str:
        return {
            EnrolmentStatus.ACTIVE: _("active"),
            EnrolmentStatus.SUSPENDED: _("suspended"),
            EnrolmentStatus.EXITED: _("left the programme"),
        }[status]

    @staticmethod
    def redemption_status(status: RedemptionStatus) -> str:
        return {
            RedemptionStatus.AWAITING_CODE: _("waiting for the citizen's code"),
            RedemptionStatus.COMPLETED: _("handed over"),
            RedemptionStatus.REFUSED: _("refused by the citizen"),
            RedemptionStatus.CANCELLED: _("cancelled after wrong codes"),
            RedemptionStatus.EXPIRED: _("code expired"),
        }[status]

    @staticmethod
    def channel(channel: Channel | RedemptionChannel | None) -> str:
        if channel is None:
            return ""
        names = {"ussd": _("USSD"), "sms": _("SMS"), "staff": _("staff workspace"), "api": _("outlet app")}
        return names[channel.value]

    @staticmethod
    def delivery(sent: SentToCitizen) -> str:
        """Where an SMS to the citizen stands, as its delivery reports say."""
        if sent.status is None:
            if sent.waiting:
                return _("waiting to be sent")
            return _("not sent: the citizen stopped alerts, or there is no phone number")
        return {
            MessageStatus.CREATED: _("waiting to be sent"),
            MessageStatus.SENDING: _("being sent"),
            MessageStatus.SENT: _("sent; no delivery report yet"),
            MessageStatus.DELIVERED: _("delivered"),
            MessageStatus.FAILED: _("failed"),
            MessageStatus.UNDELIVERED: _("not delivered"),
        }[sent.status]

    @staticmethod
    def answer(said: cases.Said) -> str:
        if said.answer is None:
            return ""
        return _("yes: it is resolved") if said.answer else _("no: it is not resolved")

    @staticmethod
    def role(role: Role | None) -> str:
        if role is None:
            return ""
        return {
            Role.OFFICER: _("officer"),
            Role.GRO: _("grievance redress officer"),
            Role.COORDINATOR: _("cluster coordinator"),
            Role.MONITORING: _("monitoring division"),
            Role.ADMIN: _("administrator"),
        }[role]

    def actor(self, actor: str, staff: dict[int, tuple[str, Role]]) -> str:
        """Who made an entry of the trail: a person's name and role, or what did it."""
        staff_id = cases.staff_id_of(actor)
        if staff_id is not None:
            if staff_id not in staff:
                return _("a staff member")
            name, role = staff[staff_id]
            return f"{name} ({self.role(role)})"
        named = {
            "citizen": _("the citizen"),
            "router": _("routing"),
            "system": _("the system"),
            "outbox": _("the SMS sender"),
            "sla-clock": _("the deadline clock"),
            "monitoring": _("the monitoring desk"),
            "cli": _("an administrator (command line)"),
        }
        return named.get(actor, actor)

    def event_note(self, event, ministries: dict[str, str]) -> str:
        """A trail entry's note: a job's note as a sentence, a person's as they wrote it."""
        return trail_note(self.locale, event.note or "", ministries)

    @staticmethod
    def action(action: str) -> str:
        """An action as the menu offers it."""
        return {
            Action.ACKNOWLEDGE: _("Acknowledge"),
            Action.NOTE: _("Add an internal note"),
            Action.ASK: _("Ask the citizen by SMS"),
            Action.TRANSFER: _("Transfer to another ministry"),
            Action.RESOLVE: _("Resolve (the citizen is told by SMS)"),
            Action.REJECT: _("Reject"),
        }.get(action, action)

    @staticmethod
    def done(action: str) -> str:
        """An action as the audit trail records it."""
        return {
            "acknowledge": _("acknowledged"),
            "start": _("started work"),
            "note": _("added an internal note"),
            "ask": _("asked the citizen"),
            "transfer": _("transferred"),
            "resolve": _("marked resolved"),
            "reject": _("rejected"),
            "reveal_phone": _("saw the full phone number"),
        }.get(action, action)


@bp.post("/cases/<number>/ask/preview")
@login_required
def ask_preview(number: str):
    """The SMS a question would send and its parts, while the officer types (JSON for the
    page's script; without script, the case page with the preview). Sends nothing."""
    return _sms_preview(number, Action.ASK.value)


@bp.post("/cases/<number>/resolve/preview")
@login_required
def resolve_preview(number: str):
    """The "is it resolved?" SMS the note would send, cut to fit as it will be; sends nothing."""
    return _sms_preview(number, Action.RESOLVE.value)


@bp.post("/cases/<number>/preview")
@login_required
def sms_preview(number: str):
    """The page's "Preview the SMS" button, without script: for the action the form names."""
    return _sms_preview(number, request.form.get("action", ""))


def _sms_preview(number: str, chosen: str):
    grievance = _case_or_404(number)
    wants_json = request.accept_mimetypes.best == "application/json"
    if chosen not in (Action.ASK.value, Action.RESOLVE.value):
        reason = _("Only a question or a resolution sends the citizen an SMS to preview.")
        if wants_json:
            return {"error": reason}, 400
        flash(reason, "error")
        return _case_page(grievance, request.form.get("note", ""), chosen, status=400)
    action = Action(chosen)
    if action not in cases.allowed_actions(current_user, grievance):
        abort(403)
    text = request.form.get("note", "")
    if action is Action.ASK and len(text) > cases.NOTE_MAX_CHARS:
        reason = _("The question is too long: at most %(count)s characters.", count=_n(cases.NOTE_MAX_CHARS))
        if wants_json:
            return {"error": reason}, 413
        flash(reason, "error")
        return _case_page(grievance, text, chosen, status=413)
    # A resolution's note is never refused for its length: the SMS carries as much as fits.
    preview = (
        cases.preview_question(grievance, text) if action is Action.ASK else cases.preview_resolution(grievance, text)
    )
    if wants_json:
        return {
            "text": preview.text,
            "parts": preview.parts,
            "max_parts": cases.QUESTION_MAX_PARTS,
            "fits": preview.fits,
            "shortened": preview.shortened,
            "encoding": preview.encoding,
            "units": preview.units,
            "summary": _parts_summary(preview),
        }
    return _case_page(grievance, text, chosen, preview)


def _n(number: int) -> str:
    return format_number(number, str(get_locale()))  # ২ on a Bangla page


def _parts_summary(preview: cases.QuestionPreview) -> str:
    if preview.shortened:
        return _(
            "%(parts)s of at most %(max)s SMS parts: the note is shortened to fit.",
            parts=_n(preview.parts),
            max=_n(cases.QUESTION_MAX_PARTS),
        )
    if preview.fits:
        return _("%(parts)s of at most %(max)s SMS parts.", parts=_n(preview.parts), max=_n(cases.QUESTION_MAX_PARTS))
    return _too_long(preview.parts)


def _too_long(parts: int) -> str:
    return _(
        "the question would need %(parts)s SMS parts; at most %(max)s may be sent. Shorten it.",
        parts=_n(parts),
        max=_n(cases.QUESTION_MAX_PARTS),
    )


@bp.post("/cases/<number>/act")
@login_required
def act(number: str):
    session = db_session()
    grievance = _case_or_404(number)
    try:
        action = cases.offered_action(request.form.get("action", ""))
        cases.perform(
            session, current_user, grievance, action, request.form.get("note", ""), request.form.get("to", "")
        )
    except cases.NotAllowed:
        if also_concerned(current_user, grievance):
            message = _(
                "Only the lead ministry (%(ministry)s) may change this complaint; you may add notes.",
                ministry=grievance.ministry_code,
            )
            return render_template("staff/error.html", message=message), 403
        abort(403)
    except cases.QuestionTooLong as problem:
        # Nothing is sent, and the officer's text stays in the form to be shortened.
        session.rollback()
        flash(_("Not done: %(reason)s", reason=_too_long(problem.parts)), "error")
        note = cases.clean_text(request.form.get("note", ""))
        return _case_page(grievance, note, "ask", cases.preview_question(grievance, note), status=422)
    except (ValueError, ActionRefused, TransitionNotAllowed) as problem:
        session.rollback()
        flash(_("Not done: %(reason)s", reason=_refusal(problem, grievance)), "error")
        return redirect(url_for("staff.case", number=number)), 303
    flash(_("Done."))
    # A transferred case leaves this ministry: back to the queue.
    if cases.find_case(session, current_user, number) is None:
        return redirect(url_for("staff.home")), 303
    return redirect(url_for("staff.case", number=number)), 303


def _refusal(problem: Exception, grievance) -> str:
    """Why an action was not done, in the user's language."""
    if isinstance(problem, TransitionNotAllowed):
        return _(
            "it cannot be done to a complaint that is %(status)s.",
            status=status_label(str(get_locale()), grievance.status),
        )
    reasons = {
        "note_required": _("write why in the note: resolving, rejecting and transferring need one."),
        "ministry_required": _("choose the ministry to transfer to."),
        "same_ministry": _("the complaint is with this ministry already."),
        "text_required": _("write the note or the question first."),
        "no_phone": _("this complaint has no phone number to ask."),
    }
    return reasons.get(getattr(problem, "code", ""), _("choose an action."))


@bp.post("/cases/<number>/phone")
@login_required
def reveal_phone(number: str):
    grievance = _case_or_404(number)
    phone = cases.reveal_phone(db_session(), current_user, grievance)
    if phone is None:
        message = _("Only the officer who acknowledged this complaint may see the full number.")
        return render_template("staff/error.html", message=message), 403
    return render_template("staff/phone.html", g=grievance, phone=phone)


@bp.get("/dashboard")
@login_required
def dashboard():
    session = db_session()
    try:
        scope = dashboards.scope_for(session, current_user, request.args.get("scope", ""))
    except dashboards.UnknownScope:
        abort(404)  # the staff error page, in the user's language
    board = aggregates.board_for_page(session, scope)
    locale = str(get_locale())
    page = dashboard_page.build(session, board, locale, dashboards.min_denominator())
    choosable = current_user.role in (Role.MONITORING, Role.ADMIN)
    number = functools.partial(format_number, locale=locale)
    return render_template(
        "staff/dashboard.html",
        board=board,
        page=page,
        category_chart=charts.bars(page.categories, title=_("Top categories"), shown=number),
        weekly_chart=charts.columns(page.weekly, title=_("Weekly trend"), shown=number),
        failure_chart=charts.bars(
            page.failure_rates, unit="%", title=_("Payment failure rate by channel"), shown=_n_decimal
        ),
        district_chart=charts.bars(
            page.district_rates, title=_("Complaints per 10,000 beneficiaries"), shown=_n_decimal
        ),
        choosable=choosable,
        choices=dashboards.scope_choices(session, locale) if choosable else [],
    )


def _signals_view() -> signals.View:
    try:
        return signals.View(db_session(), current_user._get_current_object())
    except signals.NotVisible:
        abort(404)  # as a case outside one's scope: no hint that the page exists


def _page_number(raw: str | None) -> int:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 1


# Signal columns holding a code or a value the page names in the user's language.
_PROGRAMME_COLUMNS = frozenset({"programme", "programme_a", "programme_b"})
_PLACE_COLUMNS = {"district": "district", "upazila": "upazila"}


def _signal_cell(column: str, value, names: dict[str, dict[str, str]]) -> str:
    """A cell on the page: rates as percentages, numbers and masked identifiers in the page's
    digits, days as dates, codes and values by their names in the page's language."""
    locale = str(get_locale())
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{_n_decimal(100 * value)}%"
    if isinstance(value, int | Decimal):
        return _n_decimal(value)
    if isinstance(value, dt.date):
        return format_day(value, locale, short=True)
    if hasattr(value, "value"):  # an enum
        value = value.value
    text = str(value)
    if column in _PROGRAMME_COLUMNS:
        return names["programmes"].get(text, text)
    if column in _PLACE_COLUMNS and locale == "bn":
        place_id = place_index().find(_PLACE_COLUMNS[column], text)
        return place_name(_PLACE_COLUMNS[column], place_id, locale) or text if place_id else text
    if column == "unit":
        return unit_label(locale, text)
    if column == "channel" and text in PaymentChannel.__members__.values():
        return channel_label(locale, PaymentChannel(text))
    if column in _SIGNAL_WORDS and text in _SIGNAL_WORDS[column]:
        return str(_SIGNAL_WORDS[column][text])
    return wording(locale).digits(text)


_SIGNAL_WORDS = {
    "kind": {"food_dealer": lazy_gettext("food dealer"), "clinic": lazy_gettext("clinic")},
    "rule_status": {
        "confirmed": lazy_gettext("confirmed by policy"),
        "to confirm": lazy_gettext("not confirmed yet"),
    },
    "finding": {"excluded": lazy_gettext("eligible, not enrolled"), "included": lazy_gettext("enrolled, not eligible")},
    "matched_on": {"bn": lazy_gettext("Bangla name"), "en": lazy_gettext("English name")},
}


def _n_decimal(value) -> str:
    return format_number(Decimal(value).quantize(Decimal("0.1")), str(get_locale()))


@bp.get("/signals")
@login_required
def signals_page():
    view = _signals_view()
    session = db_session()
    chosen, page = request.args.get("signal", ""), _page_number(request.args.get("page"))
    sections = view.sections({chosen: page})
    ministries = {
        code: (name_en, name_bn)
        for code, name_en, name_bn in session.execute(select(Ministry.code, Ministry.name_en, Ministry.name_bn))
    }
    bangla = str(get_locale()) == "bn"
    programmes = _programme_names(session, str(get_locale()))

    routed: dict[str | None, str | None] = {}  # a page's items share a few programmes

    def ministry_of(item: signals.Item) -> str:
        programme = view.responsible_programme(item)
        if programme not in routed:
            routed[programme] = signals.responsible_ministry(session, programme)
        code = routed[programme]
        if code is None:
            return _("no ministry (no routing rule in force)")
        names = ministries.get(code)
        return (names[1] if bangla else names[0]) if names else code

    return render_template(
        "staff/signals.html",
        sections=sections,
        ready=view.ready,
        as_of=dashboard_page.as_of_label(view.as_of, str(get_locale())) if view.ready else "",
        coordinator=current_user.role is Role.COORDINATOR,
        review_phone=signals.review_phone(current_app.config, current_app.extensions.get("sahayata.env", {})),
        ministry_of=ministry_of,
        cell=lambda column, value: _signal_cell(column, value, {"programmes": programmes}),
        labels=signal_labels,
        n=_n,
    )


@bp.post("/signals/<name>/review")
@login_required
def open_signal_review(name: str):
    view = _signals_view()
    session = db_session()
    try:
        item = view.find(name, request.form.get("item", ""))
    except signals.NotVisible:
        abort(404)
    phone = signals.review_phone(current_app.config, current_app.extensions.get("sahayata.env", {}))
    if phone is None:
        message = _("No review case can be opened: the monitoring desk's phone (SAHAYATA_REVIEW_PHONE) is not set.")
        return render_template("staff/error.html", message=message), 409
    filed = signals.open_case(session, view, name, item, phone)
    grievance = filed.grievance
    ministry = grievance.ministry_code or signals.responsible_ministry(session, grievance.programme_code) or "–"
    if filed.duplicate:
        flash(
            _(
                "This item's review case is open already: %(number)s (%(ministry)s).",
                number=filed.tracking_number,
                ministry=ministry,
            )
        )
    else:
        flash(_("Review case %(number)s opened for %(ministry)s.", number=filed.tracking_number, ministry=ministry))
    return redirect(url_for("staff.signals_page", signal=name, _anchor=f"signal-{name}")), 303
