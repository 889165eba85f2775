"""The USSD engine: one hop in, one screen out, the same for every gateway.

Gateways (ussd_app/gateways/) turn their dialect into ``Hop`` and the engine's ``Reply``
back into their dialect. The engine keeps the session in Redis, so any process can serve
any hop; it numbers options, pages long screens, handles 0 (back), 00 (main menu) and 98
(more) everywhere, counts invalid tries, answers a repeated hop with the same screen, and
offers to resume a session that dropped.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from registry.eligibility.engine import RuleBook, rulebook_opening
from registry.masking import mask_mobile
from registry.models import Citizen
from registry.services import caller_by_mobile
from sahayata.db import is_lost_connection
from sahayata.i18n import (
    ROMANIZED_BANGLA,
    format_number,
    is_ascii_number,
    to_ascii_digits,
    to_bengali_digits,
    translate,
)
from ussd_app.analytics import ScreenAnalytics
from ussd_app.budget import ScreenBudget
from ussd_app.redis_link import HopConnections, RedisLink
from ussd_app.render import BACK, HOME, MORE, NavLabels, Page, paginate, words
from ussd_app.screens import Finish, Go, Input, Invalid, Menu, Restore, Screen
from ussd_app.state import Frame, Reply, SessionState, SessionStore

log = logging.getLogger(__name__)

MAX_INVALID_TRIES = 3
HOME_SCREEN = "main"
RESUME_SCREEN = "resume"


@dataclass(frozen=True)
class GatewayConfig:
    name: str
    budget: ScreenBudget = field(default_factory=ScreenBudget)
    shared_secret: str | None = None
    allow_from: tuple[str, ...] = ()
    closed: bool = False  # production without a secret or an address list: every request 403

    @property
    def ascii_only(self) -> bool:
        return self.budget.ascii_only


@dataclass(frozen=True)
class HopDatabase:
    """How a hop reaches the database, opened only when a screen asks (most hops never do)."""

    session: Callable[[], Session]  # ORM, for screens that want models
    connection: Callable[[], Connection]  # Core, for the prepared selects on hot paths
    rollback: Callable[[], None]  # after a failed hop, of whichever of the two it opened


@dataclass(frozen=True)
class Hop:
    gateway: GatewayConfig
    session_id: str
    phone: str  # E.164
    text: str | None  # the caller's latest input; None on the first hop
    hop_key: str  # identifies this hop, so a retried request is recognised


def normalise_input(text: str | None) -> str:
    """Bengali digits are digits; spaces and a trailing # are keypad noise."""
    return to_ascii_digits((text or "").strip()).rstrip("#").strip()


def locale_for(language: str, gateway: GatewayConfig) -> str:
    return ROMANIZED_BANGLA if language == "bn" and gateway.ascii_only else language


class Context:
    """What a screen may use: the caller, the database, translations for the caller's locale."""

    def __init__(self, database: HopDatabase, state: SessionState, gateway: GatewayConfig, store: SessionStore) -> None:
        self.database = database
        self.state = state
        self.gateway = gateway
        self.store = store
        self.today = dt.date.today()
        self.events: list[tuple[str, str]] = []  # (screen, event) for analytics, saved with the state
        self._memo: dict[str, Any] = {}

    @property
    def db(self) -> Session:
        return self.database.session()

    @property
    def rulebook(self) -> RuleBook:
        """The cached rules (programme names too); the session opens only to refill the cache."""
        return rulebook_opening(lambda: self.db)

    @property
    def reads(self) -> Connection:
        """For the registry's prepared selects (registry.services)."""
        return self.database.connection()

    @property
    def locale(self) -> str:
        return self.state.locale

    @property
    def params(self) -> dict[str, Any]:
        return self.state.frame.params

    def _(self, message: str, **variables: object) -> str:
        return translate(self.locale, message, **variables)

    def number(self, value: int | Decimal) -> str:
        return format_number(value, "bn" if self.locale == "bn" else "en")

    def date(self, day: dt.date) -> str:
        return self.digits(day.strftime("%d/%m/%Y"))

    def cycle(self, cycle: str) -> str:
        year, month = cycle.split("-")
        return self.digits(f"{month}/{year}")

    def sentence(self, text: str) -> str:
        """End a sentence the way the script does: দাঁড়ি (।) in Bangla, a full stop otherwise."""
        return text + ("।" if self.locale == "bn" else ".")

    def digits(self, text: str) -> str:
        return to_bengali_digits(text) if self.locale == "bn" else text

    @property
    def transactional_db(self) -> Session:
        """For writes that must commit together (hops otherwise read on an autocommit session)."""
        from sahayata.db import db_session

        return db_session()

    @property
    def registered(self) -> bool:
        return self.state.citizen_id is not None

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per hop (a hop may both handle an input and render a screen)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @functools.cached_property
    def citizen(self) -> Citizen | None:
        return self.db.get(Citizen, self.state.citizen_id) if self.state.citizen_id else None

    def set_locale(self, language: str) -> None:
        self.state.locale = locale_for(language, self.gateway)


class Engine:
    def __init__(self, journeys: dict[str, Screen], store: SessionStore, analytics: ScreenAnalytics) -> None:
        self.journeys = journeys
        self.store = store
        self.analytics = analytics
        self.connections = HopConnections(store.redis)

    # -- one hop ------------------------------------------------------------------------
    def hop(self, database: HopDatabase, hop: Hop) -> Reply:
        for attempt in (1, 2):
            try:
                return self._hop(database, hop)
            except RedisError:
                log.warning("USSD hop for %s failed: Redis unavailable", mask_mobile(hop.phone))
                break
            except Exception as error:
                database.rollback()
                if attempt == 1 and is_lost_connection(error):
                    # The pooled connection died with a database restart; the pool has now
                    # dropped the old ones. Nothing was saved yet, so the hop can run again.
                    log.warning("USSD hop for %s lost its database connection; retrying", mask_mobile(hop.phone))
                    continue
                # A bug must not show the caller a gateway error page: log it, end politely.
                log.exception("USSD hop for %s failed", mask_mobile(hop.phone))
                break
        locale = locale_for("bn", hop.gateway)
        return Reply(translate(locale, "Service unavailable. Please try again later."), end=True)

    def _hop(self, database: HopDatabase, hop: Hop) -> Reply:
        with self.connections.link() as link:
            return self._hop_on(link, database, hop)

    def _hop_on(self, link: RedisLink, database: HopDatabase, hop: Hop) -> Reply:
        gateway = hop.gateway
        state, resume_point = self.store.load_with_resume_point(link, gateway.name, hop.session_id, hop.phone)
        if state is not None and state.phone != hop.phone:
            # Another phone under this session id: never the first caller's screens or
            # citizen, not even a retried reply. It starts afresh (and replaces the session).
            state = None
        if state is not None and state.last_hop == hop.hop_key and state.last_reply is not None:
            return state.last_reply  # the gateway retried: same screen, nothing advances
        if state is None:
            state = self._new_state(database, hop, resume_point)
            context = Context(database, state, gateway, self.store)
        else:
            context = Context(database, state, gateway, self.store)
            self._handle(context, normalise_input(hop.text))
        reply = state.last_reply if state.last_reply and state.last_reply.end else self._render(context)
        state.last_hop, state.last_reply = hop.hop_key, reply
        if not reply.end:
            context.events.append((state.frame.screen, "views"))
        # One round trip: the state, the resume point and the analytics counters together.
        link.round_trip(
            [
                *self.store.save_commands(gateway.name, hop.session_id, state, resume=self._resume_frames(state)),
                *self.analytics.commands(context.events),
            ]
        )
        return reply

    def _new_state(self, database: HopDatabase, hop: Hop, saved: list[Frame] | None) -> SessionState:
        caller = caller_by_mobile(database.connection(), hop.phone)
        state = SessionState(
            phone=hop.phone,
            locale=locale_for(caller.language if caller else "bn", hop.gateway),
            citizen_id=caller.citizen_id if caller else None,
            stack=[Frame(HOME_SCREEN)],
            # The saved point is taken now: this hop's save clears or replaces it.
            resume_saved=saved is not None,
        )
        if saved and len(saved) > 1:
            state.stack.append(Frame(RESUME_SCREEN, {"frames": [vars(f) for f in saved]}))
        return state

    @staticmethod
    def _resume_frames(state: SessionState) -> list[Frame] | None:
        """Where to resume if this session drops: mid-flow only, never the resume offer itself."""
        if (state.last_reply and state.last_reply.end) or len(state.stack) <= 1:
            return None
        if any(frame.screen == RESUME_SCREEN for frame in state.stack):
            return None
        return state.stack

    def session_ended(self, gateway: str, session_id: str, status: str) -> None:
        """A gateway says the session is over; a session that did not end on our END dropped."""
        try:
            state = self.store.load(gateway, session_id)
        except RedisError:
            return
        if state is not None and not (state.last_reply and state.last_reply.end):
            event = "timeouts" if status.lower() in ("timeout", "timedout") else "dropoffs"
            self.analytics.count([(state.frame.screen, event)])

    def hang_up(self, gateway: str, session_id: str) -> None:
        """The caller ended the session on purpose (the simulator's hang-up, a gateway's
        "cancelled by user"): counted as a drop-off, and no resume offer on the next dial,
        since a caller who hung up meant to stop."""
        try:
            state = self.store.load(gateway, session_id)
            if state is None:
                return
            if not (state.last_reply and state.last_reply.end):
                self.analytics.count([(state.frame.screen, "dropoffs")])
            self.store.forget(gateway, session_id, state.phone)
        except RedisError:
            log.warning("USSD hang-up for %s not recorded: Redis unavailable", "a caller")

    # -- input --------------------------------------------------------------------------
    def _handle(self, context: Context, text: str) -> None:
        state = context.state
        frame = state.frame
        state.notice = None
        if text == HOME:
            state.stack = [Frame(HOME_SCREEN)]
            state.invalid = 0
            return
        if text == BACK:
            if frame.page > 0:
                frame.page -= 1
            elif len(state.stack) > 1:
                state.stack.pop()
            else:
                self._invalid(context, context._("Choose a number from the list."))
                return
            state.invalid = 0
            return
        if text == MORE:
            if frame.page + 1 < len(self._pages(context)):
                frame.page += 1
                state.invalid = 0
            else:
                self._invalid(context, context._("No more pages."))
            return
        screen = self.journeys[frame.screen]
        if isinstance(screen, Menu):
            options = screen.options(context)
            if not is_ascii_number(text) or not 1 <= int(text) <= len(options):
                self._invalid(context, context._("Choose a number from the list."))
                return
            action = options[int(text) - 1].action
            action = action(context) if callable(action) else action
        elif isinstance(screen, Input):
            action = screen.accept(context, text)
        else:
            action = Invalid(context._("Choose a number from the list."))
        self._apply(context, action)

    def _apply(self, context: Context, action: Any) -> None:
        state = context.state
        if isinstance(action, Invalid):
            self._invalid(context, action.reason)
            return
        state.invalid = 0
        if isinstance(action, Go):
            if action.replace:
                state.stack.pop()
            state.stack.append(Frame(action.screen, dict(action.params)))
        elif isinstance(action, Restore):
            state.stack = [Frame(**f) if isinstance(f, dict) else f for f in action.frames]
        elif isinstance(action, Finish):
            state.last_reply = Reply(action.text, end=True)

    def _invalid(self, context: Context, reason: str) -> None:
        state = context.state
        state.invalid += 1
        context.events.append((state.frame.screen, "invalid"))
        if state.invalid >= MAX_INVALID_TRIES:
            state.last_reply = Reply(context._("Too many wrong entries. Please dial again."), end=True)
        else:
            state.notice = reason

    # -- output -------------------------------------------------------------------------
    def _labels(self, context: Context) -> NavLabels:
        return NavLabels(more=context._("More"), back=context._("Back"), home=context._("Menu"))

    def _pages(self, context: Context) -> list[Page]:
        state = context.state
        screen = self.journeys[state.frame.screen]
        deep = len(state.stack) > 1
        if isinstance(screen, Menu):
            options = screen.options(context)
            header, items, joiner = screen.title(context), [f"{i} {o.label}" for i, o in enumerate(options, 1)], "\n"
        elif isinstance(screen, Input):
            header, items, joiner = screen.prompt(context), [], "\n"
        else:
            header, items, joiner = "", words(screen.text(context)), " "
        if state.notice:
            # A re-prompt shows the reason instead of a menu's title (both rarely fit in 80
            # units beside the options); an input keeps its prompt under the reason.
            header = f"{state.notice}\n{header}" if isinstance(screen, Input) else state.notice
        return paginate(
            header, items, context.gateway.budget, self._labels(context), back=deep, home=deep, joiner=joiner
        )

    def _render(self, context: Context) -> Reply:
        pages = self._pages(context)
        frame = context.state.frame
        frame.page = min(frame.page, len(pages) - 1)
        return Reply(pages[frame.page].text, end=False)

    def render_all_pages(self, context: Context) -> list[Page]:
        """Every page of the current screen (for the budget test and the simulator)."""
        return self._pages(context)
