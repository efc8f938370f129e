"""The pytest plugin: a mock Graph server in one fixture, `mockgraph_server`.

Registered through the `pytest11` entry point, so installing mockgraph is all the set-up. One
server per settings runs for the whole session, on its own event loop in a background thread, so
plain synchronous tests (requests, urllib, httpx) and async tests alike can call it; each test
starts with an empty journal. Heavy imports wait until a test asks for the fixture.

`@pytest.mark.mockgraph(fresh=True)` gives a test a server of its own, stopped after it.

Settings, highest precedence first (decided once, in `_settings`):
    @pytest.mark.mockgraph(fixtures=..., strict=...)  >  --mockgraph-* options
    >  mockgraph_* ini keys  >  mockgraph.toml / [tool.mockgraph]  >  defaults
The default fixtures are the project's `fixtures/`, else the ones that come with mockgraph.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .config import Settings
    from .journal import JournalEntry
    from .models import Finding

_ENTRIES = pytest.StashKey[list]()
_FILE_SETTINGS = pytest.StashKey["Settings"]()  # mockgraph.toml / [tool.mockgraph], read once a session
# The fixtures imported from the documentation that come with mockgraph (in a source or editable
# install), used when a project configures none and has no fixtures/ folder of its own.
BUNDLED_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"  # every test's journal entries, for the session report and summary


def pytest_addoption(parser: pytest.Parser) -> None:
    from .config import RECORD_MODES

    group = parser.getgroup("mockgraph", "mock Microsoft Graph server")
    group.addoption("--mockgraph-fixtures", metavar="DIR", help="fixtures folder for mockgraph_server")
    group.addoption("--mockgraph-strict", action="store_true", default=None, help="fail tests whose payloads break the contract")
    group.addoption("--mockgraph-report", metavar="PATH", help="write a contract report (.json .xml .md .html .txt)")
    group.addoption(
        "--mockgraph-record",
        choices=tuple(RECORD_MODES),
        help="record mode (default none: replay only, never connect upstream)",
    )
    group.addoption("--mockgraph-upstream", metavar="URL", help="where record modes forward, e.g. https://graph.microsoft.com")
    parser.addini("mockgraph_fixtures", "fixtures folder for mockgraph_server")
    parser.addini("mockgraph_strict", "fail tests whose payloads break the contract", type="bool", default=None)
    parser.addini("mockgraph_report", "contract report written at the end of the session")
    parser.addini("mockgraph_record", "record mode: none, once, new or all")
    parser.addini("mockgraph_upstream", "where record modes forward requests")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockgraph(fixtures=None, strict=None, record=None, upstream=None, fresh=False): settings for mockgraph_server;"
        " fresh: a server of its own",
    )
    from .config import load_settings
    from .errors import ConfigError

    config.stash[_ENTRIES] = []
    try:
        config.stash[_FILE_SETTINGS] = load_settings(cwd=config.rootpath)
        _session_settings(config)  # a record mode with no upstream stops the run here, not in a test
    except ConfigError as exc:
        raise pytest.UsageError(f"mockgraph: {exc}") from None
    report = _report_path(config)
    from .reports import FORMAT_BY_SUFFIX

    if report is not None and report.suffix.lower() not in FORMAT_BY_SUFFIX:
        raise pytest.UsageError(f"mockgraph report {report}: the name must end in one of {', '.join(FORMAT_BY_SUFFIX)}")


def _report_path(config: pytest.Config) -> Path | None:
    """Command line > ini key > settings file, as for every setting."""
    report = config.getoption("mockgraph_report") or config.getini("mockgraph_report")
    return Path(report) if report else config.stash[_FILE_SETTINGS].report


class MockgraphServer:
    """A running mockgraph, seen from a test: its URL and what this test sent it."""

    def __init__(self, settings: Settings) -> None:
        from .fixturefile import load_fixtures
        from .index import FixtureIndex
        from .server import create_server

        self.settings = settings
        if settings.record != "none":  # recording may start from nothing
            settings.fixtures.mkdir(parents=True, exist_ok=True)
        self._server = create_server(FixtureIndex(load_fixtures(settings.fixtures)), settings)
        self._loop = asyncio.new_event_loop()
        self._stopped = asyncio.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mockgraph", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._failure is not None:
            raise self._failure
        self.url: str = self._url

    def _run(self) -> None:
        from .server import running

        async def serve() -> None:
            try:
                async with running(self._server, self.settings.host, 0) as url:
                    self._url = url
                    self._ready.set()
                    await self._stopped.wait()
            except BaseException as exc:  # reported to the thread that started us
                self._failure = exc
                self._ready.set()

        self._loop.run_until_complete(serve())
        self._loop.close()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=30)

    @property
    def requests(self) -> list[JournalEntry]:
        """This test's requests, in order: method, path, status, matched fixture, body, findings."""
        return list(self._server.journal)

    @property
    def findings(self) -> list[Finding]:
        return [f for entry in self.requests for f in entry.findings]

    def reset(self) -> None:
        """Forget the requests seen so far."""
        self._server.reset()

    def assert_called(self, method: str, path: str, times: int | None = None) -> None:
        """Assert `method path` (query ignored, version prefix optional) was requested, `times` times if given."""
        from .paths import segments, split_version

        wanted = (method.upper(), segments(split_version(path)[1]))
        calls = [e for e in self.requests if (e.method, segments(split_version(e.path.partition("?")[0])[1])) == wanted]
        sent = "\n".join(f"  {e.method} {e.path} -> {e.status}" for e in self.requests) or "  (nothing)"
        if times is None:
            assert calls, f"{method} {path} was not requested; requests sent:\n{sent}"
        else:
            assert len(calls) == times, f"{method} {path} was requested {len(calls)} times, not {times}; requests sent:\n{sent}"

    def problems(self) -> str | None:
        """Why this test should fail: requests no fixture answered, or (strict) contract errors."""
        lines = []
        for entry in self.requests:
            if entry.unmatched:
                lines.append(f"{entry.method} {entry.path} matched no fixture (answered {entry.status})")
            errors = [f for f in entry.findings if f.severity == "error"]
            if self.settings.strict and errors:
                lines.append(f"{entry.method} {entry.path} breaks the documented contract:")
                lines.extend(_finding_line(f) for f in errors)
        return "\n".join(lines) or None


def _finding_line(f: Finding) -> str:
    return f"  {f.kind:<8} {f.path or '/'}: expected {f.expected}, got {f.actual}  ({f.message})"


def _settings(request: pytest.FixtureRequest) -> Settings:
    """The settings for this test: marker > command line > ini > settings file > defaults."""
    marker = request.node.get_closest_marker("mockgraph")
    return _session_settings(request.config, marker.kwargs if marker else {})


def _session_settings(config: pytest.Config, marked: dict[str, Any] | None = None) -> Settings:
    """Precedence, decided here only: marker > command line > ini > settings file > defaults."""
    from .config import Settings, check_record

    marked = marked or {}
    settings = config.stash[_FILE_SETTINGS]
    fixtures = marked.get("fixtures") or config.getoption("mockgraph_fixtures") or config.getini("mockgraph_fixtures")
    strict = _first(marked.get("strict"), config.getoption("mockgraph_strict"), config.getini("mockgraph_strict"))
    record = marked.get("record") or config.getoption("mockgraph_record") or config.getini("mockgraph_record") or None
    upstream = marked.get("upstream") or config.getoption("mockgraph_upstream") or config.getini("mockgraph_upstream") or None
    settings = settings.but(strict=strict, record=record, upstream=upstream)
    if fixtures:
        folder = Path(fixtures)
        settings = settings.but(fixtures=folder if folder.is_absolute() else config.rootpath / folder)
    elif settings.record == "none" and settings.fixtures == Settings().fixtures and not (config.rootpath / settings.fixtures).is_dir():
        settings = settings.but(fixtures=BUNDLED_FIXTURES)  # nothing configured, no fixtures/ here, nothing to record
    elif not settings.fixtures.is_absolute():
        settings = settings.but(fixtures=config.rootpath / settings.fixtures)
    return check_record(settings, "mockgraph options")


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


@pytest.fixture(scope="session")
def _mockgraph_servers() -> Iterator[dict[Any, MockgraphServer]]:
    """One server per distinct settings for the whole session, stopped last-in, first-out."""
    servers: dict[Any, MockgraphServer] = {}
    yield servers
    for server in reversed(list(servers.values())):
        server.stop()


@pytest.fixture
def mockgraph_server(request: pytest.FixtureRequest, _mockgraph_servers: dict[Any, MockgraphServer]) -> Iterator[MockgraphServer]:
    """A mock Graph server answering from the fixtures; its journal holds this test's requests."""
    settings = _settings(request)
    marker = request.node.get_closest_marker("mockgraph")
    if marker is not None and marker.kwargs.get("fresh"):
        server = MockgraphServer(settings)  # this test's own, stopped after it
        try:
            yield server
        finally:
            request.config.stash[_ENTRIES].extend(server.requests)
            server.stop()
        return
    key = (
        settings.fixtures,
        settings.strict,
        tuple(sorted(settings.severity.items())),
        settings.max_body_bytes,
        settings.record,
        settings.upstream,
    )
    if key not in _mockgraph_servers:
        _mockgraph_servers[key] = MockgraphServer(settings)
    server = _mockgraph_servers[key]
    server.reset()
    yield server
    request.config.stash[_ENTRIES].extend(server.requests)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that sent what no fixture answers, or (strict) broke the contract, with the reasons,
    also when the client library turned mockgraph's error answer into an exception of its own."""
    __tracebackhide__ = True  # the failure is about the test's requests, not about this hook
    server = getattr(item, "funcargs", {}).get("mockgraph_server")
    try:
        result = yield
    except BaseException as exc:
        if isinstance(server, MockgraphServer) and isinstance(exc, Exception) and (problems := server.problems()):
            raise AssertionError(f"mockgraph:\n{problems}") from exc
        raise
    if isinstance(server, MockgraphServer) and (problems := server.problems()):
        raise AssertionError(f"mockgraph:\n{problems}")
    return result


# Under pytest-xdist each worker runs its own servers; at the end it hands its journal entries to
# the controller, which alone prints the summary and writes the report.


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):
        from .journal import entry_to_json

        config.workeroutput["mockgraph_entries"] = [entry_to_json(e) for e in config.stash.get(_ENTRIES, [])]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    from .journal import entry_from_json

    entries = getattr(node, "workeroutput", {}).get("mockgraph_entries", [])
    node.config.stash[_ENTRIES].extend(entry_from_json(e) for e in entries)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    entries = config.stash.get(_ENTRIES, [])
    findings = [f for e in entries for f in e.findings]
    if findings:
        from .journal import summarize

        counts = summarize(findings)
        terminalreporter.section("mockgraph contract")
        terminalreporter.line(f"{counts['errors']} errors, {counts['warnings']} warnings, {counts['info']} info in {len(entries)} requests")
        for entry in entries:
            for finding in entry.findings:
                if finding.severity != "info":
                    terminalreporter.line(f"{entry.method} {entry.path}: {_finding_line(finding).strip()}")
    report = _report_path(config)
    if report is not None:
        from .fixturefile import write_atomic
        from .reports import FORMAT_BY_SUFFIX, cases_from_journal, render

        write_atomic(report, render(cases_from_journal(entries), FORMAT_BY_SUFFIX[report.suffix.lower()]))
        terminalreporter.line(f"mockgraph contract report: {report}")
