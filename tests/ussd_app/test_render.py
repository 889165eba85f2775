import pytest

from ussd_app.budget import ScreenBudget
from ussd_app.render import NavLabels, ScreenTooLarge, paginate

LABELS = NavLabels("More", "Back", "Menu")


def test_short_menu_is_one_page_without_more():
    [page] = paginate("Title", ["1 One", "2 Two"], ScreenBudget(), LABELS, back=True, home=True)
    assert page.text == "Title\n1 One\n2 Two\n0 Back 00 Menu"
    assert not page.has_more


def test_long_text_pages_at_word_boundaries_within_budget():
    budget = ScreenBudget(ucs2_limit=40)
    words = ("অনেক লম্বা বাংলা লেখা যেটা এক পাতায় আঁটে না তাই কয়েক পাতায় ভাগ হবে " * 3).split()
    pages = paginate("", words, budget, LABELS, back=True, home=False, joiner=" ")
    assert len(pages) > 2
    assert all(budget.fits(page.text) for page in pages)
    assert [page.has_more for page in pages] == [True] * (len(pages) - 1) + [False]
    body = " ".join(page.text.split("\n")[0] for page in pages)
    assert body.split() == words  # nothing lost, no word cut


def test_item_too_large_for_any_page_is_an_error_not_a_cut():
    with pytest.raises(ScreenTooLarge):
        paginate("", ["x" * 200], ScreenBudget(), LABELS, back=False, home=False)


def test_overlong_word_is_split_between_whole_characters():
    from ussd_app.render import words

    pieces = words("ক্ষ" * 20)
    assert "".join(pieces) == "ক্ষ" * 20
    assert all(len(piece) <= 30 for piece in pieces)
    assert not any(piece.startswith("\u09cd") or piece.endswith("\u09cd") for piece in pieces)
