"""Small charts drawn on the server as inline SVG: no script, no CDN, a few hundred bytes each.

Every figure a chart writes goes through the caller's ``shown``, which writes it as the page
writes numbers (Bengali digits on a Bangla page): a chart has no number format of its own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR_HEIGHT, GAP, LABEL_WIDTH, WIDTH = 18, 6, 210, 560
# The places a label may take in LABEL_WIDTH at 12 px: a common sans-serif gives a little over
# 6 px to a Latin letter or a Bangla one (SVG getComputedTextLength in Chromium).
LABEL_ROOM = 32
ELLIPSIS = "…"
VIRAMA = "\u09cd"  # hasanta: joins the next consonant, so a label never ends on it


def bars(
    rows: Sequence[tuple[str, float]], *, shown: Callable[[float], str], unit: str = "", title: str = ""
) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value. A label too long
    for its room is cut at a word and ends in "…"; the whole label is its tooltip."""
    if not rows:
        return Markup("")
    top = max(value for _, value in rows) or 1
    room = WIDTH - LABEL_WIDTH - 70
    height = len(rows) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-size="12"><title>{escape(title)}</title>'
    ]
    for n, (label, value) in enumerate(rows):
        y = n * (BAR_HEIGHT + GAP)
        length = max(1, round(room * value / top))
        whole = str(label)
        short = fitted(whole)
        tooltip = f"<title>{escape(whole)}</title>" if short != whole else ""
        parts.append(
            f'<text x="0" y="{y + 13}">{tooltip}{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="#2b6cb0"/>'
            f'<text x="{LABEL_WIDTH + length + 4}" y="{y + 13}">{escape(shown(value))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(rows: Sequence[tuple[str, int]], *, shown: Callable[[int], str], title: str = "") -> Markup:
    """Vertical columns over time (the weekly trend)."""
    if not rows:
        return Markup("")
    top = max(value for _, value in rows) or 1
    height, base, step = 160, 130, WIDTH // len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-size="10"><title>{escape(title)}</title>'
    ]
    for n, (label, value) in enumerate(rows):
        h = round(110 * value / top)
        x = n * step + 4
        parts.append(
            f'<rect x="{x}" y="{base - h}" width="{step - 8}" height="{h}" fill="#2b6cb0"/>'
            f'<text x="{x}" y="{base - h - 3}">{escape(shown(value))}</text>'
            f'<text x="{x}" y="{base + 14}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def fitted(label: str, room: int = LABEL_ROOM) -> str:
    """``label`` if it fits, else as many whole words as fit and "…". A single word too long is
    cut between letters, never after a hasanta or before a vowel sign, which would leave half
    a Bangla letter."""
    if _width(label) <= room:
        return label
    kept = ""
    for word in label.split(" "):
        longer = f"{kept} {word}" if kept else word
        if _width(longer) > room - 1:
            break
        kept = longer
    if not kept:  # one long word: as many letters as fit
        cut = 0
        while cut < len(label) and _width(label[: cut + 1]) <= room - 1:
            cut += 1
        while cut > 1 and (label[cut - 1] == VIRAMA or unicodedata.category(label[cut]).startswith("M")):
            cut -= 1
        kept = label[:cut]
    return kept.rstrip(" ,;:-") + ELLIPSIS


def _width(text: str) -> int:
    """Roughly how many places ``text`` takes: Bangla's non-spacing signs (nukta, hasanta,
    u-kar below) sit on the letter before them; vowel signs such as া take a place."""
    return sum(1 for char in text if unicodedata.category(char) != "Mn")
