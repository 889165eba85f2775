"""The dashboards' SVG charts: figures written only as the page writes numbers, and labels cut
to their room at a word (or between whole Bangla letters), the whole label kept as a tooltip."""

import re

from foundation.i18n import format_number
from staff import charts


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text [^>]*>(.*?)</text>", str(svg))


def test_bars_write_each_figure_through_the_pages_number_format():
    svg = charts.bars([("বিকাশ", 12.5), ("নগদ", 1234.0)], shown=lambda v: format_number(v, "bn"), unit="%")
    assert "১২.৫%" in _texts(svg) and "১,২৩৪%" in _texts(svg)
    assert not any(re.search("[0-9]", text) for text in _texts(svg))


def test_columns_write_each_figure_through_the_pages_number_format():
    svg = charts.columns([("০১/০৯", 1500), ("০৮/০৯", 7)], shown=lambda v: format_number(v, "bn"))
    assert {"১,৫০০", "৭", "০১/০৯", "০৮/০৯"} <= set(_texts(svg))
    assert not any(re.search("[0-9]", text) for text in _texts(svg))


def test_a_label_that_fits_is_drawn_whole_without_a_tooltip():
    label = "আমাকে ছাড়া ই-টোকেন নেওয়া হয়েছে"  # nukta signs take no room of their own
    svg = str(charts.bars([(label, 3)], shown=str))
    assert f'<text x="0" y="13">{label}</text>' in svg


def test_a_long_label_is_cut_at_a_word_and_keeps_its_whole_text_as_a_tooltip():
    label = "Payments returned by the bank because the account was closed"
    svg = str(charts.bars([(label, 3)], shown=str))
    assert f'<text x="0" y="13"><title>{label}</title>Payments returned by the bank…</text>' in svg


def test_a_long_bangla_word_is_never_cut_inside_a_letter():
    # A hasanta joins two consonants into one letter and a vowel sign belongs to the consonant
    # before it: cut after the hasanta or before the sign and half a letter is left.
    word = "খাদ্যনিরাপত্তাদুর্যোগসহায়তাব্যবস্থাপনাকর্মসূচি"
    for room in range(4, 30):
        cut = charts.fitted(word, room)
        assert cut.endswith("…") and word.startswith(cut[:-1]), room
        rest = word[len(cut) - 1 :]
        assert cut[-2] != charts.VIRAMA and rest[0] not in "ািীুূৃেৈোৌ্ঁং়", (room, cut)
