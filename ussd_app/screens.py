"""The kinds of USSD screen a journey is made of: menus, inputs and information.

A journey is a dictionary of screen id -> screen (ussd_app/journeys.py). Screens only
describe: what to show, and what an input leads to. Numbering, paging, back/main-menu,
invalid tries and replays are the engine's job, the same for every screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ussd_app.engine import Context


# -- what an input leads to ---------------------------------------------------------------
@dataclass(frozen=True)
class Go:
    screen: str
    params: dict[str, Any] = field(default_factory=dict)
    replace: bool = False  # replace the current screen instead of stacking on it


@dataclass(frozen=True)
class Invalid:
    reason: str


@dataclass(frozen=True)
class Finish:
    text: str


@dataclass(frozen=True)
class Restore:
    """Put back a saved stack of frames (resuming a dropped session)."""

    frames: list[Any]


Action = Go | Invalid | Finish | Restore


# -- screens ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    label: str
    action: Action | Callable[[Context], Action]


@dataclass(frozen=True)
class Menu:
    """Numbered options; long lists page with "98 More"."""

    title: Callable[[Context], str]
    options: Callable[[Context], list[Option]]
    navigation: bool = True  # False: no back/menu hint (the resume offer is its own way back)


@dataclass(frozen=True)
class Input:
    """Free input such as an NID; ``accept`` validates it and says where to go."""

    prompt: Callable[[Context], str]
    accept: Callable[[Context, str], Action]
    navigation: bool = True


@dataclass(frozen=True)
class Info:
    """Read-only text, paged at word boundaries."""

    text: Callable[[Context], str]
    navigation: bool = True


Screen = Menu | Input | Info
