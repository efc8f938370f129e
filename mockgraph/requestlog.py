"""The line a request: `POST /v1.0/app/onlineMeetings -> 201 <fixture> [1 error] 1.2 ms`.

`mockgraph serve` shows one on stderr for every request (logger `mockgraph.requests`, INFO;
`--quiet` raises the level and silences them). A log record costs about 20 us, as much as the
rest of a remembered answer, so lines are formatted here and handed to logging in batches: at most
every `FLUSH_SECONDS`, or once `MAX_LINES` (or `MAX_BYTES`) are waiting, and at stop. A reader sees
each line within a fraction of a second, in order.
"""

from __future__ import annotations

import asyncio
import logging

requests_log = logging.getLogger("mockgraph.requests")

FLUSH_SECONDS = 0.2
# Lines held back at most, in count and bytes (a line is about 120 bytes: about 64 KB in all).
MAX_LINES = 500
MAX_BYTES = 64 * 1024


class RequestLog:
    def __init__(self) -> None:
        self._lines: list[str] = []
        self._bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    @staticmethod
    def enabled() -> bool:
        return requests_log.isEnabledFor(logging.INFO)

    def note(self, line: str) -> None:
        self._lines.append(line)
        self._bytes += len(line)
        if len(self._lines) >= MAX_LINES or self._bytes >= MAX_BYTES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._lines:
            lines, self._lines, self._bytes = self._lines, [], 0
            requests_log.info("\n".join(lines))
