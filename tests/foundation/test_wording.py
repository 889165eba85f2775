"""Text in one locale: Bengali digits and units in words in Bangla script, ASCII in romanized Bangla."""

import datetime as dt
from decimal import Decimal

from foundation.i18n import display_locale
from foundation.wording import wording


def test_bangla_script_has_bengali_digits_units_after_the_number_and_a_dari():
    w = wording("bn")
    assert w.money(Decimal(1500)) == "১,৫০০ টাকা"
    assert w.number(1234567) == "১২,৩৪,৫৬৭"
    assert w.quantity(Decimal(30), "কেজি") == "৩০ কেজি"
    assert w.age(70) == "বয়স ৭০ বছর"
    assert w.year(2019) == "২০১৯"  # a year is never grouped
    assert w.month(2026, 11) == w.cycle("2026-11") == "নভেম্বর ২০২৬"
    assert w.day(dt.date(2026, 11, 5)) == "৫ নভেম্বর ২০২৬"
    assert w.digits("98") == "৯৮"
    assert w.sentence("যোগ্য") == "যোগ্য।"


def test_english_writes_the_unit_first_and_a_full_stop():
    w = wording("en")
    assert w.money(Decimal(1500)) == "Tk 1,500"
    assert w.age(70) == "age 70 years"
    assert w.day(dt.date(2026, 11, 5), short=True) == "5 Nov 2026"
    assert w.sentence("eligible") == "eligible."


def test_romanized_bangla_is_ascii_with_bangla_words_and_counts_as_bangla():
    w = wording("bn_Latn")
    assert w.money(Decimal(1500)) == "1,500 taka"
    assert w.month(2026, 11) == "November 2026"
    assert w.digits("98") == "98"
    assert w.language == "bn" and wording("en").language == "en"


def test_a_unit_without_a_word_in_the_locale_leaves_the_number_alone():
    assert wording("bn").quantity(Decimal(30), "") == "৩০"


def test_bangla_is_romanized_only_where_the_script_cannot_be_shown():
    assert display_locale("bn", ascii_only=True) == "bn_Latn"
    assert display_locale("bn", ascii_only=False) == "bn"
    assert display_locale("en", ascii_only=True) == "en"
