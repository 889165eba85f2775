"""The journeys as a caller experiences them: through the Africa's Talking endpoint, and
screen by screen (the text a screen gives, whatever the engine's paging and footer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from foundation.gsm7 import utf16_units
from foundation.i18n import ROMANIZED_BANGLA, translate
from foundation.jobs import redis_connection
from registry.eligibility.engine import forget_cached_rulebook
from registry.etokens import post_entry
from registry.models import Citizen, EnrolmentStatus, Gender, Language, MaritalStatus, PaymentStatus
from tests.factories import make_citizen, make_enrolment, make_household, make_payment, make_wallet
from tests.ussd_app.conftest import Phone
from ussd_app.budget import ScreenBudget
from ussd_app.engine import HOME_SCREEN, Context, GatewayConfig, HopDatabase
from ussd_app.journeys import JOURNEYS
from ussd_app.screens import Restore
from ussd_app.state import Frame, SessionState

AFRICASTALKING = GatewayConfig("africastalking", ScreenBudget())
BDAPPS = GatewayConfig("bdapps", ScreenBudget(ascii_only=True))
LOCALES = ("bn", "en", ROMANIZED_BANGLA)
# The first page carries 80 units with about 12 kept for the navigation line.
FIRST_PAGE = 80 - 12


def _context(app, session, citizen_id, screen, params=None, locale="bn", gateway=AFRICASTALKING) -> Context:
    state = SessionState(
        phone="+8801712000009",
        locale=locale,
        citizen_id=citizen_id,
        stack=[Frame(HOME_SCREEN), Frame(screen, params or {})],
    )
    engine = app.extensions["sahayata.ussd"]
    return Context(HopDatabase(lambda: session, session.connection, session.rollback), state, gateway, engine.store)


def text_of(app, session, citizen_id, screen, params=None, locale="bn", gateway=AFRICASTALKING) -> str:
    """What an information screen says, before the engine cuts it into pages."""
    return JOURNEYS[screen].text(_context(app, session, citizen_id, screen, params, locale, gateway))


def options_of(app, session, citizen_id, screen, params=None, locale="bn", gateway=AFRICASTALKING):
    context = _context(app, session, citizen_id, screen, params, locale, gateway)
    return JOURNEYS[screen].options(context)


def first_sentence(text: str) -> str:
    for end in ("।", ". "):
        if end in text:
            text = text.split(end, 1)[0] + end.strip()
    return text


def romanized(text: str, *parts: str) -> bool:
    """A romanized answer (its reviewed wording may change): ASCII, with these parts."""
    assert text.isascii(), text
    assert all(part in text for part in parts), (parts, text)
    return True


def units_before(text: str, word: str) -> int:
    """How far into the screen ``word`` ends, in UTF-16 code units."""
    assert word in text, (word, text)
    return utf16_units(text[: text.index(word) + len(word)])


def ascii_digits(screen: str) -> str:
    return screen.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789"))


@pytest.fixture(autouse=True)
def fresh_rulebook(app_context):
    """Programmes' offices and order come from the cached rule book: never a stale one."""
    forget_cached_rulebook()
    yield
    forget_cached_rulebook()


# -- through the phone ----------------------------------------------------------------------
def test_main_menu_in_bangla_for_a_registered_caller(phone):
    assert ascii_digits(phone.dial()).startswith("CON সহায়তা\n1 আমি কি যোগ্য?")


def test_english_is_served_to_a_caller_who_prefers_it(phone, caller, session):
    caller.language = Language.ENGLISH
    session.commit()
    assert phone.dial().startswith("CON Sahayata\n1 Am I eligible?")


def test_an_enrolled_programme_is_answered_with_the_enrolment_through_the_phone(phone):
    phone.dial()
    menu = ascii_digits(phone.press("1"))
    assert menu.split("\n")[2:4] == ["2 বয়স্ক ভাতা", "3 খাদ্যবান্ধব"]  # her own first, in the seed's order
    assert phone.read_on(phone.press("2")).startswith("বয়স্ক ভাতা: আপনি ২০২৪ সাল থেকে পাচ্ছেন, অবস্থা চালু।")


def test_my_payments_with_one_programme_goes_straight_to_it(phone):
    phone.dial()
    text = phone.read_on(phone.press("2"))
    assert text.startswith("বয়স্ক ভাতা: ৬০০ টাকা, ব্যর্থ, ১২ অক্টো ২০২৬।")
    assert "কারণ: অ্যাকাউন্ট সক্রিয় নয়; যোগাযোগ করুন: উপজেলা সমাজসেবা অফিস।" in text
    assert "নভেম্বর ২০২৬" in text and "১১/২০২৬" not in text
    assert "**০০০১" in text and "01712000001" not in text  # masked, in Bengali digits


def test_etokens_with_a_bangla_unit_and_the_month_by_name(phone):
    phone.dial()
    assert phone.read_on(phone.press("3")).startswith("খাদ্যবান্ধব: ৩০ কেজি চাল, মেয়াদ ৩১ ডিসেম্বর ২০২৬ পর্যন্ত।")


def test_language_switch_is_saved_on_the_citizen(phone, caller, session):
    phone.dial()
    phone.press("98")
    phone.press("7")
    assert phone.press("2").startswith("CON Sahayata\n1 Am I eligible?")
    session.expire_all()
    assert session.scalar(select(Citizen.language).where(Citizen.id == caller.id)) is Language.ENGLISH


def test_unregistered_phone_sees_nothing_private(stranger):
    screen = ascii_digits(stranger.dial())
    assert "\n1 এনআইডি দিয়ে যোগ্যতা\n2 কীভাবে যুক্ত হবেন" in screen
    assert "ভাতা" not in screen


def test_nothing_is_stored_with_a_full_phone_number_in_analytics(phone, app):
    phone.dial()
    phone.press("1")
    keys = [key.decode() for key in redis_connection(app).keys("ussd:analytics:*")]
    values = [redis_connection(app).hgetall(key) for key in keys]
    assert keys and all(phone.number not in repr(v) for v in values)


# -- eligibility answers that fit the person --------------------------------------------------
@pytest.fixture
def couple(session):
    """A poor household of two: the wife holds the family's Food Friendly card; the husband
    is 64 and asks for himself."""
    household = make_household(session, monthly_income_bdt=Decimal(3000), land_decimal=Decimal(0), size=2)
    wife = make_citizen(session, age=60, gender=Gender.FEMALE, household=household)
    husband = make_citizen(session, age=64, gender=Gender.MALE, household=household)
    make_enrolment(session, wife, "FFP", enrolled_on=dt.date(2021, 8, 1), payment_channel=None, account_number=None)
    session.commit()
    return wife, husband


ENROLLED = {
    "bn": "খাদ্যবান্ধব: আপনি ২০২১ সাল থেকে পাচ্ছেন, অবস্থা চালু।",
    "en": "Food Friendly: you have received it since 2021; status active.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_enrolled_food_friendly_citizen_hears_of_the_enrolment_not_a_reassessment(app, session, couple, locale):
    wife, _ = couple
    # Today's facts would fail the targeting rules: the enrolment still answers.
    wife.household.monthly_income_bdt = Decimal(50000)
    session.commit()
    text = text_of(app, session, wife.id, "eligibility_result", {"programme": "FFP"}, locale)
    assert text == ENROLLED[locale] if locale in ENROLLED else romanized(text, "Khaddobandhob: apni 2021 sal")


HOUSEHOLD = {
    "bn": "খাদ্যবান্ধব: আপনার পরিবার এটি পাচ্ছে; এটি পরিবারপ্রতি একবার দেওয়া হয়।",
    "en": "Food Friendly: your household receives it; it is given once per household.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_household_programme_is_answered_for_the_household(app, session, couple, locale):
    _, husband = couple
    text = text_of(app, session, husband.id, "eligibility_result", {"programme": "FFP"}, locale)
    assert text == HOUSEHOLD[locale] if locale in HOUSEHOLD else romanized(text, "Khaddobandhob: apnar poribar")


def test_a_person_programme_of_another_member_is_not_the_callers(app, session, couple):
    wife, husband = couple
    make_enrolment(session, wife, "WDA")
    session.commit()
    assert "যোগ্য নন" in text_of(app, session, husband.id, "eligibility_result", {"programme": "WDA"})


def test_a_suspended_enrolment_says_so_and_where_to_ask(app, session):
    citizen = make_citizen(session, age=70, gender=Gender.FEMALE)
    make_enrolment(session, citizen, "OAA", status=EnrolmentStatus.SUSPENDED, enrolled_on=dt.date(2019, 3, 1))
    session.commit()
    assert text_of(app, session, citizen.id, "eligibility_result", {"programme": "OAA"}, "en") == (
        "Old Age Allowance: you are enrolled since 2019, but it is suspended. Ask the Upazila Social Services Office."
    )


PAID_TO_MOTHER = {
    "bn": "প্রাথমিক উপবৃত্তি: এটি শিশুর মাকে দেওয়া হয়। তিনি তাঁর নিবন্ধিত ফোন থেকে দেখতে পারবেন।",
    "en": "Primary Stipend: it is paid to the child's mother. She can check it from her registered phone.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_father_asking_about_the_primary_stipend_hears_it_is_paid_to_the_mother(app, session, couple, locale):
    _, husband = couple
    text = text_of(app, session, husband.id, "eligibility_result", {"programme": "PESP"}, locale)
    assert text == PAID_TO_MOTHER[locale] if locale in PAID_TO_MOTHER else romanized(text, "Prathomik upobritti: ")
    assert "women" not in text


ELIGIBLE = {
    "bn": "বয়স্ক ভাতা: যোগ্য (বয়স ৬৬ বছর)। যুক্ত হতে এনআইডি কার্ড নিয়ে যান: উপজেলা সমাজসেবা অফিস।",
    "en": "Old Age Allowance: eligible (age 66 years). "
    "To enrol, take your NID card to the Upazila Social Services Office.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_eligible_says_the_main_reason_and_the_programmes_office(app, session, locale):
    man = make_citizen(session, age=66, gender=Gender.MALE)
    session.commit()
    text = text_of(app, session, man.id, "eligibility_result", {"programme": "OAA"}, locale)
    assert (
        text == ELIGIBLE[locale] if locale in ELIGIBLE else romanized(text, "Boyosko bhata: joggo (", "66", "Somajseba")
    )


def test_each_programme_sends_the_caller_to_its_own_office(app, session):
    poor = make_household(session, monthly_income_bdt=Decimal(1500), land_decimal=Decimal(0), size=6)
    woman = make_citizen(session, age=30, gender=Gender.FEMALE, marital_status=MaritalStatus.DESERTED, household=poor)
    session.commit()
    text = text_of(app, session, woman.id, "eligibility_result", {"programme": "VWB"}, "en")
    assert text.startswith("VWB (VGD): eligible (") and text.endswith("Upazila Women Affairs Office.")


NOT_ELIGIBLE = {
    "bn": "বয়স্ক ভাতা: যোগ্য নন: বয়স ৬৪ বছর, ৬৫ বছর হলে আবেদন করতে পারবেন। আবেদনের জায়গা: উপজেলা সমাজসেবা অফিস।",
    "en": "Old Age Allowance: not eligible: age 64 years; you may apply at 65 years. "
    "Where to apply: Upazila Social Services Office.",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_not_eligible_names_the_deciding_criterion_with_its_unit_and_the_next_step(app, session, couple, locale):
    _, husband = couple
    text = text_of(app, session, husband.id, "eligibility_result", {"programme": "OAA"}, locale)
    assert (
        text == NOT_ELIGIBLE[locale]
        if locale in NOT_ELIGIBLE
        else romanized(text, "Boyosko bhata: joggo non", "64", "65")
    )


@pytest.fixture
def people(session, couple):
    """Callers who between them meet every kind of answer of every programme."""
    rich = make_household(session, monthly_income_bdt=Decimal(9_999_999), land_decimal=Decimal(99_999), size=1)
    others = [
        make_citizen(session, age=95, gender=Gender.FEMALE, marital_status=MaritalStatus.DESERTED, household=rich),
        make_citizen(session, age=8, gender=Gender.MALE, disability=True, district="Kurigram"),
        make_citizen(session, age=30, gender=Gender.FEMALE, district="Kurigram"),
    ]
    session.commit()
    return [*couple, *others]


@pytest.mark.parametrize("gateway", [AFRICASTALKING, BDAPPS])
@pytest.mark.parametrize("language", ["bn", "en"])
def test_every_answer_decides_early_and_no_sentence_outgrows_a_screen(app, session, people, gateway, language):
    locale = ROMANIZED_BANGLA if language == "bn" and gateway.ascii_only else language
    codes = [o.action.params["programme"] for o in options_of(app, session, people[0].id, "eligibility")[1:]]
    for person in people:
        for code in codes:
            text = text_of(app, session, person.id, "eligibility_result", {"programme": code}, locale, gateway)
            assert not gateway.ascii_only or text.isascii(), text
            # The programme, then what decides: within the first 45 units.
            name, _, rest = text.partition(": ")
            decision = rest.split()[0] if not rest.startswith(("আপনি", "আপনার", "এটি")) else rest.split()[1]
            assert units_before(text, f"{name}: ") + utf16_units(rest[: rest.index(decision) + len(decision)]) <= 45
            for sentence in text.replace("। ", "।\n").replace(". ", ".\n").split("\n"):
                assert gateway.budget.fits(sentence), sentence


def test_all_programmes_lists_what_the_caller_receives_first(app, session, caller):
    text = text_of(app, session, caller.id, "eligibility_all")
    assert text.startswith("আপনি পান: বয়স্ক ভাতা, খাদ্যবান্ধব। ")
    assert "বয়স্ক ভাতা" not in text.split("। ", 1)[1]  # not listed again as eligible


def test_all_programmes_for_the_household_member(app, session, couple):
    _, husband = couple
    assert text_of(app, session, husband.id, "eligibility_all", locale="en").startswith(
        "Your household receives: Food Friendly. "
    )


# -- one programme order ------------------------------------------------------------------
def _codes(options) -> list[str | None]:
    return [o.action.params.get("programme") for o in options]


@pytest.mark.parametrize("screen", ["eligibility", "complaint_programme"])
def test_programme_lists_have_the_same_order_on_every_gateway_and_language(app, session, caller, screen):
    params = {"category": "other"} if screen == "complaint_programme" else {}
    orders = {
        (locale, gateway.name): _codes(options_of(app, session, caller.id, screen, params, locale, gateway))
        for locale, gateway in [("bn", AFRICASTALKING), ("en", AFRICASTALKING), (ROMANIZED_BANGLA, BDAPPS)]
    }
    assert len(set(map(tuple, orders.values()))) == 1, orders
    codes = [code for code in next(iter(orders.values())) if code]
    seed = ["OAA", "WDA", "PDA", "SSD", "MCBP", "VWB", "FFP", "VGF", "EGPP", "PESP", "MHV", "FFH", "GPEN"]
    # Her own programmes first, each part in the seed file's order.
    assert codes == ["OAA", "FFP"] + [c for c in seed if c not in ("OAA", "FFP")]


def test_option_seven_is_the_same_programme_on_bdapps_and_in_bangla(app, session, caller):
    bangla = options_of(app, session, caller.id, "eligibility", locale="bn")
    romanized = options_of(app, session, caller.id, "eligibility", locale=ROMANIZED_BANGLA, gateway=BDAPPS)
    assert bangla[6].action.params == romanized[6].action.params
    assert (bangla[6].label, romanized[6].label) == ("মা ও শিশু সহায়তা", "Ma o shishu sohayota")


# -- payments -----------------------------------------------------------------------------
PAYMENT = {
    "bn": "বয়স্ক ভাতা: ৬০০ টাকা, ব্যর্থ, ১২ অক্টো ২০২৬। কারণ: অ্যাকাউন্ট সক্রিয় নয়; যোগাযোগ করুন: উপজেলা সমাজসেবা অফিস।",
    "en": "Old Age Allowance: Tk 600, failed, 12 Oct 2026. It failed: the account is inactive. "
    "Contact the Upazila Social Services Office.",
}
ACCOUNT = {"bn": "**০০০১", "en": "**0001", ROMANIZED_BANGLA: "**0001"}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_payment_screen_gives_the_failure_reason_and_office_in_the_callers_language(app, session, caller, locale):
    gateway = BDAPPS if locale == ROMANIZED_BANGLA else AFRICASTALKING
    text = text_of(app, session, caller.id, "payment", {"programme": "OAA"}, locale, gateway)
    if locale in PAYMENT:
        assert text.startswith(PAYMENT[locale])
    else:
        romanized(text, "Boyosko bhata: 600 taka, ", "12 Oct 2026", "account sokriyo noy", "Upazila Somajseba Office")
    assert ACCOUNT[locale] in text and "01712000001" not in text
    assert not gateway.ascii_only or text.isascii()
    if locale == "bn":
        assert not any("a" <= ch.lower() <= "z" for ch in text), text  # no English left in Bangla


def test_an_unknown_failure_reason_reads_as_a_translated_generic_one(app, session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "EGPP")
    make_payment(session, citizen, "EGPP", status=PaymentStatus.RETURNED, failure_reason="ERR-4711 beneficiary blocked")
    session.commit()
    text = text_of(app, session, citizen.id, "payment", {"programme": "EGPP"})
    assert "কারণ: প্রদানকারী পাঠায়নি; অ্যাকাউন্ট ঠিক করতে: উপজেলা প্রকল্প বাস্তবায়ন অফিস।" in text
    assert "ERR" not in text and "blocked" not in text


@pytest.fixture
def worst_payer(session):
    """Every cash programme, 7-digit amounts, returned payments on the longest dates."""
    citizen = make_citizen(session, age=70, mobile="+8801712999990")
    codes = ["OAA", "WDA", "PDA", "SSD", "MCBP", "EGPP", "PESP", "FFH", "GPEN"]
    for day, code in enumerate(codes, 1):
        make_enrolment(session, citizen, code, account_number="1234567890123456789")
        paid_on = dt.date(2026, 10, 20 + day % 9)
        make_payment(
            session,
            citizen,
            code,
            cycle="2026-10",
            amount_bdt=Decimal(9_999_999),
            status=PaymentStatus.RETURNED,
            paid_on=paid_on,
            failure_reason="x" * 200,
        )
    session.commit()
    return citizen, codes


@pytest.mark.parametrize("locale", LOCALES)
def test_the_first_page_shows_the_last_payments_programme_amount_status_and_date(app, session, worst_payer, locale):
    citizen, codes = worst_payer
    gateway = BDAPPS if locale == ROMANIZED_BANGLA else AFRICASTALKING
    for code in codes:
        text = text_of(app, session, citizen.id, "payment", {"programme": code}, locale, gateway)
        first = first_sentence(text)
        assert "2026" in first or "২০২৬" in first, first
        assert gateway.budget.measure(first).used <= FIRST_PAGE, (first, gateway.budget.measure(first))


def test_my_payments_with_several_programmes_opens_the_latest_with_the_others_one_back(app, session, worst_payer):
    citizen, codes = worst_payer
    make_payment(session, citizen, "PDA", cycle="2026-11", status=PaymentStatus.CREDITED, paid_on=dt.date(2026, 11, 3))
    session.commit()
    context = _context(app, session, citizen.id, HOME_SCREEN)
    my_payments = next(o for o in JOURNEYS[HOME_SCREEN].options(context) if o.label == "আমার পেমেন্ট")
    action = my_payments.action(context)
    assert isinstance(action, Restore)
    assert [(f.screen, f.params) for f in action.frames] == [
        (HOME_SCREEN, {}),
        ("payments", {}),
        ("payment", {"programme": "PDA"}),
    ]
    text = text_of(app, session, citizen.id, "payment", {"programme": "PDA"})
    assert text.startswith("প্রতিবন্ধী ভাতা: ৬০০ টাকা, জমা হয়েছে, ৩ নভে ২০২৬।")
    assert _codes(options_of(app, session, citizen.id, "payments")) == codes  # the seed's order


def test_the_next_payment_is_a_month_by_name(app, session, caller):
    text = text_of(app, session, caller.id, "payment", {"programme": "OAA"}, "en")
    assert "Next: Tk 600 in November 2026." in text


def _payment_screen_on(app, session, citizen_id, programme, today, locale):
    context = _context(app, session, citizen_id, "payment", {"programme": programme}, locale)
    context.today = today
    return JOURNEYS["payment"].text(context)


@pytest.fixture
def quarterly_payee(session):
    """An Old Age Allowance beneficiary paid October's quarterly instalment, nothing scheduled."""
    citizen = make_citizen(session, age=70, gender=Gender.FEMALE)
    make_enrolment(session, citizen, "OAA")
    make_payment(session, citizen, "OAA", cycle="2026-10", amount_bdt=Decimal(1800), paid_on=dt.date(2026, 10, 12))
    session.commit()
    return citizen


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Next: Tk 1,800 expected in January 2027 (quarterly)."),
        ("bn", "পরবর্তী: সম্ভবত জানুয়ারি ২০২৭-এ ১,৮০০ টাকা (ত্রৈমাসিক)।"),
        (ROMANIZED_BANGLA, "Poroborti: sombhoboto January 2027-e 1,800 taka (troimasik)."),
    ],
)
def test_a_quarterly_allowance_expects_its_next_quarter_not_next_month(app, session, quarterly_payee, locale, expected):
    text = _payment_screen_on(app, session, quarterly_payee.id, "OAA", dt.date(2026, 11, 20), locale)
    assert expected in text
    assert "December" not in text and "ডিসেম্বর" not in text
    assert "not scheduled" not in text


def test_the_quarterly_payments_first_page_still_shows_amount_status_and_date(app, session, quarterly_payee):
    text = _payment_screen_on(app, session, quarterly_payee.id, "OAA", dt.date(2026, 11, 20), "bn")
    assert text.startswith("বয়স্ক ভাতা: ১,৮০০ টাকা, জমা হয়েছে, ১২ অক্টো ২০২৬।")


def test_a_scheduled_payment_row_still_names_the_next_payment(app, session, quarterly_payee):
    make_payment(
        session,
        quarterly_payee,
        "OAA",
        cycle="2026-12",
        amount_bdt=Decimal(1800),
        status=PaymentStatus.SCHEDULED,
        paid_on=None,
        txn_id=None,
    )
    session.commit()
    text = _payment_screen_on(app, session, quarterly_payee.id, "OAA", dt.date(2026, 11, 20), "en")
    assert "Next: Tk 1,800 in December 2026." in text and "expected" not in text


def test_a_suspended_allowance_promises_no_next_payment(app, session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "OAA", status=EnrolmentStatus.SUSPENDED)
    make_payment(session, citizen, "OAA", cycle="2026-10")
    session.commit()
    text = _payment_screen_on(app, session, citizen.id, "OAA", dt.date(2026, 11, 20), "en")
    assert "Next payment not scheduled yet." in text


def test_etokens_in_kilograms_read_in_bangla_words(app, session):
    citizen = make_citizen(session, age=40)
    wallet = make_wallet(session, citizen, "FFP", unit="kg", expires_on=dt.date(2026, 11, 30))
    post_entry(session, wallet, Decimal(30), "credit")
    session.commit()
    assert text_of(app, session, citizen.id, "etokens") == "খাদ্যবান্ধব: ৩০ কেজি, মেয়াদ ৩০ নভেম্বর ২০২৬ পর্যন্ত।"


# -- enrolling ----------------------------------------------------------------------------
ENROL_OFFICES = {
    "OAA": "Upazila Social Services Office",
    "MCBP": "Upazila Women Affairs Office",
    "FFP": "Upazila Food Office",
    "VGF": "Upazila Project Implementation Office",
    "PESP": "Upazila Primary Education Office",
    "MHV": "Upazila Health Complex",
}


@pytest.mark.parametrize(("code", "office"), ENROL_OFFICES.items())
def test_how_to_enrol_names_each_programmes_office(app, session, code, office):
    options = options_of(app, session, None, "enrol", locale="en")
    assert [o.action.params["programme"] for o in options][:3] == ["OAA", "WDA", "PDA"]
    assert f"to the {office}." in text_of(app, session, None, "enrol_office", {"programme": code}, "en")


def test_back_from_the_latest_payment_lists_every_cash_programme(client, session, worst_payer):
    citizen, _ = worst_payer
    phone = Phone(client, citizen.mobile)
    phone.dial()
    latest = phone.press("2")  # paid on 28 October, the latest
    assert latest.startswith("CON মুক্তিযোদ্ধা ভাতা: ৯৯,৯৯,৯৯৯ টাকা, ফেরত এসেছে, ২৮ অক্টো ২০২৬।")
    listing = ascii_digits(phone.press("0"))
    title = translate("bn", "Payments: choose a programme")
    assert listing.startswith(f"CON {title}\n1 বয়স্ক ভাতা\n2 বিধবা ভাতা")
    assert ascii_digits(phone.press("0")).startswith("CON সহায়তা\n1 ")
