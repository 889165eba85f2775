"""Small charts drawn on the server as inline SVG: no script, no CDN, a few hundred bytes each."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR_HEIGHT, GAP, LABEL_WIDTH, WIDTH = 18, 6, 170, 560


def bars(
    rows: Sequence[tuple[str, float]], unit: str = "", title: str = "", shown: Callable[[float], str] | None = None
) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value; ``shown`` writes a
    value in the page's digits (Bengali ones on a Bangla page)."""
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
        text = shown(value) if shown else f"{value:.1f}" if isinstance(value, float) else f"{value:,}"
        parts.append(
            f'<text x="0" y="{y + 13}">{escape(str(label)[:28])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="#2b6cb0"/>'
            f'<text x="{LABEL_WIDTH + length + 4}" y="{y + 13}">{escape(text)}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(rows: Sequence[tuple[str, int]], title: str = "", shown: Callable[[int], str] = str) -> Markup:
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
