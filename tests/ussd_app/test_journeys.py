"""The journeys as a caller experiences them, through the Africa's Talking endpoint."""

from sqlalchemy import select

from registry.models import Citizen, Language
from sahayata.jobs import redis_connection


def test_main_menu_in_bangla_for_a_registered_caller(phone):
    screen = phone.dial()
    assert screen.startswith("CON সহায়তা\n1 আমি কি যোগ্য?")


def test_eligibility_for_one_programme_with_its_reason(phone):
    phone.dial()
    menu = phone.press("1")
    assert {"2 খাদ্যবান্ধব", "3 বয়স্ক ভাতা"} <= set(menu.split("\n"))  # her own programmes come first
    assert phone.choose("বয়স্ক ভাতা", menu) == "CON বয়স্ক ভাতা: যোগ্য\n0 পিছে 00 মেনু"


def test_eligibility_summary_lists_programmes(phone):
    phone.dial()
    phone.press("1")
    screen = phone.press("1")
    assert screen.startswith("CON যোগ্য: ") and "বয়স্ক ভাতা" in screen


def test_failed_payment_shows_amount_status_reason_and_what_to_do(phone):
    phone.dial()
    text = phone.read_on(phone.press("2"))  # My payments -> her only cash programme
    assert "সর্বশেষ: ৬০০ টাকা, নগদ, ব্যর্থ, ১২/১০/২০২৬।" in text
    assert "অ্যাকাউন্ট চালু আছে কিনা দেখুন" in text
    assert "পরবর্তী: ১১/২০২৬ মাসে ৬০০ টাকা।" in text
    assert "*******0001" in text and "01712000001" not in text  # account masked


def test_etokens_with_unit_and_expiry(phone):
    phone.dial()
    assert phone.press("3").startswith("CON খাদ্যবান্ধব: ৩০ কেজি চাল, মেয়াদ ৩১/১২/২০২৬ পর্যন্ত।")


def test_english_is_served_to_a_caller_who_prefers_it(phone, caller, session):
    caller.language = Language.ENGLISH
    session.commit()
    assert phone.dial().startswith("CON Sahayata\n1 Am I eligible?")


def test_language_switch_is_saved_on_the_citizen(phone, caller, session):
    phone.dial()
    phone.press("98")
    assert "7 ভাষা/Language" in phone.repeat()
    phone.press("7")
    assert phone.press("2").startswith("CON Sahayata\n1 Am I eligible?")
    session.expire_all()
    assert session.scalar(select(Citizen.language).where(Citizen.id == caller.id)) is Language.ENGLISH


def test_unregistered_phone_sees_nothing_private(stranger):
    screen = stranger.dial()
    assert screen.startswith("CON এই নম্বর নিবন্ধিত নয়।\n1 এনআইডি দিয়ে যোগ্যতা\n2 কীভাবে যুক্ত হবেন")
    assert "ভাতা" not in screen
    assert "উপজেলা সমাজসেবা অফিসে যান" in stranger.read_on(stranger.press("2"))


def test_lookup_by_nid_and_date_of_birth(stranger, caller):
    stranger.dial()
    stranger.press("1")
    assert stranger.press(caller.nid).startswith("CON জন্মতারিখ দিন-মাস-বছর, যেমন ০৫০৩১৯৬০:")
    menu = stranger.press(caller.date_of_birth.strftime("%d%m%Y"))
    assert menu.startswith("CON যোগ্যতা: বাছুন")


def test_lookup_with_the_right_year_but_wrong_day_finds_no_one(stranger, caller):
    stranger.dial()
    stranger.press("1")
    stranger.press(caller.nid)
    wrong_day = caller.date_of_birth.replace(day=1 if caller.date_of_birth.day != 1 else 2)
    assert "কেউ নিবন্ধিত নেই" in stranger.press(wrong_day.strftime("%d%m%Y"))


def test_lookups_are_limited_to_five_per_phone_per_day(stranger, caller):
    born = caller.date_of_birth.strftime("%d%m%Y")
    for _ in range(5):
        stranger.dial_fresh()
        stranger.press("1")
        stranger.press(caller.nid)
        assert stranger.press(born).startswith("CON যোগ্যতা")
    stranger.dial_fresh()
    stranger.press("1")
    stranger.press(caller.nid)
    assert "আজকের ৫টি খোঁজ শেষ" in stranger.press(born)


def test_nothing_is_stored_with_a_full_phone_number_in_analytics(phone, app):
    phone.dial()
    phone.press("1")
    keys = [key.decode() for key in redis_connection(app).keys("ussd:analytics:*")]
    values = [redis_connection(app).hgetall(key) for key in keys]
    assert keys and all(phone.number not in repr(v) for v in values)
