"""The line a request: `POST /v1.0/app/onlineMeetings -> 201 <fixture> [1 error] 1.2 ms`.

`mockgraph serve` shows one on stderr for every request (logger `mockgraph.requests`, INFO;
`--quiet` raises the level and silences them). A log record costs about 20 us, as much as the
rest of a remembered answer, so a request only notes its few raw values here; they are formatted
(and their targets redacted) and handed to logging in batches: at most every `FLUSH_SECONDS`, or
once `MAX_LINES` (or `MAX_BYTES` of targets) are waiting, and at stop. A reader sees each line
within a fraction of a second, in order. Whether the logger is enabled is asked at the flush, not
on every request: lines noted while it was silenced are dropped there, if it still is.
"""

from __future__ import annotations

import asyncio
import logging

from .exchange import CONTRACT_HEADER, Answer, Request
from .redact import Redactor

requests_log = logging.getLogger("mockgraph.requests")

FLUSH_SECONDS = 0.2
# Lines held back at most, in count and in bytes of their targets (a longer one is flushed at once).
MAX_LINES = 500
MAX_BYTES = 64 * 1024
# Lines as far as their time (`POST /v1.0/me -> 200 fixture.json [1 error] `) remembered for their
# targets' sake, redacted; only for targets of at most MAX_TARGET_CHARS (a batch item's url can be as
# long as a body), so at most 1,024 x (2 x 1 KB of targets + a fixture's name).
MAX_HEADS = 1024
MAX_TARGET_CHARS = 1024

# method, target, status, fixture, who answered, contract summary: all a line shows but its time
_Head = tuple[str, str, int, "str | None", str, "str | None"]
# A time as shown, for times under 100 ms by tenths of a millisecond: formatting a float costs
# 2,500 instructions, as much as the rest of a line.
_TIMES = [f"{tenths // 10}.{tenths % 10} ms" for tenths in range(1000)]


class RequestLog:
    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor  # a target may carry a secret in its query
        self._noted: list[tuple[_Head, float]] = []
        self._heads: dict[_Head, str] = {}  # head: as shown, redacted
        self._bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    def note(self, request: Request, answer: Answer, seconds: float) -> None:
        target = request.target
        self._noted.append(
            ((request.method, target, answer.status, answer.fixture, answer.by, answer.headers.get(CONTRACT_HEADER)), seconds)
        )
        self._bytes += len(target)
        if len(self._noted) >= MAX_LINES or self._bytes >= MAX_BYTES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        noted, self._noted, self._bytes = self._noted, [], 0
        if noted and requests_log.isEnabledFor(logging.INFO):
            heads, times = self._heads, _TIMES
            lines = []  # every request's cost, deferred: one remembered head and one listed time a line
            for head, seconds in noted:
                tenths = int(seconds * 10_000 + 0.5)
                time = times[tenths] if tenths < 1000 else f"{seconds * 1000:.1f} ms"
                lines.append((heads.get(head) or self._shown(head)) + time)
            requests_log.info("\n".join(lines))

    def _shown(self, head: _Head) -> str:
        """A line as far as its time, its target redacted; remembered, as a suite sends the same
        requests over and over."""
        method, target, status, fixture, by, contract = head
        answered = fixture or ("forwarded" if by == "upstream" else "-")
        shown = f"{method} {self._redactor.text(target)} -> {status} {answered}{f' [{contract}]' if contract else ''} "
        if len(target) <= MAX_TARGET_CHARS:
            if len(self._heads) >= MAX_HEADS:
                self._heads.pop(next(iter(self._heads)))
            self._heads[head] = shown
        return shown
