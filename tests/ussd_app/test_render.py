"""Cutting screens into pages: examples, then properties over random texts and budgets."""

import itertools
import re
import signal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ussd_app.budget import ScreenBudget
from ussd_app.render import Footer, ScreenTooLarge, option_tokens, paginate, text_tokens

BANGLA = Footer("৯৮ আরও", "০ পিছে ০০ মেনু")
ENGLISH = Footer("98 More", "0 Back 00 Menu")
NOTICES = Footer("ভুল। ৯৮ আরও", "ভুল। ০ পিছে ০০ মেনু")


def _bodies(pages) -> list[str]:
    return [page.body for page in pages]


def test_short_menu_is_one_page_without_more():
    [page] = paginate(
        "Title", option_tokens(["1 One", "2 Two"]), ScreenBudget(), ENGLISH, Footer("Wrong key. 98 More", "Wrong key.")
    )
    assert page.text == "Title\n1 One\n2 Two\n0 Back 00 Menu"
    assert not page.has_more


def test_more_is_offered_only_where_a_next_page_exists():
    options = option_tokens([f"{i} বয়স্ক ভাতা কর্মসূচি" for i in range(1, 9)])
    pages = paginate("কর্মসূচি বাছুন", options, ScreenBudget(), BANGLA, NOTICES)
    assert len(pages) > 1
    assert all(page.footer == "৯৮ আরও" and page.has_more for page in pages[:-1])
    assert pages[-1].footer == "০ পিছে ০০ মেনু" and not pages[-1].has_more
    assert "\n".join(_bodies(pages)).split("\n") == [t.text for t in options]


def test_a_number_stays_with_the_words_beside_it():
    budget = ScreenBudget(ucs2_limit=40)
    text = "আপনার ভাতা এই মাসে অ্যাকাউন্ট ****১৭৩৩ নম্বরে পাঠানো হবে এবং পরিমাণ ৬০০ টাকা হবে"
    pages = paginate("", text_tokens(text), budget, BANGLA, NOTICES)
    assert len(pages) > 1
    joined = [page.body for page in pages]
    assert any("অ্যাকাউন্ট ****১৭৩৩" in body for body in joined)
    assert any("৬০০ টাকা" in body for body in joined)


def test_a_sentence_moves_whole_to_the_next_page_rather_than_being_cut():
    budget = ScreenBudget(ucs2_limit=72)
    first, second = "বয়স্ক ভাতা পাওয়া গেছে।", "পরের ভাতা আগামী মাসে আসবে, অপেক্ষা করুন।"
    pages = paginate("", text_tokens(f"{first} {second}"), budget, BANGLA, NOTICES)
    assert _bodies(pages) == [first, second]


def test_a_sentence_longer_than_a_page_is_cut_after_a_clause_not_inside_a_name():
    text = "যুক্ত হতে এনআইডি কার্ড ও মোবাইল নম্বর নিয়ে এই অফিসে যান: উপজেলা সমাজসেবা অফিস, সেখানে কর্মীরা দেখবেন।"
    pages = paginate("", text_tokens(text), ScreenBudget(), BANGLA, NOTICES)
    assert len(pages) > 1
    assert pages[0].body.endswith("যান:") and pages[1].body.startswith("উপজেলা সমাজসেবা অফিস")


def test_a_header_that_leaves_no_room_is_an_error_not_a_cut():
    with pytest.raises(ScreenTooLarge):
        paginate("x" * 170, text_tokens("one two"), ScreenBudget(), ENGLISH, Footer("Wrong key. 98 More", "Wrong key."))


def test_text_no_character_of_which_fits_is_an_error_not_an_endless_cut():
    # An ASCII-only gateway (bdapps) cannot show a Bangla letter at all; splitting the word
    # ever finer must end in an error, never loop. The alarm turns a loop into a failure.
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("paging did not end"))
    signal.alarm(20)
    try:
        with pytest.raises(ScreenTooLarge):
            paginate("", text_tokens("বয়স্ক ভাতা"), ScreenBudget(ascii_only=True), ENGLISH, NOTICES)
    finally:
        signal.alarm(0)


def test_a_word_longer_than_a_page_is_split_between_whole_characters():
    word = "ক্ষ" * 40  # 120 code units: no page holds it
    pages = paginate("", text_tokens(word), ScreenBudget(), BANGLA, NOTICES)
    assert "".join(_bodies(pages)) == word
    for body in _bodies(pages):
        assert not body.startswith("\u09cd") and not body.endswith("\u09cd")


# -- properties ---------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.?!।][)\"'’”]*$")
_CLAUSE_END = re.compile(r"[,;:.?!।][)\"'’”]*$")
_NUMERIC = re.compile(r"[0-9০-৯*]")

WORDS = st.one_of(
    st.sampled_from(
        [
            "বয়স্ক",
            "ভাতা",
            "৬০০",
            "টাকা,",
            "জমা",
            "হয়েছে।",
            "অ্যাকাউন্ট",
            "****১৭৩৩।",
            "Tk",
            "600,",
            "paid.",
            "৫",
            "নভেম্বর",
            "২০২৬।",
            "SAH-2026-000123",
            "কি?",
            "ক্ষমা",
        ]
    ),
    st.text(alphabet="অআকখগঘচছজটডতদনপবমরলসহািীুেোং্abcdefghij", min_size=1, max_size=14),
)
TEXTS = st.lists(WORDS, min_size=1, max_size=60).map(" ".join)
BUDGETS = st.builds(
    ScreenBudget,
    gsm7_limit=st.integers(min_value=90, max_value=182),
    ucs2_limit=st.integers(min_value=45, max_value=90),
)
FOOTERS = st.sampled_from([BANGLA, ENGLISH, Footer("৯৮ আরও", "")])
HEADERS = st.sampled_from(["", "আমার ভাতা", "Payments: choose"])


def _boundaries(pages):
    """(last word of a page, first word of the next, index of that word) for every cut."""
    words_so_far = 0
    cuts = []
    for page, following in itertools.pairwise(pages):
        words_so_far += len(page.body.split())
        if page.body and following.body:
            cuts.append((page.body.split()[-1], following.body.split()[0], words_so_far))
    return cuts


@settings(max_examples=300, deadline=None)
@given(header=HEADERS, text=TEXTS, budget=BUDGETS, footer=FOOTERS)
def test_pages_joined_are_exactly_the_text_and_each_fits(header, text, budget, footer):
    pages = paginate(header, text_tokens(text), budget, footer, NOTICES)
    assert " ".join(body for body in _bodies(pages) if body) == " ".join(text.split())
    for page in pages:
        assert budget.fits(page.text), page.text
        notice = NOTICES.more if page.has_more else NOTICES.last
        assert budget.fits(page.with_notice(notice)), page.with_notice(notice)
    assert [page.has_more for page in pages] == [True] * (len(pages) - 1) + [False]
    assert pages[0].header == header and all(page.header == "" for page in pages[1:])


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, budget=BUDGETS, footer=FOOTERS)
def test_no_cut_beside_a_number_or_inside_a_sentence_that_fits_a_page(text, budget, footer):
    words = text.split()
    if any(
        not (_fits_alone(word, budget, footer, False) and _fits_alone(word, budget, footer, True)) for word in words
    ):
        return  # a word longer than a page is cut inside; the example above covers it
    pages = paginate("", text_tokens(text), budget, footer, NOTICES)
    for before, after, index in _boundaries(pages):
        beside_number = bool(_NUMERIC.search(before) or _NUMERIC.search(after))
        if beside_number:
            # Only a phrase's closing punctuation ends a group with a number in it, or a
            # group longer than a page (every one of its words alone fits, so it was opened).
            assert _CLAUSE_END.search(before) or _group_too_long(words, index, budget, footer), (before, after)
        if not _SENTENCE_END.search(before):
            assert _sentence_too_long(words, index, budget, footer), (before, after, [p.body for p in pages])


def _fits_alone(text, budget, footer, last: bool) -> bool:
    """Whether ``text`` fits a page of its own, as a last page or not, and with the notice
    in place of the navigation line."""
    line = footer.last if last else footer.more
    notice = NOTICES.last if last else NOTICES.more
    forms = ["\n".join(p for p in (text, line) if p), f"{notice}\n{text}"]
    return all(budget.fits(form) for form in forms)


def _span(words, index, ends_here) -> tuple[int, int]:
    """The run of words around the cut before ``words[index]`` that ``ends_here`` bounds."""
    start = index
    while start > 0 and not ends_here(start):
        start -= 1
    end = index + 1
    while end < len(words) and not ends_here(end):
        end += 1
    return start, end


def _sentence_too_long(words, index, budget, footer) -> bool:
    start, end = _span(words, index, lambda i: bool(_SENTENCE_END.search(words[i - 1])))
    return not _fits_alone(" ".join(words[start:end]), budget, footer, last=end == len(words))


def _group_too_long(words, index, budget, footer) -> bool:
    def ends_here(i):
        before, word = words[i - 1], words[i]
        return not (_NUMERIC.search(before) or _NUMERIC.search(word)) or bool(_CLAUSE_END.search(before))

    start, end = _span(words, index, ends_here)
    group = " ".join(words[start:end])
    return not (_fits_alone(group, budget, footer, False) and _fits_alone(group, budget, footer, True))


@settings(max_examples=200, deadline=None)
@given(
    labels=st.lists(
        st.sampled_from(["বয়স্ক ভাতা", "বিধবা ভাতা", "Food Friendly", "কর্মসংস্থান (ইজিপিপি)"]), min_size=1, max_size=16
    ),
    budget=BUDGETS,
    footer=FOOTERS,
)
def test_menu_options_are_never_split_lost_or_repeated(labels, budget, footer):
    options = [f"{i} {label}" for i, label in enumerate(labels, 1)]
    try:
        pages = paginate("বাছুন", option_tokens(options), budget, footer, NOTICES)
    except ScreenTooLarge as error:
        assert not (_fits_alone(str(error), budget, footer, False) and _fits_alone(str(error), budget, footer, True))
        return
    assert [line for page in pages for line in page.body.split("\n") if line] == options
    assert all(budget.fits(page.text) for page in pages)
    assert all(budget.fits(page.with_notice(NOTICES.more if page.has_more else NOTICES.last)) for page in pages)
