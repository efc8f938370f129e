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
# Redacted targets remembered, each at most MAX_TARGET_CHARS long (so at most 1 MB of keys and as
# much of values); a longer one (a batch item's url can be as long as a body) is redacted each time.
MAX_TARGETS = 1024
MAX_TARGET_CHARS = 1024

# method, target, status, fixture, who answered, contract summary, seconds
_Noted = tuple[str, str, int, "str | None", str, "str | None", float]


class RequestLog:
    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor  # a target may carry a secret in its query
        self._noted: list[_Noted] = []
        self._targets: dict[str, str] = {}  # target: as shown
        self._bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    def note(self, request: Request, answer: Answer, seconds: float) -> None:
        target = request.target
        self._noted.append((request.method, target, answer.status, answer.fixture, answer.by, answer.headers.get(CONTRACT_HEADER), seconds))
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
            shown = self._targets
            lines = [
                f"{method} {shown.get(target) or self._shown(target)} -> {status} "
                f"{fixture or ('forwarded' if by == 'upstream' else '-')}{f' [{contract}]' if contract else ''} {seconds * 1000:.1f} ms"
                for method, target, status, fixture, by, contract, seconds in noted
            ]  # one comprehension, not a call a line: this is every request's cost, deferred
            requests_log.info("\n".join(lines))

    def _shown(self, target: str) -> str:
        """The target redacted; remembered, as a suite sends the same targets over and over."""
        shown = self._redactor.text(target)
        if len(target) <= MAX_TARGET_CHARS:
            if len(self._targets) >= MAX_TARGETS:
                self._targets.pop(next(iter(self._targets)))
            self._targets[target] = shown
        return shown
