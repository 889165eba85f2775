"""Checking another person's eligibility: the NID and the full date of birth must both match,
the answer names only the decision and the deciding criterion, and one phone has five
look-ups a day however its number is written and whatever it guesses."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from foundation.i18n import to_ascii_digits, translate
from foundation.jobs import redis_connection
from registry.models import Gender
from tests.factories import make_citizen, make_enrolment, make_household
from tests.ussd_app.conftest import Phone
from ussd_app.budget import ScreenBudget
from ussd_app.engine import HOME_SCREEN, Context, GatewayConfig, HopDatabase
from ussd_app.journeys import JOURNEYS
from ussd_app.state import Frame, SessionState

LOOKUP_LIMIT = "আজকের ৫টি খোঁজ শেষ"
NOT_FOUND = "কেউ নিবন্ধিত নেই"
# The screens' own catalog texts, whatever the copy review makes of them.
DATE_PROMPT = translate("bn", "Date of birth as DDMMYYYY, e.g. 05031960 for 5 March 1960:")
NOT_A_DATE = translate("bn", "Enter a real date in 8 digits: day, month, year.")
NOT_AN_NID = translate("bn", "An NID has 10, 13 or 17 digits.")
OPTION = re.compile(r"([0-9০-৯]+) (.+)")
NAVIGATION = {"98", "0", "00"}


def ascii_digits(screen: str) -> str:
    """Option numbers are in Bengali digits in Bangla."""
    return to_ascii_digits(screen)


def has_more(page: str) -> bool:
    return "\n98 " in ascii_digits(page)


@pytest.fixture
def karim(session):
    """58, a man, household income Tk 12,345 and 77 decimal of land, no disability; his
    17-digit NID begins with his year of birth, as every 17-digit NID does."""
    household = make_household(session, monthly_income_bdt=Decimal(12345), land_decimal=Decimal(77))
    citizen = make_citizen(session, age=58, gender=Gender.MALE, household=household, mobile="+8801812000002")
    citizen.nid = f"{citizen.date_of_birth.year}1234567890123"
    session.commit()
    return citizen


def _ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d%m%Y")


def _look_up(phone: Phone, nid: str, birth_date: str) -> str:
    """An unregistered phone's "Check eligibility by NID": the NID, then the date of birth."""
    phone.dial_fresh()
    phone.press("1")
    phone.press(nid)
    return phone.press(birth_date)


def _in_english(phone: Phone) -> None:
    phone.dial_fresh()
    phone.press("5")  # Language
    phone.press("2")  # English


# -- two factors ----------------------------------------------------------------------------
def test_the_second_question_asks_for_the_full_date_of_birth_in_the_callers_language(stranger, karim):
    stranger.dial_fresh()
    stranger.press("1")
    assert stranger.press(karim.nid).startswith(f"CON {DATE_PROMPT}")
    _in_english(stranger)
    stranger.press("1")
    assert stranger.press(karim.nid).startswith("CON Date of birth as DDMMYYYY, e.g. 05031960 for 5 March 1960:")


def test_the_year_of_birth_the_nid_begins_with_is_no_longer_enough(stranger, karim):
    screen = _look_up(stranger, karim.nid, karim.nid[:4])
    assert screen.startswith(f"CON {NOT_A_DATE}")


def test_nid_and_date_of_birth_find_the_person(stranger, karim):
    assert _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth)).startswith("CON যোগ্যতা: বাছুন\n১ সব কর্মসূচি")


def test_the_date_may_be_typed_in_bengali_digits(stranger, karim):
    typed = _ddmmyyyy(karim.date_of_birth).translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert _look_up(stranger, karim.nid, typed).startswith("CON যোগ্যতা: বাছুন")


def test_a_date_of_birth_one_day_off_finds_no_one(stranger, karim):
    screen = _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth + dt.timedelta(days=1)))
    assert NOT_FOUND in stranger.read_on(screen)


@pytest.mark.parametrize(
    "typed",
    [
        "31022000",  # no 31 February
        "00011960",  # no day 0
        "01131960",  # no month 13
        "01011899",  # before anyone living was born
        "5031960",  # 7 digits
        "050319600",  # 9 digits
        "05-03-1960",
        "tomorrow",
    ],
)
def test_what_is_not_a_real_date_is_refused_with_the_fields_message(stranger, karim, typed):
    assert _look_up(stranger, karim.nid, typed).startswith(f"CON {NOT_A_DATE}")


def test_a_date_in_the_future_is_refused(stranger, karim):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert _look_up(stranger, karim.nid, _ddmmyyyy(tomorrow)).startswith(f"CON {NOT_A_DATE}")


@pytest.mark.parametrize(
    "typed",
    [
        "0503196²",  # a superscript two: str.isdigit() says yes, int() says no
        "٠٥٠٣١٩٦٠",  # Arabic-Indic
        "０５０３１９６０",  # fullwidth
        "०५०३१९६०",  # Devanagari: int() would read it as 05031960
    ],
)
def test_digits_of_other_scripts_are_refused_like_any_other_bad_date(stranger, karim, typed):
    screen = _look_up(stranger, karim.nid, typed)
    assert stranger.status == 200
    assert screen.startswith(f"CON {NOT_A_DATE}")


@pytest.mark.parametrize("typed", ["١٢٣٤٥٦٧٨٩٠", "５０００００００１２", "123456789²"])
def test_an_nid_in_digits_of_other_scripts_is_refused_with_the_nid_message(stranger, typed):
    stranger.dial_fresh()
    stranger.press("1")
    screen = stranger.press(typed)
    assert stranger.status == 200
    assert screen.startswith(f"CON {NOT_AN_NID}")


# -- the answer -------------------------------------------------------------------------------
def _options(page: str) -> list[tuple[str, str]]:
    """(number, label) of each option on one page of a menu (the last line is navigation)."""
    lines = page.removeprefix("CON ").split("\n")
    options = [(ascii_digits(m[1]), m[2]) for m in map(OPTION.fullmatch, lines) if m]
    return [(number, label) for number, label in options if number not in NAVIGATION]


def _page_with(phone: Phone, page: str, label: str) -> str:
    """Follow "98 More" until the option called ``label`` shows."""
    while label not in [text for _, text in _options(page)]:
        assert has_more(page), (label, page)
        page = phone.press("98")
    return page


def _answers(phone: Phone, menu: str) -> dict[str, str]:
    """Every programme's answer on a (paged) eligibility menu, each opened and closed with Back."""
    answers = {}
    page = menu
    while True:
        for number, label in _options(page):
            if label in ("All programmes", "সব কর্মসূচি"):
                continue
            result = phone.press(number)
            assert not has_more(result), result  # one line fits on one page
            answers[label] = result.removeprefix("CON ").rsplit("\n", 1)[0]
            page = phone.press("0")
        if not has_more(page):
            return answers
        page = phone.press("98")


def test_the_answer_names_the_deciding_criterion_never_the_persons_values(stranger, karim):
    menu = _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth))
    assert _answers(stranger, menu)["বয়স্ক ভাতা"] == "বয়স্ক ভাতা: যোগ্য নন: বয়স।"

    _in_english(stranger)
    stranger.press("1")
    stranger.press(karim.nid)
    answers = _answers(stranger, stranger.press(_ddmmyyyy(karim.date_of_birth)))
    assert answers["Old Age Allowance"] == "Old Age Allowance: not eligible: age."
    assert answers["Food Friendly"] == "Food Friendly: not eligible: household income."
    assert answers["Disability Allowance"] == "Disability Allowance: not eligible: disability."
    assert answers["Widow Allowance"] == "Widow Allowance: not eligible: gender."
    leaked = [(label, text) for label, text in answers.items() if re.search(r"[0-9]", text)]
    assert not leaked  # no age, income, land, score or threshold, in any programme's answer


def test_all_programmes_lists_decisions_only(stranger, karim):
    _in_english(stranger)
    stranger.press("1")
    stranger.press(karim.nid)
    stranger.press(_ddmmyyyy(karim.date_of_birth))
    text = stranger.read_on(stranger.press("1"))
    assert text.startswith(("Eligible: ", "Not eligible for any programme."))
    assert not re.search(r"[0-9]", text)


def test_the_looked_up_persons_facts_stay_out_of_the_session_store(stranger, karim):
    """Their income (12,345) and land (77) decide the answers but are never kept with the
    caller's session, as the caller's own facts are for their next screens."""
    _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth))
    stranger.read_on(stranger.press("1"))  # all programmes: the facts were used
    redis = redis_connection()
    stored = b" ".join(redis.get(key) or b"" for key in redis.scan_iter("ussd:session:*"))
    assert stored and b"12345.00" not in stored and b'"77.00"' not in stored
    assert b"own_facts" not in stored


def test_the_callers_own_facts_are_kept_for_the_sessions_next_screens(client, session):
    household = make_household(session, monthly_income_bdt=Decimal(23456), land_decimal=Decimal(12))
    own = Phone(client, make_citizen(session, age=58, gender=Gender.MALE, household=household).mobile)
    session.commit()
    own.dial_fresh()
    own.press("1")  # Am I eligible? (the menu puts the caller's programmes first: the facts load)
    redis = redis_connection()
    stored = redis.get(f"ussd:session:africastalking:{own.session_id}") or b""
    assert b"own_facts" in stored and b"23456.00" in stored


def test_the_menu_does_not_reveal_which_programmes_the_person_receives(stranger, karim, session):
    before = _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth))
    make_enrolment(session, karim, "VGF")  # the last programme by name
    session.commit()
    after = _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth))
    assert after == before  # the caller's own menu puts their programmes first; another person's does not


def test_the_callers_own_eligibility_keeps_its_detail(client, session):
    household = make_household(session, monthly_income_bdt=Decimal(12345), land_decimal=Decimal(77))
    own = Phone(client, make_citizen(session, age=58, gender=Gender.MALE, household=household).mobile)
    session.commit()
    own.dial_fresh()
    menu = _page_with(own, own.press("1"), "বয়স্ক ভাতা")  # Am I eligible?
    assert own.choose("বয়স্ক ভাতা", menu).startswith("CON বয়স্ক ভাতা: যোগ্য নন: বয়স ৫৮ বছর, ৬৫ বছর হলে আবেদন")


def test_a_registered_caller_checking_someone_else_sees_the_decision_only(phone, karim):
    phone.dial_fresh()
    phone.press("98")
    phone.press("6")  # Check another person
    phone.press(karim.nid)
    answers = _answers(phone, phone.press(_ddmmyyyy(karim.date_of_birth)))
    assert answers["বয়স্ক ভাতা"] == "বয়স্ক ভাতা: যোগ্য নন: বয়স।"
    assert not [text for text in answers.values() if re.search(r"[0-9০-৯]", text)]


def _screen_text(app, session, screen: str, params: dict, locale: str = "en") -> str:
    """What an information screen of the look-up says (a caller without a registered phone)."""
    state = SessionState(phone="+8801999000111", locale=locale, citizen_id=None, stack=[Frame(HOME_SCREEN)])
    state.stack.append(Frame(screen, params))
    database = HopDatabase(lambda: session, session.connection, session.rollback)
    context = Context(
        database, state, GatewayConfig("africastalking", ScreenBudget()), app.extensions["sahayata.ussd"].store
    )
    return JOURNEYS[screen].text(context)


@pytest.fixture
def pensioner(session):
    """70, a man of a poor household: the Old Age Allowance's rules hold but for the pension
    check, which only an enrolment decides."""
    household = make_household(session, monthly_income_bdt=Decimal(3000), land_decimal=Decimal(0), size=2)
    citizen = make_citizen(session, age=70, gender=Gender.MALE, household=household)
    session.commit()
    return citizen


def test_an_enrolment_of_the_other_person_is_not_revealed(app, session, pensioner):
    screens = [("other_eligibility_result", {"programme": code}) for code in ("OAA", "GPEN", "FFP", "VGF")]
    screens.append(("other_eligibility_all", {}))

    def answers() -> list[str]:
        return [_screen_text(app, session, s, {**p, "subject_id": pensioner.id}) for s, p in screens]

    before = answers()
    for code in ("GPEN", "FFP", "VGF"):
        make_enrolment(session, pensioner, code)
    session.commit()
    assert answers() == before
    assert before[0] == "Old Age Allowance: needs verification: another programme."
    assert not any("receive" in text for text in before)


def test_the_primary_stipend_of_another_man_is_paid_to_the_mother(app, session, karim):
    text = _screen_text(app, session, "other_eligibility_result", {"programme": "PESP", "subject_id": karim.id})
    assert text == "Primary Stipend: paid to the mother."


def test_the_other_persons_list_is_in_the_fixed_order_whatever_they_receive(app, session, karim):
    state = SessionState(phone="+8801999000111", locale="bn_Latn", citizen_id=None, stack=[Frame(HOME_SCREEN)])
    state.stack.append(Frame("other_eligibility", {"subject_id": karim.id}))
    make_enrolment(session, karim, "VGF")
    session.commit()
    database = HopDatabase(lambda: session, session.connection, session.rollback)
    bdapps = GatewayConfig("bdapps", ScreenBudget(ascii_only=True))
    context = Context(database, state, bdapps, app.extensions["sahayata.ussd"].store)
    codes = [o.action.params.get("programme") for o in JOURNEYS["other_eligibility"].options(context)]
    assert codes == [
        None,
        "OAA",
        "WDA",
        "PDA",
        "SSD",
        "MCBP",
        "VWB",
        "FFP",
        "VGF",
        "EGPP",
        "PESP",
        "MHV",
        "FFH",
        "GPEN",
    ]


# -- five a day -------------------------------------------------------------------------------
def test_wrong_guesses_use_up_the_days_look_ups(stranger, karim):
    for days_off in range(1, 6):
        wrong = _ddmmyyyy(karim.date_of_birth + dt.timedelta(days=days_off))
        assert NOT_FOUND in stranger.read_on(_look_up(stranger, karim.nid, wrong))
    assert LOOKUP_LIMIT in _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth))


def test_an_unknown_nid_uses_up_a_look_up_too(stranger, karim):
    for n in range(5):
        assert NOT_FOUND in stranger.read_on(_look_up(stranger, f"999999999{n}", _ddmmyyyy(karim.date_of_birth)))
    assert LOOKUP_LIMIT in _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth))


def test_a_bad_date_is_not_a_look_up(stranger, karim):
    for _ in range(5):
        _look_up(stranger, karim.nid, "31022000")
    assert _look_up(stranger, karim.nid, _ddmmyyyy(karim.date_of_birth)).startswith("CON যোগ্যতা: বাছুন")


def test_the_allowance_belongs_to_the_phone_however_its_number_is_written(client, karim):
    """The gateway adapter turns every spelling of a number into one E.164 form, and the
    count keys on that: a new spelling is no new allowance."""
    spellings = ["+8801999000111", "01999000111", "8801999000111", "০১৯৯৯০০০১১১", "+880 1999-000111"]
    for spelling in spellings:
        screen = _look_up(Phone(client, spelling), karim.nid, _ddmmyyyy(karim.date_of_birth))
        assert screen.startswith("CON যোগ্যতা: বাছুন"), spelling
    assert LOOKUP_LIMIT in _look_up(Phone(client, "01999000111"), karim.nid, _ddmmyyyy(karim.date_of_birth))


@pytest.mark.parametrize("spelling", ["01999000١١١", "0199900011１", "+88019990001١١"])
def test_digits_of_other_scripts_in_the_phone_number_give_no_fresh_allowance(client, karim, spelling):
    for _ in range(5):
        _look_up(Phone(client, "+8801999000111"), karim.nid, _ddmmyyyy(karim.date_of_birth))
    other = Phone(client, spelling)
    screen = _look_up(other, karim.nid, _ddmmyyyy(karim.date_of_birth))
    assert other.status == 400 or LOOKUP_LIMIT in screen, (other.status, screen)


# -- production --------------------------------------------------------------------------------
class _WithGatewayKey:
    """A test client that sends the gateway's shared secret, as a configured aggregator does."""

    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def post(self, *args, **kwargs):
        return self.client.post(*args, headers={"X-Sahayata-Key": self.key}, **kwargs)


@pytest.fixture
def production_stranger(make_production_app, session):
    app = make_production_app(USSD_AFRICASTALKING_SECRET="k")
    return Phone(_WithGatewayKey(app.test_client(), "k"), "+8801999000111")


def test_in_production_the_look_up_needs_the_date_and_shows_decisions_only(production_stranger, karim):
    phone = production_stranger
    assert _look_up(phone, karim.nid, karim.nid[:4]).startswith(f"CON {NOT_A_DATE}")
    menu = _look_up(phone, karim.nid, _ddmmyyyy(karim.date_of_birth))
    assert phone.status == 200 and menu.startswith("CON যোগ্যতা: বাছুন")
    answers = _answers(phone, menu)
    assert answers["বয়স্ক ভাতা"] == "বয়স্ক ভাতা: যোগ্য নন: বয়স।"
    assert not [text for text in answers.values() if re.search(r"[0-9০-৯]", text)]


def test_in_production_wrong_guesses_use_up_the_days_look_ups(production_stranger, karim):
    phone = production_stranger
    for days_off in range(1, 6):
        _look_up(phone, karim.nid, _ddmmyyyy(karim.date_of_birth - dt.timedelta(days=days_off)))
    assert LOOKUP_LIMIT in _look_up(phone, karim.nid, _ddmmyyyy(karim.date_of_birth))


def test_in_production_other_scripts_digits_are_refused(production_stranger, karim):
    screen = _look_up(production_stranger, karim.nid, "0503196²")
    assert production_stranger.status == 200 and screen.startswith(f"CON {NOT_A_DATE}")
