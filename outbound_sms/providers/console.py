"""The embedded-mode provider: messages go to a Redis list the simulator page can show."""

from __future__ import annotations

import json
import uuid

from redis import Redis

from outbound_sms.providers import Sent

KEY = "sms:console"
KEEP = 200


class ConsoleProvider:
    name = "console"

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def send(self, to: str, text: str, reference: str | None = None) -> Sent:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.lpush(KEY, json.dumps({"id": message_id, "to": to, "text": text}, ensure_ascii=False))
            pipe.ltrim(KEY, 0, KEEP - 1)
            pipe.execute()
        return Sent(message_id)

    def recent(self, limit: int = 20) -> list[dict[str, str]]:
        return [json.loads(raw) for raw in self.redis.lrange(KEY, 0, limit - 1)]
