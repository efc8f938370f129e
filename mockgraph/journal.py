"""The journal: what the server saw, request by request, with the contract findings of each.

Kept in memory (bounded: the oldest entries go first) for `GET /_mockgraph/requests`, and
optionally appended as JSON Lines to a file that `mockgraph report` turns into reports later.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, NamedTuple

from .errors import BodyError, MockgraphError
from .exchange import Answer, Request
from .jsonbody import parse_json_body
from .models import Finding, JsonValue
from .redact import REDACTED, Redactor

DEFAULT_LIMIT = 1000
# Request bodies the in-memory journal holds at most; older entries keep all but their bodies.
DEFAULT_BODY_LIMIT = 32 * 1024 * 1024

log = logging.getLogger("mockgraph")


@dataclass(frozen=True)
class JournalEntry:
    """One request the server answered."""

    seq: int  # 1, 2, 3, ... in the order requests arrived since the server started
    time: str  # ISO 8601, UTC
    method: str
    path: str  # as sent, query included
    status: int  # what the server answered
    fixture: str | None  # the matched fixture's name, None for a miss
    body: JsonValue  # the JSON payload, None when there was none
    findings: tuple[Finding, ...] = ()
    forwarded: bool = False  # answered by the upstream (record mode), not by a fixture
    error: str | None = None  # the message of a Graph error answer (a miss names the nearest fixtures)
    unchecked: bool = False  # a JSON payload matched a fixture that documents no contract to check it by
    test: str | None = None  # the pytest node id of the test that sent it, where pytest ran it
    # Who answered where it was neither a fixture nor the upstream: "stub", "state", "miss" (no answerer
    # would), "refused" (the request could not be worked on: unknown method, body over the limit).
    answered_by: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def unmatched(self) -> bool:
        """Nothing answered this request: a test sent what no fixture, stub or state knows. Entries
        that do not say who answered (older journals, entries made by hand) count a 404 or 405 that
        no fixture or upstream gave."""
        if self.answered_by:
            return self.answered_by == "miss"
        return self.fixture is None and not self.forwarded and self.status in (404, 405)


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts by severity: `{"errors": n, "warnings": n, "info": n}`."""
    counts = {"errors": 0, "warnings": 0, "info": 0}
    for finding in findings:
        counts[_COUNT_KEY[finding.severity]] += 1
    return counts


_COUNT_KEY = {"error": "errors", "warning": "warnings", "info": "info"}


def counted(n: int, word: str) -> str:
    """`1 error`, `2 errors`, `3 info`: how summaries say their counts."""
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def contract_summary(findings: Iterable[Finding]) -> str:
    """`2 errors, 1 warning` for the contract header; `0 errors` when the payload conforms."""
    severities = [finding.severity for finding in findings]
    counts = (severities.count("error"), severities.count("warning"), severities.count("info"))
    summary = _SUMMARIES.get(counts)  # it goes on every answer with findings: worded once per counts
    if summary is None:
        words = zip(counts, ("error", "warning", "info"))
        summary = ", ".join(counted(n, word) for n, word in words if n) or "0 errors"
        if len(_SUMMARIES) < MAX_SUMMARIES:
            _SUMMARIES[counts] = summary
    return summary


MAX_SUMMARIES = 1024  # contract summaries remembered, by their three counts
_SUMMARIES: dict[tuple[int, int, int], str] = {}


def finding_to_json(finding: Finding) -> dict[str, str]:
    return asdict(finding)


def finding_from_json(data: Any) -> Finding:
    if not isinstance(data, dict):
        raise ValueError("a finding must be an object")
    try:
        values = {name: data[name] for name in Finding.__dataclass_fields__}
    except KeyError as exc:
        raise ValueError(f"a finding lacks {exc.args[0]!r}") from None
    if not all(isinstance(v, str) for v in values.values()):
        raise ValueError("a finding's fields must be strings")
    if values["severity"] not in _COUNT_KEY:
        raise ValueError(f"unknown severity {values['severity']!r}")
    return Finding(**values)


def entry_to_json(entry: JournalEntry) -> dict[str, Any]:
    data = asdict(entry)
    data["findings"] = [finding_to_json(f) for f in entry.findings]
    data["summary"] = summarize(entry.findings)
    return data


def entry_from_json(data: Any) -> JournalEntry:
    if not isinstance(data, dict):
        raise ValueError("an entry must be an object")
    try:
        return JournalEntry(
            seq=int(data["seq"]),
            time=str(data["time"]),
            method=str(data["method"]),
            path=str(data["path"]),
            status=int(data["status"]),
            fixture=data.get("fixture"),
            body=data.get("body"),
            findings=tuple(finding_from_json(f) for f in data.get("findings", [])),
            forwarded=bool(data.get("forwarded", False)),
            error=_optional_str(data.get("error")),
            unchecked=bool(data.get("unchecked", False)),
            test=_optional_str(data.get("test")),
            answered_by=str(data.get("answered_by", "")),
        )
    except KeyError as exc:
        raise ValueError(f"an entry lacks {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def read_journal(path: Path) -> list[JournalEntry]:
    """The entries of a JSON Lines journal; a MockgraphError names the file and line at fault."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MockgraphError(f"{path}: cannot be read: {exc}") from None
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(entry_from_json(json.loads(line)))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise MockgraphError(f"{path}:{number}: not a journal entry: {exc}") from None
    return entries


class _Record(NamedTuple):
    """What the journal keeps of a request as it passes: raw values, formatted only when read."""

    seq: int
    stamp: float
    method: str
    target: str
    body: bytes
    status: int
    fixture: str | None
    findings: tuple[Finding, ...]
    error: str | None
    unchecked: bool
    answered_by: str


class Journal:
    """The last `limit` requests in memory, each also appended to `file` when one is given.

    `record` is on every request's path, so it keeps raw values (body bytes, a timestamp) and
    leaves parsing, redaction and formatting to whoever reads the journal. Everything read out of it
    (entries, the file) is redacted: no secret leaves it. Memory is bounded twice: at most `limit`
    entries, and at most `body_limit` bytes of request bodies, past which the oldest entries lose
    their bodies (their other fields stay). A file that cannot be written (a full disk) never fails a
    request: the first failure is logged loudly, and the lines lost are counted.
    """

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        file: Path | None = None,
        redactor: Redactor | None = None,
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        self._records: deque[_Record | JournalEntry] = deque()
        self._limit = limit
        self._body_limit = body_limit
        self._body_bytes = 0  # of the records from `_bare` on
        self._bare = 0  # the oldest records whose bodies were dropped: always a prefix
        self._seq = 0
        self._file = file
        self._out: IO[str] | None = file.open("a", encoding="utf-8") if file else None
        self._redactor = redactor or Redactor()
        self.lost = 0  # lines the file could not take

    def record(self, request: Request, answer: Answer) -> None:
        self._seq += 1
        body = request.body
        # tuple.__new__ makes the same value as _Record(...) at a third of the cost: a NamedTuple's
        # own __new__ is a Python function, and this runs on every request.
        record = tuple.__new__(_Record, (
            self._seq, time.time(), request.method, request.target, body, answer.status, answer.fixture,
            answer.findings, answer.error, answer.unchecked, answer.by,
        ))  # fmt: skip
        records = self._records
        records.append(record)
        self._body_bytes += len(body)
        if len(records) > self._limit:  # full, as it soon is in a suite: the oldest goes (with a limit of 0, this one)
            oldest = records.popleft()
            if self._bare:
                self._bare -= 1
            elif isinstance(oldest, _Record):
                self._body_bytes -= len(oldest.body)
        if self._body_bytes > self._body_limit:
            self._trim()
        if self._out is not None:
            self._write(self._entry(record))

    def add(self, entry: JournalEntry) -> None:
        """Add an entry made elsewhere (a report merged from parts, a test)."""
        self._seq = max(self._seq, entry.seq)
        self._records.append(entry)
        if len(self._records) > self._limit:
            self._trim()
        if self._out is not None:
            self._write(entry)

    def _trim(self) -> None:
        """Back within both bounds: the oldest entries go, then the oldest bodies."""
        records = self._records
        while len(records) > self._limit:
            oldest = records.popleft()
            if self._bare:
                self._bare -= 1
            elif isinstance(oldest, _Record):
                self._body_bytes -= len(oldest.body)
        while self._body_bytes > self._body_limit and self._bare < len(records):
            oldest = records[self._bare]
            if isinstance(oldest, _Record) and oldest.body:
                self._body_bytes -= len(oldest.body)
                records[self._bare] = oldest._replace(body=b"")
            self._bare += 1

    def _write(self, entry: JournalEntry) -> None:
        assert self._out is not None
        # One write per line, flushed: a reader (or a crash) never sees half an entry. ASCII
        # escapes, because a payload may hold lone surrogates that UTF-8 cannot encode.
        try:
            self._out.write(json.dumps(entry_to_json(entry)) + "\n")
            self._out.flush()
        except OSError as exc:
            self.lost += 1
            if self.lost == 1:
                log.error("the journal %s cannot be written (%s): requests are still answered, and lost lines counted", self._file, exc)

    def clear(self) -> None:
        self._records.clear()
        self._body_bytes = self._bare = 0

    def close(self) -> None:
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()
            self._out = None
        if self.lost:
            log.error("the journal %s lost %d lines it could not write", self._file, self.lost)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter([r if isinstance(r, JournalEntry) else self._entry(r) for r in list(self._records)])

    def __len__(self) -> int:
        return len(self._records)

    def _entry(self, record: _Record) -> JournalEntry:
        r = self._redactor
        return JournalEntry(
            seq=record.seq,
            time=datetime.fromtimestamp(record.stamp, timezone.utc).isoformat(timespec="milliseconds"),
            method=record.method,
            path=r.text(record.target),
            status=record.status,
            fixture=record.fixture,
            body=r.json(_json_or_none(record.body)),
            findings=tuple(_redacted(f, r) for f in record.findings),
            forwarded=record.answered_by == "upstream",
            error=None if record.error is None else r.text(record.error),
            unchecked=record.unchecked,
            answered_by=record.answered_by,
        )


def _redacted(finding: Finding, r: Redactor) -> Finding:
    """A finding as it may be shown: enum and format findings quote the value sent, which may be a
    secret (a token, a secret field's value)."""
    if r.is_secret_field(finding.path.rpartition("/")[2]):
        return Finding(finding.kind, finding.severity, finding.path, finding.expected, REDACTED, f"{finding.path}: {REDACTED}")
    return Finding(finding.kind, finding.severity, finding.path, r.text(finding.expected), r.text(finding.actual), r.text(finding.message))


def _json_or_none(body: bytes) -> JsonValue:
    """The body as JSON where it is JSON the server would read; None where it is empty, binary,
    text, or JSON it refuses (too deep, lone surrogates, ...): no stored body can break a reader."""
    if not body:
        return None
    try:
        return parse_json_body(body)
    except BodyError:
        return None
