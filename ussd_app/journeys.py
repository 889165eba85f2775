"""The USSD journeys, declared as screens: main menu, eligibility, payments, e-tokens,
look-ups for another person, language, and resuming a dropped session."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from foundation.i18n import is_ascii_number, translate
from grievance.intake import MAX_TEXT, ComplaintStatus, Filing, file_grievance, status_by_tracking_number
from grievance.labels import category_label, filed_answer, no_such_complaint, status_label
from grievance.models import Category, Channel
from grievance.tracking import is_valid
from registry.eligibility.engine import (
    CitizenFacts,
    RuleBook,
    answer,
    check_for_someone_else,
    facts_as_json,
    facts_by_id,
    facts_from_json,
    programmes_received,
)
from registry.eligibility.explain import (
    explain_answer,
    lookup_limit_reached,
    office_name,
    overview,
    overview_of_decisions,
    programme_name,
    summarise_decision,
)
from registry.labels import (
    channel_label,
    no_cash_programme,
    no_etokens,
    payment_advice,
    payment_date,
    payment_status_label,
    scheduled_payment_sentence,
    wallet_sentence,
)
from registry.lookups import count_lookup, over_limit
from registry.schedule_labels import expected_payment_sentence
from registry.services import (
    ProgrammePayments,
    citizen_id_by_nid_and_date_of_birth,
    payments_for,
    set_language,
    wallets_for,
)
from registry.validation import InvalidValue, parse_nid
from ussd_app.engine import HOME_SCREEN, RESUME_SCREEN, Context
from ussd_app.outlet_journeys import OUTLET_JOURNEYS, is_operator, outlet_options, outlet_title
from ussd_app.screens import Finish, Go, Info, Input, Invalid, Menu, Option, Restore, Screen
from ussd_app.state import Frame


# -- helpers ------------------------------------------------------------------------------
def _facts(ctx: Context, citizen_id: int | None) -> CitizenFacts | None:
    """What an eligibility check needs of a person, in one prepared select, once per hop."""
    if citizen_id is None:
        return None
    return ctx.memo(f"facts:{citizen_id}", lambda: facts_by_id(ctx.reads, citizen_id, ctx.today))


def _own_facts(ctx: Context) -> CitizenFacts | None:
    """The caller's own facts: loaded once a session and kept in it for its next screens (a
    menu of programmes, then the answers), which would otherwise each load the caller again;
    like the caller's programmes, they do not change in a 3-minute session. Another
    person's, looked up by NID, are never kept: their income and land stay out of the
    session store."""
    citizen_id = ctx.state.citizen_id
    if citizen_id is None:
        return None

    def load() -> list[Any] | None:
        facts = facts_by_id(ctx.reads, citizen_id, ctx.today)
        return facts_as_json(facts) if facts is not None else None

    def read() -> CitizenFacts | None:
        kept = ctx.kept("own_facts", load)
        return facts_from_json(kept) if kept is not None else None

    return ctx.memo("own_facts", read)


def _looked_up(ctx: Context) -> CitizenFacts:
    """The other person found by NID and date of birth (never the caller's own record)."""
    facts = _facts(ctx, ctx.params["subject_id"])
    if facts is None:
        raise LookupError("the looked-up person is no longer in the registry")
    return facts


def _short_name(ctx: Context, code: str) -> str:
    return programme_name(code, ctx.locale, ctx.rulebook, short=True)


# -- main menu ----------------------------------------------------------------------------
def main_title(ctx: Context) -> str:
    # An outlet operator's home is the outlet's menu; their citizen menu is its last option.
    return outlet_title(ctx) if is_operator(ctx) else own_title(ctx)


def main_options(ctx: Context) -> list[Option]:
    return outlet_options(ctx) if is_operator(ctx) else own_options(ctx)


def own_title(ctx: Context) -> str:
    return ctx._("Sahayata") if ctx.registered else ctx._("This number is not registered.")


def own_options(ctx: Context) -> list[Option]:
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
# The caller's own eligibility fits the person: what they (or their household) receive, or
# the decision with its reason, its unit and a next step. Another person's (looked up by NID
# and date of birth) gives the decision and the name of the deciding criterion only: knowing
# someone's NID and birthday must not reveal their income, land, disability or enrolments.
def eligibility_options(ctx: Context) -> list[Option]:
    def build(ordered: list[str]) -> tuple[Option, ...]:
        return (
            Option(ctx._("All programmes"), Go("eligibility_all")),
            *(Option(_short_name(ctx, code), Go("eligibility_result", {"programme": code})) for code in ordered),
        )

    return list(_programme_menu(ctx, ("eligibility",), build))


# A menu of programmes, the caller's own first, is the same for every caller who receives the
# same programmes, in one locale, and is both shown and then read back for the key pressed:
# built once per rule book, locale, set of own programmes (a handful of combinations) and
# what the menu is for, not twice a session.
_PROGRAMME_MENUS: dict[tuple, tuple[RuleBook, tuple[Option, ...]]] = {}
_MENUS_KEPT = 1024


def _programme_menu(ctx: Context, purpose: tuple, build) -> tuple[Option, ...]:
    """``build(programme codes, own first)``, remembered; ``purpose`` tells menus apart (and
    carries whatever else their options depend on)."""
    book, own = ctx.rulebook, tuple(_callers_programmes(ctx))
    key = (id(book), ctx.locale, own, *purpose)
    found = _PROGRAMME_MENUS.get(key)
    if found is not None and found[0] is book:  # the entry keeps its book, so no other has its id
        return found[1]
    options = build(_programmes_own_first(ctx, callers_own=True))
    if len(_PROGRAMME_MENUS) >= _MENUS_KEPT:
        _PROGRAMME_MENUS.clear()
    _PROGRAMME_MENUS[key] = (book, options)
    return options


def other_eligibility_options(ctx: Context) -> list[Option]:
    # In the fixed order only: the caller's own programmes come first on their menu, and the
    # other person's first here would tell which programmes they receive.
    subject = {"subject_id": ctx.params["subject_id"]}
    options = [Option(ctx._("All programmes"), Go("other_eligibility_all", subject))]
    options += [
        Option(_short_name(ctx, code), Go("other_eligibility_result", {**subject, "programme": code}))
        for code in _programmes_own_first(ctx, callers_own=False)
    ]
    return options


def _callers_programmes(ctx: Context) -> list[str]:
    """What the caller receives, looked up once a session: every programme list puts it
    first, and it does not change while a 3-minute session lasts."""

    def received() -> list[str]:
        facts = _own_facts(ctx)
        return sorted(programmes_received(facts, ctx.rulebook)) if facts else []

    return ctx.kept("own_programmes", received)


def _programmes_own_first(ctx: Context, callers_own: bool) -> list[str]:
    """Every programme: the caller's own (and their household's) first when ``callers_own``,
    then the rest, each in the programmes' fixed order, so a number means the same programme
    on every gateway and in every language (never sorted by a translated or romanized name)."""
    own = set(_callers_programmes(ctx)) if callers_own else set()
    order = ctx.rulebook.order
    return [code for code in order if code in own] + [code for code in order if code not in own]


def eligibility_result_text(ctx: Context) -> str:
    facts = _own_facts(ctx)
    if facts is None:
        return ctx._("This number is not registered.")
    return explain_answer(answer(facts, ctx.params["programme"], ctx.rulebook), ctx.locale, ctx.rulebook)


def other_eligibility_result_text(ctx: Context) -> str:
    result = check_for_someone_else(_looked_up(ctx), ctx.params["programme"], ctx.rulebook)
    return ctx.sentence(
        f"{_short_name(ctx, result.programme_code)}: {summarise_decision(result, ctx.locale, ctx.rulebook)}"
    )


def eligibility_all_text(ctx: Context) -> str:
    """What the caller receives first ("You receive: ..."), then the decisions on the rest."""
    facts = _own_facts(ctx)
    if facts is None:
        return ctx._("This number is not registered.")
    book = ctx.rulebook
    return overview((answer(facts, code, book) for code in book.order), ctx.locale, book)


def other_eligibility_all_text(ctx: Context) -> str:
    book, facts = ctx.rulebook, _looked_up(ctx)
    return overview_of_decisions((check_for_someone_else(facts, code, book) for code in book.order), ctx.locale, book)


# -- payments -----------------------------------------------------------------------------
def _payments(ctx: Context) -> list[ProgrammePayments]:
    """The caller's cash programmes in the programmes' fixed order."""

    def load() -> list[ProgrammePayments]:
        order = {code: i for i, code in enumerate(ctx.rulebook.order)}
        found = payments_for(ctx.reads, ctx.state.citizen_id, ctx.today)
        return sorted(found, key=lambda p: order.get(p.programme_code, len(order)))

    return ctx.memo("payments", load)


def _most_recent(programmes: list[ProgrammePayments]) -> ProgrammePayments:
    """The programme whose last payment is the latest (the first in order if none was paid)."""
    attempted = [p for p in programmes if p.last]
    if not attempted:
        return programmes[0]
    return max(attempted, key=lambda p: (p.last.cycle, p.last.paid_on or dt.date.min))  # type: ignore[union-attr]


def _payments_entry(ctx: Context):
    """ "My payments" is one keypress from the dial to a payment.

    With one cash programme it is that programme's payment. With several it is the most
    recent payment, with the list of the others one "Back" away (a stack restored as
    main menu > list > payment): a list whose title carried the latest payment (programme,
    amount, status, date) cannot fit beside even one option in 80 Bangla units with a long
    programme name and a 7-digit amount, and the most recent payment is what callers dial
    for (it is the one that changed).
    """
    programmes = _payments(ctx)
    if not programmes:
        return Go("payments")
    latest = _most_recent(programmes)
    if len(programmes) == 1:
        return Go("payment", {"programme": latest.programme_code})
    return Restore([Frame(HOME_SCREEN), Frame("payments"), Frame("payment", {"programme": latest.programme_code})])


def payments_options(ctx: Context) -> list[Option]:
    return [
        Option(_short_name(ctx, p.programme_code), Go("payment", {"programme": p.programme_code}))
        for p in _payments(ctx)
    ]


def payments_title(ctx: Context) -> str:
    if not _payments(ctx):
        return no_cash_programme(ctx.locale)
    return ctx._("Payments: choose a programme")


def payment_text(ctx: Context) -> str:
    """The last payment's programme, amount, status and date first (the first page must
    show them), then what went wrong and whom to contact, the next payment, the channel and
    the masked account."""
    code = ctx.params["programme"]
    programmes = _payments(ctx)
    summary: ProgrammePayments | None = next((p for p in programmes if p.programme_code == code), None)
    name = _short_name(ctx, code)
    if summary is None:
        return ctx._("No payment found.")
    lines = []
    last = summary.last
    if last:
        lines.append(
            ctx._(
                "%(programme)s: %(amount)s, %(status)s, %(date)s.",
                programme=name,
                amount=ctx.wording.money(last.amount_bdt),
                status=payment_status_label(ctx.locale, last.status),
                date=payment_date(ctx.locale, last),
            )
        )
        advice = payment_advice(ctx.locale, last, ctx.rulebook.programmes.get(code))
        if advice:
            lines.append(advice)
    else:
        lines.append(ctx._("%(programme)s: no payment yet.", programme=name))
    lines.append(_next_payment_sentence(ctx, summary))
    channel = summary.channel or (last.channel if last else None)
    account = ctx.digits(summary.masked_account) if summary.masked_account else None
    if channel and account:
        lines.append(
            ctx._(
                "Paid to %(channel)s account %(account)s.", channel=channel_label(ctx.locale, channel), account=account
            )
        )
    elif account:
        lines.append(ctx._("Account %(account)s.", account=account))
    elif channel:
        lines.append(ctx._("Paid through %(channel)s.", channel=channel_label(ctx.locale, channel)))
    return " ".join(lines)


def _next_payment_sentence(ctx: Context, summary: ProgrammePayments) -> str:
    """A scheduled payment as imported wins; else the month the programme's schedule pays
    in next (a quarterly allowance is not due next month)."""
    if summary.next:
        return scheduled_payment_sentence(ctx.locale, summary.next)
    if summary.expected:
        return expected_payment_sentence(ctx.locale, summary.expected)
    return ctx._("Next payment not scheduled yet.")


# -- e-tokens -----------------------------------------------------------------------------
def etokens_text(ctx: Context) -> str:
    wallets = wallets_for(ctx.reads, ctx.state.citizen_id)
    if not wallets:
        return no_etokens(ctx.locale)
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
    person = citizen_id_by_nid_and_date_of_birth(ctx.reads, ctx.params["nid"], born)
    if person is None:
        return Go("not_found", replace=True)
    return Go("other_eligibility", {"subject_id": person}, replace=True)


# -- enrolling ----------------------------------------------------------------------------
def enrol_options(ctx: Context) -> list[Option]:
    return [
        Option(_short_name(ctx, code), Go("enrol_office", {"programme": code}))
        for code in _programmes_own_first(ctx, callers_own=False)
    ]


def enrol_office_text(ctx: Context) -> str:
    """Each programme enrols at its own office (seed/offices.csv)."""
    code = ctx.params["programme"]
    return ctx._(
        "%(programme)s: to enrol, take your NID card and mobile number to the %(office)s. "
        "Staff there check whether you can join.",
        programme=_short_name(ctx, code),
        office=office_name(code, ctx.locale, ctx.rulebook),
    )


# -- complaints ---------------------------------------------------------------------------
def complaint_category_options(ctx: Context) -> list[Option]:
    return list(_category_options(ctx.locale))


@functools.lru_cache(maxsize=16)  # the same menu for everyone in a locale
def _category_options(locale: str) -> tuple[Option, ...]:
    return tuple(
        Option(category_label(locale, c), Go("complaint_programme", {"category": c.value}))
        for c in Category
        if c.citizen_chooses
    )


def complaint_programme_options(ctx: Context) -> list[Option]:
    chosen = {"category": ctx.params["category"]}

    def build(ordered: list[str]) -> tuple[Option, ...]:
        return (
            *(Option(_short_name(ctx, code), Go("complaint_text", {**chosen, "programme": code})) for code in ordered),
            Option(ctx._("Not about a programme"), Go("complaint_text", {**chosen, "programme": None})),
        )

    return list(_programme_menu(ctx, ("complaint", chosen["category"]), build))


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
        locale=ctx.wording.language,
        citizen_id=ctx.state.citizen_id,
    )
    filed = file_grievance(ctx.transactional_db, filing)
    return Finish(filed_answer(ctx.locale, filed.tracking_number, filed.duplicate))


def complaint_confirm_options(ctx: Context) -> list[Option]:
    return [Option(ctx._("Send"), _send_complaint), Option(ctx._("Cancel"), Restore([Frame(HOME_SCREEN)]))]


def accept_tracking_number(ctx: Context, text: str):
    number = text.replace(" ", "")
    if not is_valid(number):
        return Invalid(ctx._("Not a valid number. Check it and try again."))
    if _complaint(ctx, number) is None:
        return Go("complaint_not_found", replace=True)
    return Go("complaint_status_result", {"number": number}, replace=True)


def _complaint(ctx: Context, number: str) -> ComplaintStatus | None:
    # Once per hop: the hop that takes the number also shows the answer.
    return ctx.memo(f"complaint:{number}", lambda: status_by_tracking_number(ctx.reads, number))


def complaint_status_text(ctx: Context) -> str:
    complaint = _complaint(ctx, ctx.params["number"])
    if complaint is None:  # gone since the number was taken (not something a citizen can do)
        return no_such_complaint(ctx.locale)
    return ctx._(
        "Complaint %(number)s: %(status)s. Filed %(date)s.",
        number=ctx.digits(complaint.tracking_number),
        status=status_label(ctx.locale, complaint.status),
        date=ctx.date(complaint.filed_at.date()),
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
    "own_menu": Menu(own_title, own_options),
    RESUME_SCREEN: Menu(lambda ctx: ctx._("Continue where you left off?"), resume_options, navigation=False),
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
    "lookup_limit": Info(lambda ctx: lookup_limit_reached(ctx.locale)),
    "not_found": Info(
        lambda ctx: ctx._(
            "No registered person with this NID and date of birth. To enrol, take the NID card "
            "to the programme's upazila office: see How to enrol in the menu."
        )
    ),
    "enrol": Menu(lambda ctx: ctx._("To enrol: which programme?"), enrol_options),
    "enrol_office": Info(enrol_office_text),
    "language": Menu(lambda ctx: ctx._("Choose language"), language_options),
    "complaint_category": Menu(lambda ctx: ctx._("Complaint: what happened?"), complaint_category_options),
    "complaint_programme": Menu(lambda ctx: ctx._("About which programme?"), complaint_programme_options),
    "complaint_text": Input(lambda ctx: ctx._("A few words about it, or 1 to skip:"), accept_complaint_text),
    "complaint_confirm": Menu(complaint_confirm_title, complaint_confirm_options),
    "complaint_status": Input(lambda ctx: ctx._("Enter the complaint number:"), accept_tracking_number),
    "complaint_status_result": Info(complaint_status_text),
    "complaint_not_found": Info(lambda ctx: no_such_complaint(ctx.locale)),
    **OUTLET_JOURNEYS,
}
