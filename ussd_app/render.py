"""Cutting a screen into pages that fit the gateway's budget: a pure function.

A screen is a header (a menu's title or an input's prompt, first page only), a body of
tokens (a menu's options, or the word groups of a text) and a navigation footer. A page
takes as many whole tokens as fit; "98" leads to the next page and is shown only where one
exists.

What a page may never do:
- cut inside a token: a menu option, a word, or a number together with the words beside it
  ("Tk 600", "৬০০ টাকা", "অ্যাকাউন্ট ****১৭৩৩", "৫ নভেম্বর ২০২৬", a tracking number);
- cut inside a sentence, unless that sentence alone is longer than a page;
- lose or repeat anything: the pages' bodies, joined, are the text.

Every page must also fit with a wrong-key notice in place of its header and footer (the
engine shows the same page again with the notice, which says the keys itself), so the
shortest notices are part of the cut: one for a page with a next page, one for the last.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ussd_app.budget import EMPTY, NEWLINE, ScreenBudget, Size, size_of

MORE, BACK, HOME = "98", "0", "00"


@dataclass(frozen=True)
class Token:
    text: str
    joiner: str = " "  # what joins it to the token before it on the same page
    breakable: bool = True  # a page may end just before this token
    sentence_start: bool = True  # ...and preferably does so here
    divisible: bool = True  # False: shown whole or not at all (a menu option)
    clause_start: bool = False  # after "," ";" or ":": the next best place inside a sentence


@dataclass(frozen=True)
class Footer:
    """The navigation line: ``more`` on a page with a next page, ``last`` on the last page
    (either may be empty: a line is shown only when it says something)."""

    more: str
    last: str


@dataclass(frozen=True)
class Page:
    header: str
    body: str
    footer: str
    has_more: bool

    @property
    def text(self) -> str:
        return _lines(self.header, self.body, self.footer)

    def with_notice(self, notice: str) -> str:
        """The same page again after a wrong key: the notice stands where the header and the
        navigation line were (it says the keys itself)."""
        return _lines(notice, self.body)

    def as_list(self) -> list:
        return [self.header, self.body, self.footer, self.has_more]


class ScreenTooLarge(Exception):
    """The header and footer alone leave no room: a content bug."""


def _lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def paginate(
    header: str, tokens: Sequence[Token], budget: ScreenBudget, footer: Footer, notices: Footer | None = None
) -> tuple[Page, ...]:
    """Cut into pages; each fits with its header, and with its notice (``notices.more`` on a
    page with a next page, ``notices.last`` on the last) in the header's place."""
    return _paginate(header, tuple(tokens), budget, footer, notices or Footer("", ""))


# Pages are cut once per screen state and kept in the session, but many sessions see the
# same screens (the main menu above all): remember recent cuts, keyed by the screen's own
# strings (whose hashes Python keeps; a tuple of tokens would be hashed afresh each time).
# The key is the whole input, so a remembered cut is exactly what cutting would give again.
@functools.lru_cache(maxsize=2048)
def paginate_text(header: str, text: str, budget: ScreenBudget, footer: Footer, notices: Footer) -> tuple[Page, ...]:
    """A text's pages (an information screen)."""
    return _paginate(header, text_tokens(text), budget, footer, notices)


@functools.lru_cache(maxsize=2048)
def paginate_options(
    header: str, options: tuple[str, ...], budget: ScreenBudget, footer: Footer, notices: Footer
) -> tuple[Page, ...]:
    """A menu's pages: its title, then its numbered options."""
    return _paginate(header, option_tokens(options), budget, footer, notices)


def _paginate(
    header: str, tokens: tuple[Token, ...], budget: ScreenBudget, footer: Footer, notices: Footer
) -> tuple[Page, ...]:
    tokens = _fitting(tokens, budget, footer, notices)
    count = len(tokens)
    bodies = _BodySizes(tokens)
    header_size = size_of(header)
    footer_more, footer_last = size_of(footer.more), size_of(footer.last)
    notice_more, notice_last = size_of(notices.more), size_of(notices.last)

    def body(start: int, end: int) -> str:
        parts = [tokens[start].text] if end > start else []
        parts += [tokens[i].joiner + tokens[i].text for i in range(start + 1, end)]
        return "".join(parts)

    def page(first: bool, start: int, end: int) -> Page:
        more = end < count
        return Page(header if first else "", body(start, end), footer.more if more else footer.last, more)

    def fits(first: bool, start: int, end: int) -> bool:
        """Whether page(first, start, end) fits, and fits with its notice: counted from the
        parts' sizes, not by building and measuring the page."""
        more = end < count
        size = bodies.of(start, end)
        return _lines_fit(budget, header_size if first else EMPTY, size, footer_more if more else footer_last) and (
            _lines_fit(budget, notice_more if more else notice_last, size)
        )

    pages: list[Page] = []
    start = 0
    while True:
        first = not pages
        if fits(first, start, count):
            pages.append(page(first, start, count))
            return tuple(pages)
        end, sentence, clause = _furthest_cut(tokens, start, functools.partial(fits, first, start))
        if end is None:
            if first and start == 0 and fits(True, 0, 0):
                pages.append(page(True, 0, 0))  # a header that leaves no room: it stands alone
                continue
            raise ScreenTooLarge(header or tokens[start].text)
        if not tokens[end].sentence_start:
            end = _inside_a_sentence(tokens, start, end, sentence, clause, lambda a, b: fits(False, a, b))
        pages.append(page(first, start, end))
        start = end


def _lines_fit(budget: ScreenBudget, *parts: Size) -> bool:
    """Whether the lines of these sizes, the empty ones left out (as ``_lines`` does), fit."""
    septets = foreign = units = non_ascii = 0
    lines = 0
    for part in parts:
        if part.units:  # an empty text is the only one of no code units
            lines += 1
            septets += part.septets
            foreign += part.foreign
            units += part.units
            non_ascii += part.non_ascii
    if lines > 1:
        septets += (lines - 1) * NEWLINE.septets
        units += (lines - 1) * NEWLINE.units
    return budget.fits_size(septets, foreign, units, non_ascii)


class _BodySizes:
    """The size of any run of tokens as a page's body, from running totals."""

    __slots__ = ("_foreign", "_joiners", "_non_ascii", "_septets", "_units")

    def __init__(self, tokens: Sequence[Token]) -> None:
        septets, foreign, units, non_ascii = [0], [0], [0], [0]
        self._joiners = []
        for token in tokens:
            joiner, text = size_of(token.joiner), size_of(token.text)
            self._joiners.append(joiner)
            septets.append(septets[-1] + joiner.septets + text.septets)
            foreign.append(foreign[-1] + joiner.foreign + text.foreign)
            units.append(units[-1] + joiner.units + text.units)
            non_ascii.append(non_ascii[-1] + joiner.non_ascii + text.non_ascii)
        self._septets, self._foreign, self._units, self._non_ascii = septets, foreign, units, non_ascii

    def of(self, start: int, end: int) -> Size:
        """tokens[start].text + the joiner and text of each token up to ``end`` (excluded)."""
        if end <= start:
            return EMPTY
        joiner = self._joiners[start]  # the first token's joiner is not part of the page
        return Size(
            self._septets[end] - self._septets[start] - joiner.septets,
            self._foreign[end] - self._foreign[start] - joiner.foreign,
            self._units[end] - self._units[start] - joiner.units,
            self._non_ascii[end] - self._non_ascii[start] - joiner.non_ascii,
        )


STUB = 3  # words: fewer of a long sentence at a page's end read as a dangling label ("কারণ:")


def _inside_a_sentence(tokens, start: int, end: int, sentence: int | None, clause: int | None, fits_alone) -> int:
    """Where to end a page whose furthest cut falls inside a sentence: before that sentence
    if it fits a page of its own, or if only a stub of it would stay on this page; else
    after its last clause ("যান: | উপজেলা সমাজসেবা অফিস") that leaves more than a stub; else
    at the furthest cut."""
    begins = sentence if sentence is not None and sentence > start else start
    if begins > start:
        sentence_end = next((i for i in range(begins + 1, len(tokens)) if tokens[i].sentence_start), len(tokens))
        if fits_alone(begins, sentence_end) or end - begins < STUB:
            return begins
    if clause is not None and clause - begins >= STUB:
        return clause
    return end


def _furthest_cut(tokens: tuple[Token, ...], start: int, fits) -> tuple[int | None, int | None, int | None]:
    """The furthest allowed page end after ``start`` that fits (None if none does), and the
    furthest sentence start and clause start up to it."""
    # A page only grows with its end (more characters, or a switch to the stricter UCS-2
    # limit), so what fits is a prefix: found by bisection, a long text's pages are cut in
    # a logarithmic number of trial pages rather than one per token.
    fitting, too_far = start, len(tokens)
    while too_far - fitting > 1:
        middle = (fitting + too_far) // 2
        if fits(middle):
            fitting = middle
        else:
            too_far = middle
    best = sentence = clause = None
    for end in range(start + 1, fitting + 1):
        if tokens[end].breakable:
            best = end
            if tokens[end].sentence_start:
                sentence = end
            if tokens[end].clause_start:
                clause = end
    return best, sentence, clause


def _fitting(tokens: tuple[Token, ...], budget: ScreenBudget, footer: Footer, notices: Footer) -> tuple[Token, ...]:
    """Tokens such that every group between two allowed cuts fits on a page of its own: a
    group too long for that is opened up between its words, and a word too long (no real
    word is) between its characters."""
    room = _Room(budget, footer, notices)
    groups: list[list[Token]] = []
    for token in tokens:
        if token.breakable or not groups:
            groups.append([token])
        else:
            groups[-1].append(token)
    result: list[Token] = []
    for group in groups:
        size = size_of(group[0].text)
        for token in group[1:]:
            size = size.plus(size_of(token.joiner)).plus(size_of(token.text))
        if room.size(size):
            result += group
            continue
        for i, token in enumerate(group):
            if not token.divisible and not room(token.text):
                raise ScreenTooLarge(token.text)
            opened = Token(
                token.text, token.joiner, True, token.sentence_start and i == 0, token.divisible, token.clause_start
            )
            result += _split_word(opened, room)
    return tuple(result)


class _Room:
    """Whether a text fits a page alone: with either navigation line below it, and with
    either notice above it."""

    __slots__ = ("_budget", "_lines", "_surely")

    def __init__(self, budget: ScreenBudget, footer: Footer, notices: Footer) -> None:
        self._budget = budget
        self._lines = tuple(size_of(line) for line in (footer.more, footer.last, notices.more, notices.last))
        # Most groups are a few words: a text this short fits beside the widest line under the
        # stricter of the two counts, whatever its characters, without checking each line.
        widest = max(max(line.septets, line.units) for line in self._lines) + NEWLINE.units
        lines_ascii = not any(line.non_ascii for line in self._lines)
        strictest = min(budget.gsm7_limit, budget.ucs2_limit)
        self._surely = strictest - widest if lines_ascii or not budget.ascii_only else -1

    def __call__(self, text: str) -> bool:
        return self.size(size_of(text))

    def size(self, size: Size) -> bool:
        if (
            size.septets <= self._surely
            and size.units <= self._surely
            and not (size.non_ascii and self._budget.ascii_only)
        ):
            return True
        return all(_lines_fit(self._budget, size, line) for line in self._lines)


def _split_word(token: Token, room) -> list[Token]:
    if room(token.text):
        return [token]
    pieces: list[Token] = []
    word, joiner, sentence_start = token.text, token.joiner, token.sentence_start
    while word and not room(word):
        cut = len(word) - 1
        while cut > 1 and not room(word[:cut]):
            cut -= 1
        # Never separate a Bangla vowel sign or mark from its letter, nor cut after a
        # hasanta (্), which joins two letters into one conjunct.
        while cut > 1 and (unicodedata.category(word[cut])[0] == "M" or word[cut - 1] == "\u09cd"):
            cut -= 1
        if cut < 1 or not room(word[:cut]):
            raise ScreenTooLarge(token.text)  # not even one whole character fits a page
        pieces.append(Token(word[:cut], joiner, True, sentence_start))
        word, joiner, sentence_start = word[cut:], "", False
    if word:
        pieces.append(Token(word, joiner, True, sentence_start))
    return pieces


# -- a text as tokens ---------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.?!।][)\"'’”]*$")
_CLAUSE_END = re.compile(r"[,;:.?!।][)\"'’”]*$")
_NUMERIC = re.compile(r"[0-9০-৯*]")


def text_tokens(text: str) -> tuple[Token, ...]:
    """The words of a text, as tokens that keep a number with the words around it (an
    amount with its currency, a date's parts, a masked account with its label) and mark
    where sentences start."""
    return _text_tokens(text)


@functools.lru_cache(maxsize=4096)
def _text_tokens(text: str) -> tuple[Token, ...]:
    words = text.split()
    tokens: list[Token] = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        sentence_start = i == 0 or bool(_SENTENCE_END.search(before))
        # No cut next to a number, except after the punctuation that closes its phrase.
        numeric = bool(_NUMERIC.search(before) or _NUMERIC.search(word))
        bound = bool(before) and numeric and not _CLAUSE_END.search(before)
        clause_start = bool(before) and bool(_CLAUSE_END.search(before)) and not sentence_start
        tokens.append(
            Token(
                word, " ", breakable=not bound, sentence_start=sentence_start and not bound, clause_start=clause_start
            )
        )
    return tuple(tokens)


def option_tokens(lines: Sequence[str]) -> tuple[Token, ...]:
    """A menu's numbered options, one per line; a page may end after any of them."""
    return tuple(Token(line, "\n", divisible=False) for line in lines)
