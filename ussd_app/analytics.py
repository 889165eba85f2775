"""What a hop adds to the per-screen counters (foundation.screen_counts).

Analytics never reach Redis themselves: they hand the session store the commands, which it
writes with the hop's own save, or alone when a gateway reports a session's end.
"""

from __future__ import annotations

import datetime as dt

from foundation import screen_counts
from foundation.screen_counts import Command


class ScreenAnalytics:
    def __init__(self, retention_days: int = screen_counts.RETENTION_DAYS) -> None:
        self.retention_days = retention_days

    def commands(self, events: list[tuple[str, str]]) -> list[Command]:
        """The writes that add these (screen, event) counts today."""
        return screen_counts.commands(events, dt.date.today(), self.retention_days)
