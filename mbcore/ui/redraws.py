"""A server's budget of live redraws, shared by the sessions watching trainings.

Every redraw of a live view builds its figures and sends them (a few ms of a
core each). One session redraws at each report of its training, several times
a second; fifty sessions on one server doing so would spend the server's cores
on redraws, away from the trainings (on a small machine the workers share
them). So a server spends at most `per_second` redraws a second on live views:
each watching session redraws at most every (sessions watching) / per_second
seconds, which with a few sessions is no limit at all. The lecturer's session
(projector) is exempt and not counted: the room's view never waits.

Pure Python (no Streamlit), so that it can be tested on its own.
"""
from __future__ import annotations

import os
import threading
import time

# a session that has not redrawn for this long no longer counts as watching
ACTIVE_SECONDS = 3.0


def per_second_default(env=os.environ) -> float:
    """MBCORE_REDRAWS_PER_SECOND, else 12: about a tenth of a core (the load test
    of multi_io measured ~9 ms of a replica's CPU per live redraw)."""
    try:
        return max(0.5, float(env.get("MBCORE_REDRAWS_PER_SECOND", 12)))
    except ValueError:
        return 12.0


class RedrawBudget:
    """When each watching session may redraw next, so that all of them together
    stay within `per_second` redraws a second."""

    def __init__(self, per_second: float, clock=time.monotonic):
        self.per_second, self._clock = per_second, clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}       # session -> when it last asked

    def next_redraw(self, session: str, exempt: bool = False) -> float:
        """The clock time at which `session`, redrawing now, may redraw again
        (now itself for an exempt session)."""
        now = self._clock()
        if exempt:
            return now
        with self._lock:
            self._last[session] = now
            for other, seen in list(self._last.items()):
                if now - seen > ACTIVE_SECONDS + len(self._last) / self.per_second:
                    del self._last[other]        # closed tab, or its training ended
            return now + len(self._last) / self.per_second

    @property
    def watching(self) -> int:
        with self._lock:
            return len(self._last)
