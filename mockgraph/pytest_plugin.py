"""The pytest plugin: a mock Graph server in one fixture, `mockgraph_server`.

Registered through the `pytest11` entry point, so installing mockgraph is all the set-up. One
server per settings runs for the whole session, on its own event loop in a background thread, so
plain synchronous tests (requests, urllib, httpx) and async tests alike can call it; each test
starts with an empty journal. Heavy imports wait until a test asks for the fixture.

`@pytest.mark.mockgraph(fresh=True)` gives a test a server of its own, stopped after it. An
`async def` test that asks for the fixture runs under pytest-asyncio with no configuration: the
plugin gives it pytest-asyncio's `asyncio` marker.

Settings, highest precedence first (decided once, in `_settings`):
    @pytest.mark.mockgraph(fixtures=..., strict=...)  >  --mockgraph-* options
    >  mockgraph_* ini keys  >  mockgraph.toml / [tool.mockgraph]  >  defaults
The default fixtures are the project's `fixtures/` where it holds mockgraph fixtures, else the
ones that come with mockgraph (package data, `mockgraph.fixtures`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from .config import Settings
    from .journal import JournalEntry
    from .models import Finding

T = TypeVar("T")

_ENTRIES = pytest.StashKey[list]()  # every test's journal entries, for the session report and summary
_FILE_SETTINGS = pytest.StashKey["Settings"]()  # mockgraph.toml / [tool.mockgraph], read once a session
_DEFAULT_FIXTURES = pytest.StashKey[Path]()  # the project's fixtures/ where it holds fixtures, else the bundled ones
_NOTES = pytest.StashKey[list]()  # warnings for the end of the session (JSON files that are not fixtures)

#: The arguments `@pytest.mark.mockgraph(...)` takes; any other is a usage error.
MARKER_ARGS = ("fixtures", "strict", "record", "upstream", "fresh", "permissions", "stateful")


def pytest_addoption(parser: pytest.Parser) -> None:
    from .config import PERMISSION_MODES, RECORD_MODES

    group = parser.getgroup("mockgraph", "mock Microsoft Graph server")
    group.addoption("--mockgraph-fixtures", metavar="DIR", help="fixtures folder for mockgraph_server")
    group.addoption("--mockgraph-strict", action="store_true", default=None, help="fail tests whose payloads break the contract")
    group.addoption(
        "--mockgraph-report", metavar="PATH", action="append", help="write a contract report (.json .xml .md .html .txt); repeatable"
    )
    group.addoption(
        "--mockgraph-record",
        choices=tuple(RECORD_MODES),
        help="record mode (default none: replay only, never connect upstream)",
    )
    group.addoption("--mockgraph-upstream", metavar="URL", help="where record modes forward, e.g. https://graph.microsoft.com")
    group.addoption(
        "--mockgraph-coverage", metavar="PATH", help="write which documented operations the session exercised (.json .xml .md .html .txt)"
    )
    group.addoption(
        "--mockgraph-permissions",
        choices=tuple(PERMISSION_MODES),
        help="tokens against the documented permissions: off, report (default: findings, never denies) or enforce (401/403)",
    )
    group.addoption(
        "--mockgraph-stateful", action="store_true", default=None, help="keep the entities a test writes, per test (see Stateful mode)"
    )
    parser.addini("mockgraph_fixtures", "fixtures folder for mockgraph_server")
    parser.addini("mockgraph_stateful", "keep the entities a test writes, per test", type="bool", default=None)
    parser.addini("mockgraph_permissions", "permissions mode: off, report or enforce")
    parser.addini("mockgraph_strict", "fail tests whose payloads break the contract", type="bool", default=None)
    parser.addini("mockgraph_report", "contract report written at the end of the session")
    parser.addini("mockgraph_record", "record mode: none, once, new or all")
    parser.addini("mockgraph_upstream", "where record modes forward requests")
    parser.addini("mockgraph_coverage", "coverage report of the documented operations, written at the end of the session")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockgraph(fixtures=None, strict=None, record=None, upstream=None, permissions=None, stateful=None, fresh=False):"
        " settings for"
        " mockgraph_server;"
        " fresh: a server of its own",
    )
    from .config import load_settings
    from .errors import ConfigError
    from .fixturefile import bundled_fixtures, holds_fixtures

    config.stash[_ENTRIES] = []
    config.stash[_NOTES] = []
    try:
        config.stash[_FILE_SETTINGS] = load_settings(cwd=config.rootpath)
        own = config.rootpath / config.stash[_FILE_SETTINGS].fixtures
        config.stash[_DEFAULT_FIXTURES] = own if holds_fixtures(own) else bundled_fixtures()
        _session_settings(config)  # a record mode with no upstream stops the run here, not in a test
    except ConfigError as exc:
        raise pytest.UsageError(f"mockgraph: {exc}") from None
    from .reports import FORMAT_BY_SUFFIX

    for report in _report_paths(config):
        if report.suffix.lower() not in FORMAT_BY_SUFFIX:
            raise pytest.UsageError(f"mockgraph report {report}: the name must end in one of {', '.join(FORMAT_BY_SUFFIX)}")
    if (coverage := _coverage_path(config)) is not None and coverage.suffix.lower() not in FORMAT_BY_SUFFIX:
        raise pytest.UsageError(f"mockgraph coverage {coverage}: the name must end in one of {', '.join(FORMAT_BY_SUFFIX)}")


def _report_paths(config: pytest.Config) -> tuple[Path, ...]:
    """Command line > ini key > settings file, as for every setting; every report named is written."""
    given = config.getoption("mockgraph_report")
    if given:
        return tuple(Path(r) for r in given)
    ini = config.getini("mockgraph_report")
    return (Path(ini),) if ini else config.stash[_FILE_SETTINGS].report


def _marker_kwargs(node: pytest.Item | pytest.Collector) -> dict[str, Any]:
    """The closest `mockgraph` marker's arguments; a misspelt one (`strcit=True`) is a usage error."""
    marker = node.get_closest_marker("mockgraph")
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - set(MARKER_ARGS))
    if marker.args or unknown:
        given = ", ".join([*(repr(a) for a in marker.args), *unknown])
        raise pytest.UsageError(
            f"{node.nodeid}: @pytest.mark.mockgraph does not take {given}; it takes keyword arguments {', '.join(MARKER_ARGS)}"
        )
    return dict(marker.kwargs)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: object) -> Any:
    """Give `async def` tests that use `mockgraph_server` pytest-asyncio's marker, so they run with no
    asyncio configuration. This wrapper is the innermost: pytest-asyncio's own wrapper, around it,
    turns marked coroutines into its items only after it."""
    result = yield
    if not inspect.iscoroutinefunction(obj) or not collector.config.pluginmanager.hasplugin("asyncio"):
        return result
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, pytest.Function) and "mockgraph_server" in item.fixturenames and not item.get_closest_marker("asyncio"):
            item.add_marker(pytest.mark.asyncio)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        _marker_kwargs(item)  # stop the run on a misspelt marker argument before any test runs


class MockgraphServer:
    """A running mockgraph, seen from a test: its URL and what this test sent it."""

    def __init__(self, settings: Settings) -> None:
        from .fixturefile import scan_fixtures
        from .index import FixtureIndex
        from .server import create_server

        self.settings = settings
        if settings.record != "none":  # recording may start from nothing
            settings.fixtures.mkdir(parents=True, exist_ok=True)
        folder = scan_fixtures(settings.fixtures)
        self.note = folder.skipped_note()  # JSON files there that are not fixtures, said once at the end
        self._server = create_server(FixtureIndex(folder.fixtures), settings)
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

    def token(self, scopes: Iterable[str] = (), roles: Iterable[str] = (), **claims: Any) -> str:
        """A fake access token: a signed-in user's delegated `scopes`, or an application's `roles`
        (`upn=`, `personal=True` and other claims as `mockgraph.tokens.make_token` takes them)."""
        from .tokens import make_token

        return make_token(scopes, roles, **claims)

    def headers(self, scopes: Iterable[str] = (), roles: Iterable[str] = (), **claims: Any) -> dict[str, str]:
        """`{"Authorization": "Bearer <token>"}` for `token(...)`, ready for a client's headers."""
        return {"Authorization": f"Bearer {self.token(scopes, roles, **claims)}"}

    def reset(self) -> None:
        """Forget the requests seen so far, the stubs this test added and, stateful, the entities it wrote."""
        self._in_server(self._server.reset)

    # Stubs: answers this test writes, before the fixtures, for this test only (stubs.py).

    def stub(
        self,
        method: str,
        path: str,
        status: int = 200,
        json: Any = None,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> int:
        """Answer `method path` with this response (`times` times, else every time); its stub id."""
        mapping = {"status": status, "json": json, "body": body, "headers": headers or {}}
        return self._add_stub("stub", method, path, times, {k: v for k, v in mapping.items() if v is not None})

    def error(
        self, method: str, path: str, status: int, code: str | None = None, message: str | None = None, times: int | None = None
    ) -> int:
        """Answer `method path` with a Graph error (code and message default to Graph's for the status)."""
        error = {k: v for k, v in {"status": status, "code": code, "message": message}.items() if v is not None}
        return self._add_stub("error", method, path, times, {"error": error})

    def throttle(self, method: str, path: str, retry_after: str | float | None = "2.128", status: int = 429, times: int | None = 1) -> int:
        """Throttle `method path` (`times` answers) with `Retry-After: retry_after` (seconds, an HTTP date,
        or None for no header); a retry before it elapsed is throttled again, with a `throttle` finding."""
        throttle = {"status": status, **({"retryAfter": retry_after} if retry_after is not None else {})}
        return self._add_stub("throttle", method, path, times, {"throttle": throttle})

    def _add_stub(self, door: str, method: str, path: str, times: int | None, fields: dict[str, Any]) -> int:
        from .stubs import Stub

        mapping = {"method": method, "path": path, **({"times": times} if times is not None else {}), **fields}
        stub = Stub.from_mapping(mapping, f"mockgraph_server.{door}()")
        return self._in_server(self._server.stubs.add, stub)

    def _in_server(self, call: Callable[..., T], *args: Any) -> T:
        """Run `call` on the server's own thread, between requests, and return what it returns."""
        if not self._thread.is_alive():
            return call(*args)

        async def run() -> T:
            return call(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def assert_called(self, method: str, path: str, times: int | None = None) -> None:
        """Assert `method path` (query ignored, version prefix optional) was requested, `times` times if given."""
        __tracebackhide__ = True
        from .journal import counted
        from .paths import segments, split_version

        wanted = (method.upper(), segments(split_version(path)[1]))
        sent = self.requests
        calls = [e for e in sent if (e.method, segments(split_version(e.path.partition("?")[0])[1])) == wanted]
        if (times is None and calls) or len(calls) == times:
            return
        expected = "at least 1 call" if times is None else counted(times, "call")
        listed = "".join(f"\n  {e.method} {e.path} -> {e.status}" for e in sent[:_LISTED])
        more = f"\n  ... and {len(sent) - _LISTED} more" if len(sent) > _LISTED else ""
        heading = f"requests sent ({len(sent)}):" if sent else "no requests sent"
        raise AssertionError(f"expected {expected} to {method.upper()} {path}, got {len(calls)}\n{heading}{listed}{more}")

    def problems(self) -> str | None:
        """Why this test should fail: requests no fixture answered, or (strict) contract errors."""
        lines = []
        for entry in self.requests:
            if entry.unmatched:
                lines.append(f"{entry.method} {entry.path} matched no fixture (answered {entry.status})")
                if entry.error:  # the server's own explanation: the nearest fixtures and what differed
                    lines.extend(f"  {line}" for line in entry.error.splitlines())
            errors = [f for f in entry.findings if f.severity == "error"]
            if self.settings.strict and errors:
                lines.append(f"{entry.method} {entry.path} breaks the documented contract:")
                lines.extend(_finding_line(f) for f in errors)
        return "\n".join(lines) or None


_LISTED = 10  # requests listed in an assert_called failure


def _finding_line(f: Finding) -> str:
    return f"  {f.kind:<8} {f.path or '/'}: expected {f.expected}, got {f.actual}  ({f.message})"


def _settings(request: pytest.FixtureRequest) -> Settings:
    """The settings for this test: marker > command line > ini > settings file > defaults."""
    return _session_settings(request.config, _marker_kwargs(request.node))


def _session_settings(config: pytest.Config, marked: dict[str, Any] | None = None) -> Settings:
    """Precedence, decided here only: marker > command line > ini > settings file > defaults."""
    from .config import Settings, check_permissions, check_record

    marked = marked or {}
    settings = config.stash[_FILE_SETTINGS]
    fixtures = marked.get("fixtures") or config.getoption("mockgraph_fixtures") or config.getini("mockgraph_fixtures")
    strict = _first(marked.get("strict"), config.getoption("mockgraph_strict"), config.getini("mockgraph_strict"))
    record = marked.get("record") or config.getoption("mockgraph_record") or config.getini("mockgraph_record") or None
    upstream = marked.get("upstream") or config.getoption("mockgraph_upstream") or config.getini("mockgraph_upstream") or None
    permissions = marked.get("permissions") or config.getoption("mockgraph_permissions") or config.getini("mockgraph_permissions") or None
    stateful = _first(marked.get("stateful"), config.getoption("mockgraph_stateful"), config.getini("mockgraph_stateful"))
    settings = settings.but(strict=strict, record=record, upstream=upstream, permissions=permissions, stateful=stateful)
    check_permissions(settings.permissions, "mockgraph options")
    if fixtures:
        folder = Path(fixtures)
        settings = settings.but(fixtures=folder if folder.is_absolute() else config.rootpath / folder)
    elif settings.record == "none" and settings.fixtures == Settings().fixtures:
        settings = settings.but(fixtures=config.stash[_DEFAULT_FIXTURES])  # nothing configured: fixtures/ here if any, else bundled
    elif not settings.fixtures.is_absolute():
        settings = settings.but(fixtures=config.rootpath / settings.fixtures)
    return check_record(settings, "mockgraph options")


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


@pytest.fixture(scope="session")
def _mockgraph_servers() -> Iterator[dict[Settings, MockgraphServer]]:
    """One server per distinct settings for the whole session, stopped last-in, first-out."""
    servers: dict[Settings, MockgraphServer] = {}
    yield servers
    for server in reversed(list(servers.values())):
        server.stop()


@pytest.fixture
def mockgraph_server(request: pytest.FixtureRequest, _mockgraph_servers: dict[Settings, MockgraphServer]) -> Iterator[MockgraphServer]:
    """A mock Graph server answering from the fixtures; its journal holds this test's requests."""
    settings = _settings(request)
    if _marker_kwargs(request.node).get("fresh"):
        server = MockgraphServer(settings)  # this test's own, stopped after it
        _note(request.config, server)
        try:
            yield server
        finally:
            _keep(request, server)
            server.stop()
        return
    server = shared_server(_mockgraph_servers, settings)
    _note(request.config, server)
    server.reset()
    yield server
    _keep(request, server)


def shared_server(servers: dict[Settings, MockgraphServer], settings: Settings) -> MockgraphServer:
    """The session's server for exactly these settings (any field that differs, another server)."""
    if settings not in servers:
        servers[settings] = MockgraphServer(settings)
    return servers[settings]


def _keep(request: pytest.FixtureRequest, server: MockgraphServer) -> None:
    """This test's entries, marked with its node id, for the session's summary and reports."""
    test = request.node.nodeid
    request.config.stash[_ENTRIES].extend(dataclasses.replace(e, test=test) for e in server.requests)


def _note(config: pytest.Config, server: MockgraphServer) -> None:
    if server.note and server.note not in config.stash[_NOTES]:
        config.stash[_NOTES].append(server.note)


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
    for note in config.stash.get(_NOTES, []):
        terminalreporter.line(f"mockgraph: {note}", yellow=True)
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
    for report in _report_paths(config):
        from .fixturefile import write_atomic
        from .reports import FORMAT_BY_SUFFIX, cases_from_journal, render

        write_atomic(report, render(cases_from_journal(entries), FORMAT_BY_SUFFIX[report.suffix.lower()]))
        terminalreporter.line(f"mockgraph contract report: {report}")
    _write_coverage(terminalreporter, config, entries)


# ------------------------------------------------------------------------- coverage (issue 18)


def _coverage_path(config: pytest.Config) -> Path | None:
    """Command line > ini key, as for the report."""
    given = config.getoption("mockgraph_coverage") or config.getini("mockgraph_coverage")
    return Path(given) if given else None


def _write_coverage(terminalreporter: Any, config: pytest.Config, entries: list[JournalEntry]) -> None:
    """The coverage of the session's fixtures folder (the one a test gets without a marker) by every
    test's requests; under xdist, by the entries the workers handed over, so it is the same."""
    path = _coverage_path(config)
    if path is None:
        return
    from .coverage import coverage, render
    from .fixturefile import scan_fixtures, write_atomic
    from .reports import FORMAT_BY_SUFFIX

    folder = _session_settings(config).fixtures
    fixtures = scan_fixtures(folder).fixtures if folder.is_dir() else {}
    result = coverage(fixtures, entries)
    write_atomic(path, render(result, FORMAT_BY_SUFFIX[path.suffix.lower()]))
    terminalreporter.line(f"mockgraph coverage: {result.summary()}: {path}")
