"""Render every screen of every journey, in every locale, with worst-case data, and
fail on any page over its gateway's budget (or any Bangla script on an ASCII gateway)."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from grievance.intake import Filing, file_grievance
from grievance.models import Category, Channel
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
from registry.models import District, Gender, MaritalStatus, PaymentStatus, Programme, Upazila
from sahayata.i18n import ROMANIZED_BANGLA, translate
from tests.factories import make_citizen, make_enrolment, make_household, make_payment, make_wallet
from ussd_app.budget import ScreenBudget
from ussd_app.engine import HOME_SCREEN, RESUME_SCREEN, Context, GatewayConfig, HopDatabase
from ussd_app.journeys import JOURNEYS
from ussd_app.render import NavLabels, paginate, words
from ussd_app.screens import Input, Invalid
from ussd_app.state import Frame, SessionState

MAX_AMOUNT = Decimal("9999999")
CALLER_ONLY = {"eligibility", "eligibility_all", "eligibility_result", "payments", "payment", "etokens"}
GATEWAYS = {
    "default": GatewayConfig("africastalking", ScreenBudget()),
    "ascii": GatewayConfig("bdapps", ScreenBudget(ascii_only=True)),
}


@pytest.fixture
def worst_case(session):
    """A caller in every programme, with 7-digit amounts, the longest place, failed payments."""
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
        "other_birth_date": [{"nid": "19581234567890123"}],
        RESUME_SCREEN: [{"frames": deep}],
        "complaint_programme": [{"category": c.value} for c in Category],
        "complaint_text": [{"category": Category.OTHER.value, "programme": None}],
        "complaint_confirm": [
            {"category": c.value, "programme": p, "text": "x" * 100} for c in Category for p in [None, *codes]
        ],
        "complaint_status_result": [{"number": filed.grievance.tracking_number}],
    }


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("language", ["bn", "en"])
@pytest.mark.parametrize("registered", [True, False])
def test_every_page_of_every_screen_fits(app, session, worst_case, gateway, language, registered):
    engine = app.extensions["sahayata.ussd"]
    config = GATEWAYS[gateway]
    locale = ROMANIZED_BANGLA if (language == "bn" and config.ascii_only) else language
    params = _params(session, worst_case)
    checked = 0
    for screen_id in JOURNEYS:
        for screen_params in params.get(screen_id, [{}]):
            if not registered and screen_id in CALLER_ONLY:
                continue  # an unregistered phone cannot reach these
            for notice in (None, "longest"):
                state = SessionState(
                    phone=worst_case.mobile,
                    locale=locale,
                    citizen_id=worst_case.id if registered else None,
                    stack=[Frame(HOME_SCREEN), Frame(screen_id, screen_params)],
                )
                context = Context(
                    HopDatabase(lambda: session, session.connection, session.rollback), state, config, engine.store
                )
                if notice:
                    state.notice = _longest_notice(context, screen_id)
                for page in engine.render_all_pages(context):
                    measure = config.budget.measure(page.text)
                    assert config.budget.fits(page.text), (screen_id, locale, str(measure), page.text)
                    checked += 1
    assert checked > len(JOURNEYS)


def _longest_notice(context: Context, screen_id: str) -> str:
    """The longest re-prompt reason this screen can show."""
    reasons = [context._("Choose a number from the list."), context._("No more pages.")]
    screen = JOURNEYS[screen_id]
    if isinstance(screen, Input):
        answer = screen.accept(context, "12")  # too short for an NID, a date or a tracking number
        if isinstance(answer, Invalid):
            reasons.append(answer.reason)
    return max(reasons, key=len)


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
    labels = NavLabels(*(translate(locale, label) for label in ("More", "Back", "Menu")))
    longest = max((programme_name(code, locale, book, short=True) for code in book.rules), key=len)
    rules = [(criterion, params) for code in book.rules for criterion, params in book.rules[code]]
    for criterion, params in rules:
        outcome = Outcome.UNKNOWN if criterion == "listed_in" else Outcome.FAIL
        required = params.get("list")
        decision = Decision.NEEDS_VERIFICATION if outcome is Outcome.UNKNOWN else Decision.NOT_ELIGIBLE
        result = EligibilityResult("X", decision, (CriterionResult(criterion, outcome, None, required),))
        text = f"{longest}: {summarise_decision(result, locale)}"
        pages = paginate("", words(text), config.budget, labels, back=True, home=True, joiner=" ")
        assert len(pages) == 1, (criterion, locale, [p.text for p in pages])
