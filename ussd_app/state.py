"""USSD session state, kept in Redis so any web process can serve the next hop."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from redis import Redis
from redis.client import Pipeline


@dataclass
class Frame:
    screen: str
    params: dict[str, Any] = field(default_factory=dict)
    page: int = 0


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

    @property
    def frame(self) -> Frame:
        return self.stack[-1]

    def to_json(self) -> str:
        # Written out rather than dataclasses.asdict, which deep-copies: this runs every hop.
        data = {
            "phone": self.phone,
            "locale": self.locale,
            "citizen_id": self.citizen_id,
            "stack": [{"screen": f.screen, "params": f.params, "page": f.page} for f in self.stack],
            "invalid": self.invalid,
            "notice": self.notice,
            "last_hop": self.last_hop,
            "last_reply": {"text": self.last_reply.text, "end": self.last_reply.end} if self.last_reply else None,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> SessionState:
        data = json.loads(raw)
        data["stack"] = [Frame(**frame) for frame in data["stack"]]
        data["last_reply"] = Reply(**data["last_reply"]) if data["last_reply"] else None
        return cls(**data)


class SessionStore:
    """Session state by gateway and session id (TTL 180 s), and a resume point per phone (5 min)."""

    def __init__(self, redis: Redis, ttl: int = 180, resume_ttl: int = 300) -> None:
        self.redis = redis
        self.ttl = ttl
        self.resume_ttl = resume_ttl

    @staticmethod
    def _key(gateway: str, session_id: str) -> str:
        return f"ussd:session:{gateway}:{session_id}"

    @staticmethod
    def _resume_key(phone: str) -> str:
        return f"ussd:resume:{phone}"

    def load(self, gateway: str, session_id: str) -> SessionState | None:
        raw = self.redis.get(self._key(gateway, session_id))
        return SessionState.from_json(raw) if raw else None

    def save(
        self, gateway: str, session_id: str, state: SessionState, resume: list[Frame] | None, pipe: Pipeline
    ) -> None:
        """Queue on ``pipe``: the session, and where the phone may resume if it drops (None: nowhere)."""
        pipe.set(self._key(gateway, session_id), state.to_json(), ex=self.ttl)
        if resume:
            frames = json.dumps([asdict(f) for f in resume], ensure_ascii=False)
            pipe.set(self._resume_key(state.phone), frames, ex=self.resume_ttl)
        else:
            pipe.delete(self._resume_key(state.phone))

    def take_resume_point(self, phone: str) -> list[Frame] | None:
        raw = self.redis.getdel(self._resume_key(phone))
        return [Frame(**frame) for frame in json.loads(raw)] if raw else None

    def count_lookup(self, phone: str, day: str) -> int:
        """Count one look-up of another person by this phone today; returns today's count."""
        key = f"ussd:lookups:{phone}:{day}"
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * 24 * 3600)
            count, _ = pipe.execute()
        return int(count)
