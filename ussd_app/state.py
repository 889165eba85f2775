"""USSD session state, kept in Redis so any web process can serve the next hop."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis import Redis

from foundation.redis_link import Link, Links, hop_links
from foundation.screen_counts import Command


@dataclass
class Frame:
    screen: str
    params: dict[str, Any] = field(default_factory=dict)
    page: int = 0
    # The screen's pages as first shown ([header, body, footer, has_more] each): cut once,
    # so "98", "0" and a wrong key move through the same pages whatever happens meanwhile.
    pages: list[list[Any]] | None = None


def frame_dict(frame: Frame) -> dict[str, Any]:
    # Written out rather than dataclasses.asdict, which deep-copies: this runs every hop.
    return {"screen": frame.screen, "params": frame.params, "page": frame.page, "pages": frame.pages}


@dataclass
class Reply:
    text: str
    end: bool


@dataclass
class SessionState:
    phone: str
    locale: str
    citizen_id: int | None
    stack: list[Frame]
    invalid: int = 0
    notice: str | None = None  # a one-hop message above the screen ("Wrong choice.")
    last_hop: str | None = None
    last_reply: Reply | None = None
    resume_saved: bool = False  # whether the phone's resume point may exist (it needs deleting)
    taught: bool = False  # whether "0 Back 00 Menu" has been shown on a menu this session
    kept: dict[str, Any] = field(default_factory=dict)  # facts looked up once a session (JSON)

    @property
    def frame(self) -> Frame:
        return self.stack[-1]

    def to_json(self) -> bytes:
        # orjson: the state is written and read on every hop, and the standard library's json
        # costs several times as much CPU for it.
        data = {
            "phone": self.phone,
            "locale": self.locale,
            "citizen_id": self.citizen_id,
            "stack": [frame_dict(f) for f in self.stack],
            "invalid": self.invalid,
            "notice": self.notice,
            "last_hop": self.last_hop,
            "last_reply": {"text": self.last_reply.text, "end": self.last_reply.end} if self.last_reply else None,
            "resume_saved": self.resume_saved,
            "taught": self.taught,
            "kept": self.kept,
        }
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> SessionState:
        data = orjson.loads(raw)
        data["stack"] = [Frame(**frame) for frame in data["stack"]]
        data["last_reply"] = Reply(**data["last_reply"]) if data["last_reply"] else None
        return cls(**data)


class SessionStore:
    """Session state by gateway and session id (TTL 180 s), and a resume point per phone (5 min).

    A hop reads once and writes once: ``with store.hop(...) as stored`` reads the session
    (and the phone's resume point) and ``stored.save(...)`` writes it back together with
    whatever other commands the hop adds (the screen counters). How the two reach Redis is
    the store's own business (foundation.redis_link; SAHAYATA_FAST_PATH chooses).
    """

    def __init__(self, redis: Redis, links: Links | None = None, ttl: int = 180, resume_ttl: int = 300) -> None:
        self.redis = redis  # for a screen's own counters (the look-up limit)
        self.ttl = ttl
        self.resume_ttl = resume_ttl
        self._links = links or hop_links(redis, fast_path=True)

    @staticmethod
    def _key(gateway: str, session_id: str) -> str:
        return f"ussd:session:{gateway}:{session_id}"

    @staticmethod
    def _resume_key(phone: str) -> str:
        return f"ussd:resume:{phone}"

    @contextmanager
    def hop(self, gateway: str, session_id: str, phone: str | None = None) -> Iterator[StoredHop]:
        """This hop's session, and with ``phone`` the phone's resume point, in one read (a new
        session needs both; the save at the end of every hop clears or replaces the resume point)."""
        with self._links.link() as link:
            if phone is None:
                (raw_state,) = link.read("MGET", self._key(gateway, session_id))
                raw_resume = None
            else:
                raw_state, raw_resume = link.read("MGET", self._key(gateway, session_id), self._resume_key(phone))
            state = SessionState.from_json(raw_state) if raw_state else None
            resume = [Frame(**frame) for frame in orjson.loads(raw_resume)] if raw_resume else None
            yield StoredHop(self, link, self._key(gateway, session_id), state, resume)


class StoredHop:
    """One hop's session as read, and the hop's one write."""

    __slots__ = ("_key", "_link", "_store", "_written", "resume_point", "state")

    def __init__(
        self, store: SessionStore, link: Link, key: str, state: SessionState | None, resume: list[Frame] | None
    ) -> None:
        self._store, self._link, self._key = store, link, key
        self.state = state
        self.resume_point = resume
        self._written = False

    def save(self, state: SessionState, resume: list[Frame] | None, also: Sequence[Command] = ()) -> None:
        """Save the session, and where the phone may resume if it drops (None: nowhere)."""
        store = self._store
        commands: list[Command] = []
        if resume:
            frames = orjson.dumps([frame_dict(f) for f in resume])
            commands.append(("SET", store._resume_key(state.phone), frames, "EX", store.resume_ttl))
        elif state.resume_saved:
            commands.append(("DEL", store._resume_key(state.phone)))
        state.resume_saved = bool(resume)
        commands.append(("SET", self._key, state.to_json(), "EX", store.ttl))
        self.write([*commands, *also])

    def forget(self, also: Sequence[Command] = ()) -> None:
        """Drop the session and its phone's resume point."""
        keys = [self._key] if self.state is None else [self._key, self._store._resume_key(self.state.phone)]
        self.write([("DEL", *keys), *also])

    def write(self, commands: Sequence[Command]) -> None:
        """The hop's one write: these commands, sent together."""
        if self._written:
            raise RuntimeError("a hop writes once")
        self._written = True
        if commands:
            self._link.round_trip(commands)
