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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from foundation.db import is_lost_connection
from foundation.i18n import display_locale, is_ascii_number, to_ascii_digits, translate
from foundation.masking import mask_mobile
from foundation.metrics import HopMetrics
from foundation.wording import Wording, wording
from registry.eligibility.engine import RuleBook, rulebook_opening
from registry.services import Dialler, dialler_by_mobile
from ussd_app.analytics import ScreenAnalytics
from ussd_app.budget import ScreenBudget
from ussd_app.render import BACK, HOME, MORE, Footer, Page, paginate_options, paginate_text
from ussd_app.screens import Finish, Go, Info, Input, Invalid, Menu, Restore, Screen
from ussd_app.state import Frame, Reply, SessionState, SessionStore, StoredHop

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
class NavLabels:
    """The navigation keys as the caller reads them ("৯৮ আরও" in Bangla)."""

    more: str
    back_home: str

    @classmethod
    def of(cls, context: Context) -> NavLabels:
        return _nav_labels(context.locale)


@functools.lru_cache(maxsize=8)
def _nav_labels(locale: str) -> NavLabels:
    w = wording(locale)
    more, back, home = w._("More"), w._("Back"), w._("Menu")
    return NavLabels(f"{w.digits(MORE)} {more}", f"{w.digits(BACK)} {back} {w.digits(HOME)} {home}")


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
    return display_locale(language, ascii_only=gateway.ascii_only)


@functools.lru_cache(maxsize=1024)  # a menu's lines recur for every caller who sees that menu
def _numbered(locale: str, labels: tuple[str, ...]) -> tuple[str, ...]:
    """A menu's options as its lines: "১ সব প্রোগ্রাম", the keys in the caller's digits."""
    digits = wording(locale).digits
    return tuple(f"{digits(str(number))} {label}" for number, label in enumerate(labels, 1))


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
        self._rulebook: RuleBook | None = None

    @property
    def db(self) -> Session:
        return self.database.session()

    @property
    def rulebook(self) -> RuleBook:
        """The cached rules (programme names too); the session opens only to refill the cache.
        Taken once a hop: a menu of programmes asks for it once per name."""
        if self._rulebook is None:
            self._rulebook = rulebook_opening(lambda: self.db)
        return self._rulebook

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

    @property
    def wording(self) -> Wording:
        """Text in the caller's locale: translations, digits, money, months and days."""
        return wording(self.locale)

    def _(self, message: str, **variables: object) -> str:
        return translate(self.locale, message, **variables)

    def number(self, value: int | Decimal) -> str:
        return self.wording.number(value)

    def date(self, day: dt.date, short: bool = False) -> str:
        """ "৫ নভেম্বর ২০২৬": the month by name, digits in the caller's script."""
        return self.wording.day(day, short)

    def cycle(self, cycle: str) -> str:
        """A payment cycle ("2026-11") as "নভেম্বর ২০২৬"."""
        return self.wording.cycle(cycle)

    def sentence(self, text: str) -> str:
        return self.wording.sentence(text)

    def digits(self, text: str) -> str:
        return self.wording.digits(text)

    @property
    def transactional_db(self) -> Session:
        """For writes that must commit together (hops otherwise read on an autocommit session)."""
        from foundation.db import db_session

        return db_session()

    @property
    def registered(self) -> bool:
        return self.state.citizen_id is not None

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per hop (a hop may both handle an input and render a screen)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def kept(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once a session and keep it in the session (a JSON value): for facts that
        several screens need and that do not change in a 3-minute session."""
        if key not in self.state.kept:
            self.state.kept[key] = compute()
        return self.state.kept[key]

    def set_locale(self, language: str) -> None:
        self.state.locale = locale_for(language, self.gateway)


class Engine:
    def __init__(
        self,
        journeys: dict[str, Screen],
        store: SessionStore,
        analytics: ScreenAnalytics,
        opening: Callable[[Context, Dialler], None] | None = None,
        metrics: HopMetrics | None = None,
    ) -> None:
        self.journeys = journeys
        self.store = store
        self.analytics = analytics
        self.metrics = metrics or HopMetrics()
        # Called on a session's first hop with what the dial's look-up found: journeys may
        # choose the first screen (an outlet's menu, a redemption awaiting the caller).
        self.opening = opening

    # -- one hop ------------------------------------------------------------------------
    def hop(self, database: HopDatabase, hop: Hop) -> Reply:
        started = time.perf_counter()
        reply = self._answer(database, hop)
        self.metrics.latency(hop.gateway.name, time.perf_counter() - started)
        return reply

    def _answer(self, database: HopDatabase, hop: Hop) -> Reply:
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
        self.metrics.hop(hop.gateway.name, "unavailable")
        self.metrics.session_ended(hop.gateway.name, "unavailable")
        locale = locale_for("bn", hop.gateway)
        return Reply(translate(locale, "Service unavailable. Please try again later."), end=True)

    def _hop(self, database: HopDatabase, hop: Hop) -> Reply:
        with self.store.hop(hop.gateway.name, hop.session_id, hop.phone) as stored:
            return self._hop_on(stored, database, hop)

    def _hop_on(self, stored: StoredHop, database: HopDatabase, hop: Hop) -> Reply:
        gateway = hop.gateway
        state, resume_point = stored.state, stored.resume_point
        if state is not None and state.phone != hop.phone:
            # Another phone under this session id: never the first caller's screens or
            # citizen, not even a retried reply. It starts afresh (and replaces the session).
            state = None
        if state is not None and state.last_hop == hop.hop_key and state.last_reply is not None:
            self.metrics.hop(gateway.name, state.frame.screen)
            return state.last_reply  # the gateway retried: same screen, nothing advances
        ended_before = state is not None and state.last_reply is not None and state.last_reply.end
        if state is None:
            dialler = dialler_by_mobile(database.connection(), hop.phone)
            state = self._new_state(dialler, hop, resume_point)
            context = Context(database, state, gateway, self.store)
            context.events.append((HOME_SCREEN, "dialled"))  # a session's first hop: the funnels' start
            if self.opening is not None:
                self.opening(context, dialler)
        else:
            context = Context(database, state, gateway, self.store)
            self._handle(context, normalise_input(hop.text))
        reply = state.last_reply if state.last_reply and state.last_reply.end else self._render(context)
        state.last_hop, state.last_reply = hop.hop_key, reply
        if not reply.end:
            context.events.append((state.frame.screen, "views"))
        # One write: the state, the resume point and the analytics counters together.
        stored.save(state, resume=self._resume_frames(state), also=self.analytics.commands(context.events))
        self.metrics.hop(gateway.name, state.frame.screen)
        if reply.end and not ended_before:
            reason = "wrong_keys" if state.invalid >= MAX_INVALID_TRIES else "answered"
            self.metrics.session_ended(gateway.name, reason)
        return reply

    def _new_state(self, dialler: Dialler, hop: Hop, saved: list[Frame] | None) -> SessionState:
        caller = dialler.caller
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
            with self.store.hop(gateway, session_id) as stored:
                state = stored.state
                if state is not None and not (state.last_reply and state.last_reply.end):
                    event = "timeouts" if status.lower() in ("timeout", "timedout") else "dropoffs"
                    stored.write(self.analytics.commands([(state.frame.screen, event)]))
                    self.metrics.session_ended(gateway, "timeout" if event == "timeouts" else "dropped")
        except RedisError:
            return

    def hang_up(self, gateway: str, session_id: str) -> None:
        """The caller ended the session on purpose (the simulator's hang-up, a gateway's
        "cancelled by user"): counted as a drop-off, and no resume offer on the next dial,
        since a caller who hung up meant to stop."""
        try:
            with self.store.hop(gateway, session_id) as stored:
                state = stored.state
                if state is None:
                    return
                dropped = not (state.last_reply and state.last_reply.end)
                stored.forget(also=self.analytics.commands([(state.frame.screen, "dropoffs")] if dropped else []))
                if dropped:
                    self.metrics.session_ended(gateway, "hung_up")
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
            # On the last page "98" shows that page again: nothing was wrong with pressing it.
            frame.page = min(frame.page + 1, len(self._current_pages(context)) - 1)
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
            action = Invalid(self._info_keys(context))
        self._apply(context, action)

    def _info_keys(self, context: Context) -> str:
        """What works on an information screen, said when another key was pressed."""
        labels, wrong = self._labels(context), context._("Wrong key.")
        if self._current_pages(context)[context.state.frame.page].has_more:
            return f"{wrong} {labels.more} {labels.back_home}"
        return f"{wrong} {labels.back_home}"

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
            context.events.append((state.frame.screen, "finished"))

    def _invalid(self, context: Context, reason: str) -> None:
        state = context.state
        state.invalid += 1
        context.events.append((state.frame.screen, "invalid"))
        if state.invalid >= MAX_INVALID_TRIES:
            state.last_reply = Reply(context._("Too many wrong entries. Please dial again."), end=True)
        else:
            state.notice = reason

    # -- output -------------------------------------------------------------------------
    def _current_pages(self, context: Context) -> list[Page]:
        """The current screen's pages: cut when the screen is first shown, then kept."""
        frame = context.state.frame
        if frame.pages is None:
            pages = self._cut(context)
            frame.pages = [page.as_list() for page in pages]
            context.events.append((frame.screen, "reached"))  # once per arrival, whatever pages follow
            return list(pages)
        return [Page(*page) for page in frame.pages]

    def _cut(self, context: Context) -> tuple[Page, ...]:
        state = context.state
        screen = self.journeys[state.frame.screen]
        if isinstance(screen, Menu):
            header = screen.title(context)
            lines = _numbered(context.locale, tuple(option.label for option in screen.options(context)))
            cut = functools.partial(paginate_options, header, lines)
        elif isinstance(screen, Input):
            cut = functools.partial(paginate_options, screen.prompt(context), ())
        else:
            cut = functools.partial(paginate_text, "", screen.text(context))
        budget, notices = context.gateway.budget, self._short_notices(context, screen)
        footer = self._footer(context, screen)
        pages = cut(budget, footer, notices)
        if footer.last and not isinstance(screen, Info):
            # Teaching "0 Back 00 Menu" may not cost the caller a page: a long list is left
            # to the next screen that has the room.
            untaught = cut(budget, Footer(footer.more, ""), notices)
            if len(untaught) < len(pages):
                context.state.taught = False
                return untaught
        return pages

    def _labels(self, context: Context) -> NavLabels:
        return NavLabels.of(context)

    def _footer(self, context: Context, screen: Screen) -> Footer:
        """The navigation line. "98" only where a next page exists. "0 Back 00 Menu" where
        the caller must choose a way on (the end of a text) and on the first menu or prompt
        below the main menu that has room for it, where it is taught; after that the keys
        work without the words, which go to the answer instead."""
        labels = self._labels(context)
        state = context.state
        if len(state.stack) <= 1 or not screen.navigation:
            return Footer(labels.more, "")
        if isinstance(screen, Info):
            return Footer(labels.more, labels.back_home)
        if state.taught:
            return Footer(labels.more, "")
        state.taught = True
        return Footer(labels.more, labels.back_home)

    def _short_notices(self, context: Context, screen: Screen) -> Footer:
        """The shortest wrong-key notices (for a page with a next page, and for the last),
        for which every page keeps room. They stand in the navigation line's place, so an
        information screen's carry its keys."""
        labels, wrong = self._labels(context), context._("Wrong key.")
        if isinstance(screen, Info) and len(context.state.stack) > 1:
            return Footer(f"{wrong} {labels.more}", f"{wrong} {labels.back_home}")
        # A menu's options say what to press; "98 More" joins the notice where it fits.
        return Footer(wrong, wrong)

    def _render(self, context: Context) -> Reply:
        pages = self._current_pages(context)
        frame = context.state.frame
        frame.page = min(frame.page, len(pages) - 1)
        page = pages[frame.page]
        notice = context.state.notice
        if not notice:
            return Reply(page.text, end=False)
        notices = self._short_notices(context, self.journeys[frame.screen])
        shortest = notices.more if page.has_more else notices.last
        more = self._labels(context).more if page.has_more else ""
        # The reason and "98 More" if they fit, else the short notice with "98 More", else
        # the short notice alone (which every page keeps room for).
        candidates = [notice, shortest]
        if more:
            candidates = [f"{notice} {more}", f"{shortest} {more}" if more not in shortest else shortest, shortest]
        for candidate in candidates:
            text = page.with_notice(candidate)
            if context.gateway.budget.fits(text):
                return Reply(text, end=False)
        return Reply(page.with_notice(shortest), end=False)  # the cut kept room for it

    def render_all_pages(self, context: Context) -> list[Page]:
        """Every page of the current screen (for the budget test and the simulator)."""
        return self._current_pages(context)
