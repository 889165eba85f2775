"""Packing a screen's text into pages that fit the gateway's budget.

A screen is a header, a list of items (options, or the words of a long text) and the
navigation lines. Items are never cut: a page takes as many whole items as fit, and
"98 More" leads to the next page. Text is split at spaces only, so a word (or a Bangla
conjunct) is never broken.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ussd_app.budget import ScreenBudget

MORE, BACK, HOME = "98", "0", "00"


@dataclass(frozen=True)
class NavLabels:
    more: str
    back: str
    home: str


@dataclass(frozen=True)
class Page:
    text: str
    has_more: bool


class ScreenTooLarge(Exception):
    """One indivisible item does not fit even on a page of its own: a content bug."""


def _footer(labels: NavLabels, more: bool, back: bool, home: bool) -> list[str]:
    parts = []
    if more:
        parts.append(f"{MORE} {labels.more}")
    if back:
        parts.append(f"{BACK} {labels.back}")
    if home:
        parts.append(f"{HOME} {labels.home}")
    return [" ".join(parts)] if parts else []


def paginate(
    header: str,
    items: Sequence[str],
    budget: ScreenBudget,
    labels: NavLabels,
    *,
    back: bool,
    home: bool,
    joiner: str = "\n",
) -> list[Page]:
    """Split into pages; the header goes on the first page only."""
    return list(_paginate(header, tuple(items), budget, labels, back, home, joiner))


# Most hops render a screen some earlier hop already packed (the main menu above all), and
# packing measures the text once per item tried: remember the recent results. The key is
# the whole text, so a cached page is exactly what packing would give again.
@functools.lru_cache(maxsize=2048)
def _paginate(
    header: str, items: tuple[str, ...], budget: ScreenBudget, labels: NavLabels, back: bool, home: bool, joiner: str
) -> tuple[Page, ...]:
    pages: list[Page] = []
    index = 0
    while True:
        lines = [header] if header and not pages else []
        body: list[str] = []
        start = index
        while index < len(items):
            candidate = [*body, items[index]]
            more_after = index + 1 < len(items)
            text = "\n".join([*lines, joiner.join(candidate), *_footer(labels, more_after, back, home)])
            if not budget.fits(text):
                break
            body = candidate
            index += 1
        if index == start and index < len(items):
            # Even alone the item does not fit with a "more" line: nothing sensible to send.
            raise ScreenTooLarge(items[index])
        has_more = index < len(items)
        text = "\n".join(line for line in [*lines, joiner.join(body), *_footer(labels, has_more, back, home)] if line)
        if not budget.fits(text):
            raise ScreenTooLarge(text)
        pages.append(Page(text, has_more))
        if not has_more:
            return tuple(pages)


LONGEST_WORD = 30  # code units; a longer "word" (a URL, a reference) is split


def words(text: str) -> list[str]:
    """Words to pack into pages; an over-long one is cut between whole characters."""
    result: list[str] = []
    for word in text.split():
        while len(word) > LONGEST_WORD:
            cut = LONGEST_WORD
            # Never separate a Bangla vowel sign or mark from its letter, nor cut after a
            # hasanta (্), which joins two letters into one conjunct.
            while cut > 1 and (unicodedata.category(word[cut])[0] == "M" or word[cut - 1] == "\u09cd"):
                cut -= 1
            result.append(word[:cut])
            word = word[cut:]
        result.append(word)
    return result
