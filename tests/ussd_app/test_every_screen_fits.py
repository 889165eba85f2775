"""Render every screen of every journey, in every locale, with worst-case data, and
fail on any page over its gateway's budget (or any Bangla script on an ASCII gateway)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from foundation.i18n import ROMANIZED_BANGLA, format_number, translate
from grievance.intake import Filing, file_grievance
from grievance.labels import filed_answer
from grievance.models import Category, Channel
from grievance.tracking import new_tracking_number
from registry import redemption_labels, redemptions
from registry.eligibility.engine import (
    CriterionResult,
    Decision,
    EligibilityResult,
    Outcome,
    forget_cached_rulebook,
    rulebook,
)
from registry.eligibility.explain import programme_name, summarise_decision
from registry.etokens import post_entry
from registry.labels import payment_status_label
from registry.models import (
    District,
    Gender,
    MaritalStatus,
    Payment,
    PaymentStatus,
    Programme,
    RedemptionChannel,
    Upazila,
)
from tests.factories import make_citizen, make_enrolment, make_household, make_payment, make_wallet
from tests.redemption_support import funded_wallet, make_outlet
from ussd_app.budget import ScreenBudget
from ussd_app.engine import HOME_SCREEN, RESUME_SCREEN, Context, GatewayConfig, HopDatabase, NavLabels
from ussd_app.journeys import JOURNEYS
from ussd_app.outlet_journeys import OUTLET, OUTLET_JOURNEYS, WAITING_SCREEN
from ussd_app.render import Footer, paginate, text_tokens
from ussd_app.screens import Info, Input, Invalid
from ussd_app.state import Frame, SessionState

MAX_AMOUNT = Decimal("9999999")
CALLER_ONLY = {"eligibility", "eligibility_all", "eligibility_result", "payments", "payment", "etokens"}
GATEWAYS = {
    "default": GatewayConfig("africastalking", ScreenBudget()),
    "ascii": GatewayConfig("bdapps", ScreenBudget(ascii_only=True)),
}


@pytest.fixture
def worst_case(session):
    """A caller in every programme, with 7-digit amounts, the longest place, failed payments,
    and every programme renamed to the longest name any programme has."""
    yield from _worst_case(session, longest_names=True)


@pytest.fixture
def worst_case_real_names(session):
    """The same caller with the programmes' own names: how long a list of them is depends on
    the names (14 copies of the longest one fill 5 pages whatever the layout)."""
    yield from _worst_case(session, longest_names=False)


def _worst_case(session, longest_names: bool):
    longest_district = session.scalar(select(District.name_en).order_by(func.length(District.name_en).desc()))
    household = make_household(session, monthly_income_bdt=MAX_AMOUNT, land_decimal=Decimal("99999"), size=12)
    citizen = make_citizen(
        session,
        age=95,
        gender=Gender.FEMALE,
        marital_status=MaritalStatus.DESERTED,
        disability=True,
        district=longest_district,
        household=household,
        mobile="+8801712999999",
    )
    for code in session.scalars(select(Programme.code)):
        make_enrolment(session, citizen, code, account_number="1234567890123456789")
        make_payment(
            session,
            citizen,
            code,
            cycle="2026-10",
            amount_bdt=MAX_AMOUNT,
            status=PaymentStatus.RETURNED,
            txn_id=None,
            failure_reason="x" * 200,
        )
        make_payment(
            session,
            citizen,
            code,
            cycle="2026-11",
            amount_bdt=MAX_AMOUNT,
            status=PaymentStatus.SCHEDULED,
            txn_id=None,
            paid_on=None,
        )
        wallet = make_wallet(session, citizen, code, unit="voucher", expires_on=dt.date(2026, 12, 31))
        post_entry(session, wallet, MAX_AMOUNT, "credit")
    # The longest names any programme has, in every script, on every programme.
    for column in (Programme.short_name_en, Programme.short_name_bn, Programme.short_name_bn_latn):
        longest = session.scalar(select(column).order_by(func.length(column).desc()))
        if longest_names:
            session.execute(update(Programme).values({column: longest}))
    session.commit()
    forget_cached_rulebook()
    yield citizen
    forget_cached_rulebook()
    session.rollback()
    from registry.reference_data import sync_reference_data

    sync_reference_data(session)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Upazila)) == 494


def _params(session, citizen) -> dict[str, list[dict]]:
    codes = list(session.scalars(select(Programme.code)))
    filed = file_grievance(
        session,
        Filing(
            phone=citizen.mobile,
            category=Category.BRIBE_OR_HARASSMENT,
            programme_code=codes[0],
            text="x" * 200,
            channel=Channel.USSD,
            locale="bn",
            citizen_id=citizen.id,
        ),
    )
    deep = [{"screen": HOME_SCREEN, "params": {}, "page": 0}, {"screen": "eligibility", "params": {}, "page": 3}]
    return {
        "eligibility_result": [{"programme": code} for code in codes],
        "other_eligibility": [{"subject_id": citizen.id}],
        "other_eligibility_all": [{"subject_id": citizen.id}],
        "other_eligibility_result": [{"programme": code, "subject_id": citizen.id} for code in codes],
        "payment": [{"programme": code} for code in codes],
        "enrol_office": [{"programme": code} for code in codes],
        "other_birth_date": [{"nid": "19581234567890123"}],
        RESUME_SCREEN: [{"frames": deep}],
        "complaint_programme": [{"category": c.value} for c in Category],
        "complaint_text": [{"category": Category.OTHER.value, "programme": None}],
        "complaint_confirm": [
            {"category": c.value, "programme": p, "text": "x" * 100} for c in Category for p in [None, *codes]
        ],
        "complaint_status_result": [{"number": filed.grievance.tracking_number}],
    }


def _context(engine, session, citizen, config, locale, stack, registered=True) -> Context:
    state = SessionState(
        phone=citizen.mobile, locale=locale, citizen_id=citizen.id if registered else None, stack=stack
    )
    return Context(HopDatabase(lambda: session, session.connection, session.rollback), state, config, engine.store)


def _locale(language: str, config: GatewayConfig) -> str:
    return ROMANIZED_BANGLA if (language == "bn" and config.ascii_only) else language


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
@pytest.mark.parametrize("registered", [True, False])
def test_every_page_of_every_screen_fits(app, session, worst_case, gateway, language, registered):
    """Each page as shown, and again with the longest wrong-entry notice its screen can give
    (or the shortest, which the cut keeps room for, where the longest does not fit)."""
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    params = _params(session, worst_case)
    checked = 0
    for screen_id in JOURNEYS:
        if screen_id in OUTLET_JOURNEYS:
            continue  # test_every_outlet_and_redemption_page_fits, with an outlet's worst case
        for screen_params in params.get(screen_id, [{}]):
            if not registered and screen_id in CALLER_ONLY:
                continue  # an unregistered phone cannot reach these
            for taught in (False, True):
                stack = [Frame(HOME_SCREEN), Frame(screen_id, screen_params)]
                context = _context(engine, session, worst_case, config, locale, stack, registered)
                context.state.taught = taught
                notice = _longest_notice(context, screen_id)
                for page in engine.render_all_pages(context):
                    assert config.budget.fits(page.text), (screen_id, locale, str(config.budget.measure(page.text)))
                    context.state.notice = notice
                    shown = engine._render(context).text
                    context.state.notice = None
                    assert config.budget.fits(shown), (screen_id, locale, shown)
                    context.state.frame.page += 1
                    checked += 1
    assert checked > len(JOURNEYS)


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
def test_every_payment_page_fits_with_the_next_payment_the_schedule_expects(
    app, session, worst_case, gateway, language
):
    """Nothing scheduled: every programme expects a 3-month instalment of the largest rate in
    September (the longest month name) instead."""
    session.execute(delete(Payment).where(Payment.status == PaymentStatus.SCHEDULED))
    session.execute(
        update(Programme).values(
            payment_frequency="quarterly", payment_months="3,6,9,12", amount_bdt=MAX_AMOUNT, unit="BDT/month"
        )
    )
    session.commit()
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    september = "সেপ্টেম্বর" if locale == "bn" else "September"
    codes = list(session.scalars(select(Programme.code).where(Programme.benefit_type == "cash")))
    for code in codes:
        stack = [Frame(HOME_SCREEN), Frame("payment", {"programme": code})]
        context = _context(engine, session, worst_case, config, locale, stack)
        context.today = dt.date(2027, 9, 1)
        pages = [page.text for page in engine.render_all_pages(context)]
        for page in pages:
            assert config.budget.fits(page), (code, locale, str(config.budget.measure(page)))
        assert september in " ".join(pages), (code, pages)  # the expected month is shown, not cut


def _longest_notice(context: Context, screen_id: str) -> str:
    """The longest re-prompt reason this screen can show."""
    reasons = [context._("Choose a number from the list."), context._("Wrong key.")]
    screen = JOURNEYS[screen_id]
    if isinstance(screen, Input):
        answer = screen.accept(context, "12")  # too short for an NID, a date or a tracking number
        if isinstance(answer, Invalid):
            reasons.append(answer.reason)
    return max(reasons, key=len)


# -- the answer before the chrome ---------------------------------------------------------
def _pages_after(engine, context, keys: list[str]) -> list[str]:
    """Press ``keys`` from the current screen; every page of the screen reached."""
    engine._render(context)
    for key in keys:
        engine._handle(context, key)
        engine._render(context)
    return [page.text for page in engine.render_all_pages(context)]


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
def test_my_payments_shows_the_last_payment_on_its_first_page(app, session, worst_case, gateway, language):
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    context = _context(engine, session, worst_case, config, locale, [Frame(HOME_SCREEN)])
    first_page = _pages_after(engine, context, ["2"])[0]
    amount = format_number(MAX_AMOUNT, "bn" if locale == "bn" else "en")
    status = payment_status_label(locale, PaymentStatus.RETURNED)
    assert amount in first_page and status in first_page, first_page
    last = session.scalar(select(Payment).where(Payment.citizen_id == worst_case.id, Payment.cycle == "2026-10"))
    day = context.date(last.paid_on, short=True) if last.paid_on else context.cycle(last.cycle)
    assert day in first_page, (day, first_page)
    programmes = [programme_name(code, locale, rulebook(session), short=True) for code in rulebook(session).rules]
    assert any(first_page.startswith(name) for name in programmes), first_page


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
def test_the_resume_offer_shows_continue_and_start_over_on_one_screen(app, session, worst_case, gateway, language):
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    deep = _params(session, worst_case)[RESUME_SCREEN][0]
    context = _context(engine, session, worst_case, config, locale, [Frame(HOME_SCREEN), Frame(RESUME_SCREEN, deep)])
    pages = engine.render_all_pages(context)
    assert len(pages) == 1, [p.text for p in pages]
    assert context._("Continue") in pages[0].text and context._("Start over") in pages[0].text


# Each list as a caller reaches it from the main menu (the keys are taught on the first
# screen below it, so the complaint's programme list, two screens down, no longer shows them).
PROGRAMME_LISTS = {"eligibility": ["1"], "complaint_programme": ["4", "1"]}


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
@pytest.mark.parametrize("screen_id", PROGRAMME_LISTS)
def test_every_programme_list_fits_four_pages_whatever_the_caller_receives(
    app, session, worst_case_real_names, gateway, language, screen_id
):
    """The caller's own programmes come first, so the order (and how the options pack into
    pages) depends on what the caller receives: none, each one alone, or all of them."""
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    codes = list(rulebook(session).rules)
    callers = [worst_case_real_names, make_citizen(session)]
    for code in codes:
        callers.append(make_citizen(session))
        make_enrolment(session, callers[-1], code)
    session.commit()
    for caller in callers:
        context = _context(engine, session, caller, config, locale, [Frame(HOME_SCREEN)])
        pages = _pages_after(engine, context, PROGRAMME_LISTS[screen_id])
        assert context.state.frame.screen == screen_id
        assert len(pages) <= 4, ([e.programme_code for e in caller.enrolments], pages)
        navigation = ("98 ", "৯৮ ", "0 ", "০ ")
        lines = "\n".join(pages).split("\n")[1:]  # below the title
        options = [line for line in lines if not line.startswith(navigation)]
        own = [_short(session, e.programme_code, locale) for e in caller.enrolments]
        listed = [line.split(" ", 1)[1] for line in options]
        assert len(listed) >= len(codes)
        first = [name for name in listed if name in own]
        assert listed[screen_id == "eligibility" : len(first) + (screen_id == "eligibility")] == first


def _short(session, code: str, locale: str) -> str:
    return programme_name(code, locale, rulebook(session), short=True)


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
@pytest.mark.parametrize("registered", [True, False])
def test_no_sentence_is_cut_unless_it_alone_is_longer_than_a_page(
    app, session, worst_case, gateway, language, registered
):
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    params = _params(session, worst_case)
    labels = NavLabels.of(_context(engine, session, worst_case, config, locale, [Frame(HOME_SCREEN)]))
    for screen_id, screen in JOURNEYS.items():
        if not isinstance(screen, Info) or (not registered and screen_id in CALLER_ONLY):
            continue
        if screen_id in OUTLET_JOURNEYS:
            continue  # their texts are one or two sentences (test_every_outlet_and_redemption_page_fits)
        for screen_params in params.get(screen_id, [{}]):
            stack = [Frame(HOME_SCREEN), Frame(screen_id, screen_params)]
            context = _context(engine, session, worst_case, config, locale, stack, registered)
            pages = engine.render_all_pages(context)
            # The room every page keeps for a wrong-key notice, as the engine cuts.
            notices = engine._short_notices(context, screen)
            words = [word for page in pages for word in page.body.split()]
            cut = 0
            for page in pages[:-1]:
                cut += len(page.body.split())
                if not cut or _SENTENCE_END.search(words[cut - 1]):
                    continue
                start, end = _sentence_around(words, cut)
                sentence = " ".join(words[start:end])
                last = end == len(words)
                line, notice = (labels.back_home, notices.last) if last else (labels.more, notices.more)
                alone = config.budget.fits(f"{sentence}\n{line}") and config.budget.fits(f"{notice}\n{sentence}")
                assert not alone, (screen_id, locale, [p.text for p in pages])


_SENTENCE_END = re.compile(r"[.?!।][)\"'’”]*$")


def _sentence_around(words: list[str], cut: int) -> tuple[int, int]:
    """The words of the sentence a cut before ``words[cut]`` falls in."""
    start = cut
    while start > 0 and not _SENTENCE_END.search(words[start - 1]):
        start -= 1
    end = cut
    while end < len(words) and not _SENTENCE_END.search(words[end]):
        end += 1
    return start, min(end + 1, len(words))


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("locale", ["bn", "en", ROMANIZED_BANGLA])
def test_end_screens_fit_on_one_page(gateway, locale):
    budget = GATEWAYS[gateway].budget
    if budget.ascii_only and locale == "bn":
        locale = ROMANIZED_BANGLA
    for message in ("Too many wrong entries. Please dial again.", "Service unavailable. Please try again later."):
        assert budget.fits(translate(locale, message)), (locale, message)


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
def test_another_persons_answer_fits_one_page_whatever_decided_it(app, session, worst_case, gateway, language):
    """The decision-only answer for another person, with the longest programme name and every
    criterion as the deciding one: one line, so one page."""
    config = GATEWAYS[gateway]
    locale = ROMANIZED_BANGLA if (language == "bn" and config.ascii_only) else language
    book = rulebook(session)
    wrong = translate(locale, "Wrong key.")
    longest = max((programme_name(code, locale, book, short=True) for code in book.rules), key=len)
    rules = [(criterion, params) for code in book.rules for criterion, params in book.rules[code]]
    for criterion, params in rules:
        outcome = Outcome.UNKNOWN if criterion == "listed_in" else Outcome.FAIL
        required = params.get("list")
        decision = Decision.NEEDS_VERIFICATION if outcome is Outcome.UNKNOWN else Decision.NOT_ELIGIBLE
        result = EligibilityResult("X", decision, (CriterionResult(criterion, outcome, None, required),))
        text = f"{longest}: {summarise_decision(result, locale)}"
        more = "98 " + translate(locale, "More")
        back_home = "0 {} 00 {}".format(translate(locale, "Back"), translate(locale, "Menu"))
        footer, notices = Footer(more, back_home), Footer(f"{wrong} {more}", f"{wrong} {back_home}")
        pages = paginate("", text_tokens(text), config.budget, footer, notices)
        assert len(pages) == 1, (criterion, locale, [p.text for p in pages])


# -- the outlet's menu and the beneficiary's answer ---------------------------------------
MAX_QUANTITY = "99999.5"


@pytest.fixture
def busy_outlet(session, worst_case):
    """An outlet with 200-character names, five redemptions of the largest quantity awaiting a
    code and two completed today, of programmes with the longest names."""
    outlet = make_outlet(session, programmes=("FFP", "VGF"), name_en="A" * 200, name_bn="অ" * 200)
    for n in range(7):
        citizen = make_citizen(session, mobile=f"+88017139999{n:02d}")
        funded_wallet(session, citizen, "FFP" if n % 2 else "VGF", balance="99999.5")
        started = redemptions.start(
            session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(MAX_QUANTITY), None, RedemptionChannel.API
        )
        if n >= 5:
            redemptions.confirm_code(session, outlet, started.redemption.id, started.code)
    return outlet


def _outlet_params(session, context) -> dict[str, list[dict]]:
    codes = list(session.scalars(select(Programme.code)))
    what = {"quantity": MAX_QUANTITY, "unit": "kg rice"}
    refusals = [
        {"reason": reason.value, "programmes": codes[:4], "tries_left": 2, "step": step}
        for reason in redemptions.Reason
        for step in ("0.5", "1")
    ]
    left = context._(
        "Done: you were given %(what)s. E-token left: %(balance)s.",
        what=f"{MAX_QUANTITY} kg rice",
        balance=f"{MAX_QUANTITY} kg rice",
    )
    # "No, not me" files a complaint: its number follows what happened to the e-token.
    filed = filed_answer(context.locale, new_tracking_number(), duplicate=False)
    answers = [
        left,
        context._("Refused: nothing was given, your e-token is unchanged.") + " " + filed,
        context._("It was handed over before your answer came.") + " " + filed,
        *(
            redemption_labels.beneficiary_refusal(context.locale, redemptions.Refused(reason))
            for reason in redemptions.Reason
        ),
    ]
    return {
        "outlet_programme": [{"beneficiary": "x", "programmes": codes}],
        "outlet_quantity": [{"beneficiary": "x", "programme": "FFP", "unit": unit} for unit in ("kg rice", "voucher")],
        "outlet_code": [{"redemption": -1, "sent": True, **what}, {"redemption": -1, **what}],
        "outlet_done": [{**what, "balance": MAX_QUANTITY}],
        "outlet_refused": refusals,
        WAITING_SCREEN: [{"redemption": -1, "outlet_en": "A" * 200, "outlet_bn": "অ" * 200, **what}],
        "redemption_answered": [{"text": text} for text in answers],
    }


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
def test_every_outlet_and_redemption_page_fits(app, session, worst_case, busy_outlet, gateway, language):
    """Each page of the operator's screens (and their home, the outlet menu) and of the
    beneficiary's answer, as shown and with the longest notice it can give."""
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = _locale(language, config)
    probe = _context(engine, session, worst_case, config, locale, [Frame(HOME_SCREEN)])
    params = _outlet_params(session, probe)
    notices = [
        probe._("Choose a number from the list."),
        redemption_labels.refusal(locale, redemptions.Refused(redemptions.Reason.BAD_BENEFICIARY)),
        redemption_labels.refusal(locale, redemptions.Refused(redemptions.Reason.WRONG_CODE, tries_left=2)),
        redemption_labels.refusal(locale, redemptions.Refused(redemptions.Reason.BAD_QUANTITY)),
    ]
    checked = 0
    for screen_id in [HOME_SCREEN, *OUTLET_JOURNEYS]:
        for screen_params in params.get(screen_id, [{}]):
            for taught in (False, True):
                stack = (
                    [Frame(HOME_SCREEN)]
                    if screen_id == HOME_SCREEN
                    else [Frame(HOME_SCREEN), Frame(screen_id, dict(screen_params))]
                )
                context = _context(engine, session, worst_case, config, locale, stack)
                context.state.kept[OUTLET] = busy_outlet.id
                context.state.taught = taught
                pages = engine.render_all_pages(context)
                for page in pages:
                    assert config.budget.fits(page.text), (screen_id, locale, str(config.budget.measure(page.text)))
                    for notice in notices:
                        context.state.notice = notice
                        shown = engine._render(context).text
                        assert config.budget.fits(shown), (screen_id, locale, shown)
                    context.state.notice = None
                    context.state.frame.page += 1
                    checked += 1
    assert checked > len(OUTLET_JOURNEYS)
