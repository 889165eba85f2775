"""The provider's rate (messages per second) as a token bucket in Redis, shared by every
worker: whichever process sends, together they never go faster than the provider allows.

The bucket refills continuously at ``rate`` tokens a second up to ``burst``; the script
takes tokens atomically on the server's clock, or says how long to wait for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

_TAKE = """
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if tokens >= want then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - want), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[1], 3600)
  return '0'
end
return tostring((want - tokens) / rate)
"""


class TokenBucket:
    def __init__(
        self,
        redis: Redis,
        name: str,
        rate: float,
        burst: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = f"sms:bucket:{name}"
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)  # a second's worth at most
        self.script = redis.register_script(_TAKE)
        self.sleep = sleep

    def take(self, tokens: int = 1) -> float:
        """Block until ``tokens`` are available and take them; returns the seconds waited."""
        if tokens > self.burst:
            raise ValueError(f"cannot take {tokens} tokens from a bucket that holds {self.burst}")
        waited = 0.0
        while True:
            wait = float(self.script(keys=[self.key], args=[self.rate, self.burst, tokens]))
            if wait <= 0:
                return waited
            self.sleep(wait)
            waited += wait


class Unlimited:
    """No configured rate: the provider takes what we send."""

    def take(self, tokens: int = 1) -> float:
        return 0.0
