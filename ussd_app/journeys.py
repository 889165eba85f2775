"""The USSD journeys, declared as screens: main menu, eligibility, payments, e-tokens,
look-ups for another person, language, and resuming a dropped session."""

from __future__ import annotations

import datetime as dt
import functools

from grievance.intake import MAX_TEXT, Filing, file_grievance, find_by_tracking_number
from grievance.labels import category_label, status_label
from grievance.models import Category, Channel
from grievance.tracking import is_valid
from registry.eligibility.engine import Decision, EligibilityResult, check, check_citizen, facts_for_citizen
from registry.eligibility.explain import programme_name, summarise, summarise_decision
from registry.labels import channel_label, payment_status_label, wallet_sentence
from registry.lookups import count_lookup, over_limit
from registry.models import Citizen, PaymentStatus
from registry.services import (
    PaymentView,
    ProgrammePayments,
    citizen_by_nid_and_date_of_birth,
    payments_for,
    set_language,
    wallets_for,
)
from registry.validation import InvalidValue, parse_nid
from sahayata.i18n import ROMANIZED_BANGLA, is_ascii_number, translate
from ussd_app.engine import HOME_SCREEN, RESUME_SCREEN, Context
from ussd_app.screens import Finish, Go, Info, Input, Invalid, Menu, Option, Restore, Screen
from ussd_app.state import Frame


# -- helpers ------------------------------------------------------------------------------
def _looked_up(ctx: Context) -> Citizen:
    """The other person found by NID and date of birth (never the caller's own record)."""
    return ctx.db.get_one(Citizen, ctx.params["subject_id"])


def _short_name(ctx: Context, code: str) -> str:
    return programme_name(code, ctx.locale, ctx.rulebook, short=True)


def _money(ctx: Context, amount) -> str:
    return ctx._("Tk %(amount)s", amount=ctx.number(amount))


# -- main menu ----------------------------------------------------------------------------
def main_title(ctx: Context) -> str:
    return ctx._("Sahayata") if ctx.registered else ctx._("This number is not registered.")


def main_options(ctx: Context) -> list[Option]:
    return list(_main_options(ctx.locale, ctx.registered))


@functools.lru_cache(maxsize=16)  # nearly every hop shows or handles the main menu
def _main_options(locale: str, registered: bool) -> tuple[Option, ...]:
    def _(message: str) -> str:
        return translate(locale, message)

    if not registered:
        return (
            Option(_("Check eligibility by NID"), Go("other_nid")),
            Option(_("How to enrol"), Go("enrol")),
            Option(_("Make a complaint"), Go("complaint_category")),
            Option(_("Complaint status"), Go("complaint_status")),
            Option(_("Language"), Go("language")),
        )
    return (
        Option(_("Am I eligible?"), Go("eligibility")),
        Option(_("My payments"), _payments_entry),
        Option(_("My e-tokens"), Go("etokens")),
        Option(_("Make a complaint"), Go("complaint_category")),
        Option(_("Complaint status"), Go("complaint_status")),
        Option(_("Check another person"), Go("other_nid")),
        Option(_("Language"), Go("language")),
    )


# -- eligibility --------------------------------------------------------------------------
# The caller's own eligibility explains each answer with their values ("age 58, must be 65
# or older"). Another person's (looked up by NID and date of birth) gives the decision and
# the name of the deciding criterion only: knowing someone's NID and birthday must not
# reveal their income, land or disability.
def eligibility_options(ctx: Context) -> list[Option]:
    options = [Option(ctx._("All programmes"), Go("eligibility_all"))]
    options += [
        Option(_short_name(ctx, code), Go("eligibility_result", {"programme": code}))
        for code in _programmes_own_first(ctx, ctx.citizen)
    ]
    return options


def other_eligibility_options(ctx: Context) -> list[Option]:
    # By name only: the caller's own programmes come first on their menu, and the same
    # order here would tell which programmes the other person receives.
    subject = {"subject_id": ctx.params["subject_id"]}
    options = [Option(ctx._("All programmes"), Go("other_eligibility_all", subject))]
    options += [
        Option(_short_name(ctx, code), Go("other_eligibility_result", {**subject, "programme": code}))
        for code in _programmes_own_first(ctx, None)
    ]
    return options


def _programmes_own_first(ctx: Context, person: Citizen | None) -> list[str]:
    """Every programme; the person's own first, then the rest by name as the caller reads it."""
    own = {e.programme_code for e in person.enrolments} if person else set()
    return sorted(ctx.rulebook.rules, key=lambda code: (code not in own, _short_name(ctx, code)))


def _result(ctx: Context, person: Citizen) -> EligibilityResult:
    [result] = check_citizen(ctx.db, person, ctx.params["programme"], as_of=ctx.today)
    return result


def eligibility_result_text(ctx: Context) -> str:
    result = _result(ctx, ctx.citizen)
    return f"{_short_name(ctx, result.programme_code)}: {summarise(result, ctx.locale, ctx.rulebook)}"


def other_eligibility_result_text(ctx: Context) -> str:
    result = _result(ctx, _looked_up(ctx))
    return f"{_short_name(ctx, result.programme_code)}: {summarise_decision(result, ctx.locale)}"


def _all_programmes_text(ctx: Context, person: Citizen) -> str:
    """Which programmes the person is eligible for, and which need verification: decisions only."""
    book = ctx.rulebook
    facts = facts_for_citizen(person, ctx.today)
    results = [check(facts, code, book) for code in sorted(book.rules)]
    eligible = [_short_name(ctx, r.programme_code) for r in results if r.decision is Decision.ELIGIBLE]
    verify = [_short_name(ctx, r.programme_code) for r in results if r.decision is Decision.NEEDS_VERIFICATION]
    parts = [
        ctx._("Eligible: %(list)s.", list=", ".join(eligible)) if eligible else ctx._("Not eligible for any programme.")
    ]
    if verify:
        parts.append(ctx._("Needs verification: %(list)s.", list=", ".join(verify)))
    parts.append(ctx._("Choose a programme for the reason."))
    return " ".join(parts)


def eligibility_all_text(ctx: Context) -> str:
    return _all_programmes_text(ctx, ctx.citizen)


def other_eligibility_all_text(ctx: Context) -> str:
    return _all_programmes_text(ctx, _looked_up(ctx))


# -- payments -----------------------------------------------------------------------------
def _payments(ctx: Context) -> list[ProgrammePayments]:
    return ctx.memo("payments", lambda: payments_for(ctx.reads, ctx.state.citizen_id))


def _payments_entry(ctx: Context):
    programmes = _payments(ctx)
    if len(programmes) == 1:
        return Go("payment", {"programme": programmes[0].programme_code})
    return Go("payments")


def payments_options(ctx: Context) -> list[Option]:
    return [
        Option(_short_name(ctx, p.programme_code), Go("payment", {"programme": p.programme_code}))
        for p in _payments(ctx)
    ]


def payments_title(ctx: Context) -> str:
    if not _payments(ctx):
        return ctx._("No cash programme found for you.")
    return ctx._("Payments: choose a programme")


def _payment_line(ctx: Context, label: str, payment: PaymentView) -> str:
    parts = [_money(ctx, payment.amount_bdt)]
    if payment.channel:
        parts.append(channel_label(ctx.locale, payment.channel))
    parts.append(payment_status_label(ctx.locale, payment.status))
    parts.append(ctx.date(payment.paid_on) if payment.paid_on else ctx.cycle(payment.cycle))
    return ctx.sentence(f"{label}: {', '.join(parts)}")


def payment_text(ctx: Context) -> str:
    code = ctx.params["programme"]
    summary: ProgrammePayments | None = next((p for p in _payments(ctx) if p.programme_code == code), None)
    if summary is None:
        return ctx._("No payment found.")
    lines = [ctx.sentence(_short_name(ctx, code))]
    if summary.last:
        lines.append(_payment_line(ctx, ctx._("Last"), summary.last))
        if summary.last.status is PaymentStatus.FAILED:
            lines.append(
                ctx._("It failed: check that your account is active, then contact the Upazila Social Services Office.")
            )
        elif summary.last.status is PaymentStatus.RETURNED:
            lines.append(
                ctx._(
                    "It was returned: your account could not take it. Update your account at the "
                    "Upazila Social Services Office."
                )
            )
        if summary.last.failure_reason and ctx.locale == "en":
            lines.append(f"({summary.last.failure_reason})")
    else:
        lines.append(ctx._("No payment yet."))
    if summary.next:
        lines.append(
            ctx._(
                "Next: %(amount)s in %(cycle)s.",
                amount=_money(ctx, summary.next.amount_bdt),
                cycle=ctx.cycle(summary.next.cycle),
            )
        )
    else:
        lines.append(ctx._("Next payment not scheduled yet."))
    if summary.masked_account:
        lines.append(ctx._("Account %(account)s.", account=summary.masked_account))
    return " ".join(lines)


# -- e-tokens -----------------------------------------------------------------------------
def etokens_text(ctx: Context) -> str:
    wallets = wallets_for(ctx.reads, ctx.state.citizen_id)
    if not wallets:
        return ctx._("You have no e-tokens.")
    return " ".join(
        wallet_sentence(ctx.locale, _short_name(ctx, w.programme_code), w.balance, w.unit, w.expires_on)
        for w in wallets
    )


# -- another person -----------------------------------------------------------------------
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def accept_nid(ctx: Context, text: str):
    if not text.isascii():  # ١ or ３: no keypad sends them, and an NID spelt with them is no NID
        return Invalid(ctx._("An NID has 10, 13 or 17 digits."))
    try:
        nid = parse_nid(text)
    except InvalidValue:
        return Invalid(ctx._("An NID has 10, 13 or 17 digits."))
    return Go("other_birth_date", {"nid": nid})


def birth_date_typed(text: str, today: dt.date) -> dt.date | None:
    """DDMMYYYY as typed on a keypad (8 digits), if it is a real date that has passed."""
    if len(text) != 8 or not is_ascii_number(text):
        return None
    try:
        born = dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:  # 31 February, month 13
        return None
    return born if EARLIEST_BIRTH_DATE <= born <= today else None


def accept_birth_date(ctx: Context, text: str):
    # The full date, not the year: a 17-digit NID begins with the year of birth, so the year
    # would add nothing the NID does not already say.
    born = birth_date_typed(text, ctx.today)
    if born is None:
        return Invalid(ctx._("Enter a real date in 8 digits: day, month, year."))
    # Counted before the look-up and whatever it finds: a wrong guess costs a look-up too,
    # else the date of birth could be guessed 365 days at a time.
    if over_limit(count_lookup(ctx.store.redis, ctx.state.phone, ctx.today)):
        return Go("lookup_limit", replace=True)
    person = citizen_by_nid_and_date_of_birth(ctx.db, ctx.params["nid"], born)
    if person is None:
        return Go("not_found", replace=True)
    return Go("other_eligibility", {"subject_id": person.id}, replace=True)


# -- complaints ---------------------------------------------------------------------------
def complaint_category_options(ctx: Context) -> list[Option]:
    return [Option(category_label(ctx.locale, c), Go("complaint_programme", {"category": c.value})) for c in Category]


def complaint_programme_options(ctx: Context) -> list[Option]:
    chosen = {"category": ctx.params["category"]}
    options = [
        Option(_short_name(ctx, code), Go("complaint_text", {**chosen, "programme": code}))
        for code in _programmes_own_first(ctx, ctx.citizen)
    ]
    options.append(Option(ctx._("Not about a programme"), Go("complaint_text", {**chosen, "programme": None})))
    return options


def accept_complaint_text(ctx: Context, text: str):
    return Go("complaint_confirm", {**ctx.params, "text": None if text == "1" else text[:MAX_TEXT]})


def complaint_confirm_title(ctx: Context) -> str:
    # The category only: with the programme's name too the worst case overflows 80 units.
    return ctx.sentence(category_label(ctx.locale, Category(ctx.params["category"]))) + " " + ctx._("Send?")


def _send_complaint(ctx: Context):
    params = ctx.params
    filing = Filing(
        phone=ctx.state.phone,
        category=Category(params["category"]),
        programme_code=params.get("programme"),
        text=params.get("text"),
        channel=Channel.USSD,
        # Notifications go by SMS, which carries Bengali script even where USSD cannot.
        locale="bn" if ctx.locale == ROMANIZED_BANGLA else ctx.locale,
        citizen_id=ctx.state.citizen_id,
    )
    filed = file_grievance(ctx.transactional_db, filing)
    number = ctx.digits(filed.grievance.tracking_number)
    if filed.duplicate:
        return Finish(ctx._("You filed this complaint today already. Its number is %(number)s.", number=number))
    return Finish(ctx._("Complaint received. Number %(number)s. Keep it to check the status.", number=number))


def complaint_confirm_options(ctx: Context) -> list[Option]:
    return [Option(ctx._("Send"), _send_complaint), Option(ctx._("Cancel"), Restore([Frame(HOME_SCREEN)]))]


def accept_tracking_number(ctx: Context, text: str):
    number = text.replace(" ", "")
    if not is_valid(number):
        return Invalid(ctx._("Not a valid number. Check it and try again."))
    if find_by_tracking_number(ctx.db, number) is None:
        return Go("complaint_not_found", replace=True)
    return Go("complaint_status_result", {"number": number}, replace=True)


def complaint_status_text(ctx: Context) -> str:
    grievance = find_by_tracking_number(ctx.db, ctx.params["number"])
    return ctx._(
        "Complaint %(number)s: %(status)s. Filed %(date)s.",
        number=ctx.digits(grievance.tracking_number),
        status=status_label(ctx.locale, grievance.status),
        date=ctx.date(grievance.created_at.date()),
    )


# -- language and resume ------------------------------------------------------------------
def _choose_language(language: str):
    def choose(ctx: Context):
        if ctx.state.citizen_id:
            set_language(ctx.db, ctx.state.citizen_id, language)
        ctx.set_locale(language)
        return Restore([Frame(HOME_SCREEN)])

    return choose


def language_options(ctx: Context) -> list[Option]:
    return [Option(ctx._("Bangla"), _choose_language("bn")), Option("English", _choose_language("en"))]


def resume_options(ctx: Context) -> list[Option]:
    return [
        Option(ctx._("Continue"), Restore([Frame(HOME_SCREEN), *map(_frame, ctx.params["frames"][1:])])),
        Option(ctx._("Start over"), Restore([Frame(HOME_SCREEN)])),
    ]


def _frame(data: dict) -> Frame:
    return Frame(**data)


JOURNEYS: dict[str, Screen] = {
    HOME_SCREEN: Menu(main_title, main_options),
    RESUME_SCREEN: Menu(lambda ctx: ctx._("Continue where you left off?"), resume_options),
    "eligibility": Menu(lambda ctx: ctx._("Eligibility: choose"), eligibility_options),
    "eligibility_all": Info(eligibility_all_text),
    "eligibility_result": Info(eligibility_result_text),
    "other_eligibility": Menu(lambda ctx: ctx._("Eligibility: choose"), other_eligibility_options),
    "other_eligibility_all": Info(other_eligibility_all_text),
    "other_eligibility_result": Info(other_eligibility_result_text),
    "payments": Menu(payments_title, payments_options),
    "payment": Info(payment_text),
    "etokens": Info(etokens_text),
    "other_nid": Input(lambda ctx: ctx._("Enter the NID number:"), accept_nid),
    "other_birth_date": Input(
        lambda ctx: ctx._("Date of birth as DDMMYYYY, e.g. 05031960 for 5 March 1960:"), accept_birth_date
    ),
    "lookup_limit": Info(lambda ctx: ctx._("You have used today's 5 look-ups. Please try again tomorrow.")),
    "not_found": Info(
        lambda ctx: ctx._(
            "No registered person with this NID and date of birth. To enrol, visit the Upazila "
            "Social Services Office with the NID card."
        )
    ),
    "enrol": Info(
        lambda ctx: ctx._(
            "To enrol, visit your Upazila Social Services Office with your NID card and mobile "
            "number. Staff there will check which programmes you can join."
        )
    ),
    "language": Menu(lambda ctx: ctx._("Choose language"), language_options),
    "complaint_category": Menu(lambda ctx: ctx._("Complaint: what happened?"), complaint_category_options),
    "complaint_programme": Menu(lambda ctx: ctx._("About which programme?"), complaint_programme_options),
    "complaint_text": Input(lambda ctx: ctx._("A few words about it, or 1 to skip:"), accept_complaint_text),
    "complaint_confirm": Menu(complaint_confirm_title, complaint_confirm_options),
    "complaint_status": Input(lambda ctx: ctx._("Enter the complaint number:"), accept_tracking_number),
    "complaint_status_result": Info(complaint_status_text),
    "complaint_not_found": Info(lambda ctx: ctx._("No complaint has this number.")),
}
