"""The `mockgraph` command: import documentation pages, serve fixtures, report contract differences.

Exit status: 0 success (an import with warnings included); 1 a report holds contract errors or a
request that matched no fixture (for `serve`, at stop, as `fail-on` says); 2 bad input (a clear
message on stderr naming the file and what is wrong).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import TextIO

from .config import FAIL_ON, MAX_PORT, PERMISSION_MODES, RECORD_MODES, Settings, check_record, load_settings
from .errors import MockgraphError
from .fixturefile import bundled_fixtures, gc_paused, holds_fixtures, load_fixture, scan_fixtures, write_atomic
from .index import FixtureIndex
from .journal import counted, read_journal, summarize
from .models import JsonValue
from .reports import FORMAT_BY_SUFFIX, FORMATS, Case, cases_from_journal, failed, render
from .server import MockServer, create_server, running


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except MockgraphError as exc:
        print(f"mockgraph: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockgraph", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mockgraph {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    imp = commands.add_parser("import", help="turn Graph documentation pages into fixture files")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a page, or a folder of pages")
    imp.add_argument("--out", type=Path, required=True, help="folder to write fixtures into")
    imp.add_argument("--root", type=Path, help="folder that recorded page paths are relative to")
    imp.add_argument("--clean", action="store_true", help="remove fixture files this import no longer writes")
    imp.add_argument("--quiet", action="store_true", help="print the summary only, not each warning")
    imp.add_argument("--jobs", type=_jobs, help="processes for a large tree (default: one per CPU)")
    imp.set_defaults(run=_import)

    serve = commands.add_parser("serve", help="answer requests from fixture files")
    serve.add_argument("--fixtures", type=Path, help="fixtures folder (default: fixtures/ here, else the bundled ones)")
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port (default: 8080; 0 picks a free one)")
    serve.add_argument("--config", type=Path, help="settings file (default: mockgraph.toml or pyproject.toml)")
    serve.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default: 10 MB)")
    serve.add_argument("--strict", action="store_true", default=None, help="answer contract errors with 400")
    serve.add_argument("--journal", type=Path, help="append every request, with its findings, to this JSON Lines file")
    serve.add_argument(
        "--report", type=Path, action="append", help="on stop, write a contract report of the requests kept in memory (repeatable)"
    )
    serve.add_argument("--fail-on", choices=FAIL_ON, help="exit 1 at stop on contract errors (default), also warnings, or never")
    serve.add_argument("--quiet", action="store_true", help="no line per request on stderr, only the summary at stop")
    serve.add_argument(
        "--record", choices=RECORD_MODES, help="record mode (default: none): " + "; ".join(f"{m}: {h}" for m, h in RECORD_MODES.items())
    )
    serve.add_argument("--upstream", help="where record modes forward requests, e.g. https://graph.microsoft.com")
    serve.add_argument("--upstream-timeout", type=float, help="seconds to wait for the upstream (default: 30)")
    serve.add_argument("--redact", action="append", metavar="NAME", help="also redact this header or field name (repeatable)")
    serve.add_argument("--pseudonymize", action="store_true", default=None, help="record GUIDs and e-mail addresses as stable pseudonyms")
    serve.add_argument(
        "--permissions",
        choices=PERMISSION_MODES,
        help="tokens against the documented permissions (default: report): " + "; ".join(f"{m}: {h}" for m, h in PERMISSION_MODES.items()),
    )
    serve.add_argument("--page-size", type=_page_size, help="page collection answers: at most N items, the rest behind @odata.nextLink")
    serve.add_argument(
        "--stateful",
        action="store_true",
        default=None,
        help="keep the entities requests write and answer reads from them (see Stateful mode)",
    )
    serve.add_argument("--state-limit", type=_page_size, help="entities the stateful mode holds at most (default: 10000); past it, 507")
    serve.set_defaults(run=_serve)

    diff = commands.add_parser("diff", help="check one JSON payload against a fixture's contract")
    diff.add_argument("payload", type=Path, metavar="PAYLOAD", help="a JSON file")
    diff.add_argument("--fixture", type=Path, required=True, help="the fixture whose contract applies")
    diff.add_argument("--config", type=Path, help="settings file (for per-kind severities)")
    _report_options(diff)
    diff.set_defaults(run=_diff)

    report = commands.add_parser("report", help="turn a journal written by `serve --journal` into a report")
    report.add_argument("journal", type=Path, metavar="JOURNAL", help="a JSON Lines journal")
    _report_options(report)
    report.set_defaults(run=_report)

    lint = commands.add_parser("lint", help="report the documentation's own contract breaks")
    lint.add_argument("paths", nargs="+", type=Path, metavar="PAGE", help="a page, or a folder of pages")
    lint.add_argument("--root", type=Path, help="folder that page names are relative to")
    lint.add_argument("--jobs", type=_jobs, help="processes for a large tree (default: one per CPU)")
    _report_options(lint)
    lint.set_defaults(run=_lint)

    verify = commands.add_parser("verify", help="check that every fixture answers its own documented request")
    verify.add_argument("fixtures", type=Path, metavar="FIXTURES_DIR", help="a folder of fixtures")
    verify.add_argument("--config", type=Path, help="settings file (severities, max-body-bytes)")
    verify.add_argument("--quiet", action="store_true", help="failures and counts only, not each contract note")
    verify.set_defaults(run=_verify)
    _drift_and_coverage_commands(commands)

    token = commands.add_parser("token", help="print a fake bearer token for tests (unsigned: mockgraph does not check signatures)")
    token.add_argument(
        "--scp", default="", metavar="SCOPES", help='delegated scopes, space-separated: "OnlineMeetings.ReadWrite User.Read"'
    )
    token.add_argument("--roles", default="", metavar="ROLES", help="application permissions, space- or comma-separated")
    token.add_argument("--upn", help="the signed-in user's principal name (delegated tokens)")
    token.add_argument("--personal", action="store_true", help="a personal Microsoft account (the consumers tenant)")
    token.add_argument("--header", action="store_true", help="print `Authorization: Bearer ...` rather than the bare token")
    token.set_defaults(run=_token)
    return parser


def _token(args: argparse.Namespace) -> int:
    from .tokens import make_token

    scopes, roles = args.scp.replace(",", " ").split(), args.roles.replace(",", " ").split()
    if not scopes and not roles:
        raise MockgraphError("token: give --scp (a delegated caller) or --roles (an application), or both")
    text = make_token(scopes, roles, upn=args.upn, personal=args.personal)
    print(f"Authorization: Bearer {text}" if args.header else text)
    return 0


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, help="report format (default: from --output's extension, else text)")
    parser.add_argument("--output", type=Path, help="write the report here instead of to stdout")


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to {MAX_PORT})")
    return port


def _at_least_one(what: str) -> Callable[[str], int]:
    """An argparse type: a whole number of `what`, 1 or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"expected a number of {what}, 1 or more, got {text!r}")
        return value

    return parse


_page_size = _at_least_one("items")
_jobs = _at_least_one("processes")


def _import(args: argparse.Namespace) -> int:
    from .importer import default_jobs, import_paths, write_fixtures

    started = time.perf_counter()
    with _progress_line() as progress:
        result = import_paths(args.paths, root=args.root, progress=progress, jobs=args.jobs or default_jobs())
    if not args.quiet:
        for diagnostic in result.diagnostics:
            print(diagnostic, file=sys.stderr)
    count = write_fixtures(result, args.out, clean=args.clean)
    seconds = time.perf_counter() - started
    print(result.summary())
    print(f"{count} fixtures in {args.out}")
    print(f"{result.pages} pages in {seconds:.2f} s ({result.pages / max(seconds, 1e-9):,.0f} pages/s)")
    return 0


@contextmanager
def _progress_line() -> Iterator[_ProgressLine | None]:
    """A progress line on stderr where stderr is a terminal (None elsewhere), erased at the end."""
    progress = _ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        yield progress
    finally:
        if progress is not None:
            progress.clear()


class _ProgressLine:
    """One terminal line that counts pages, `importing page 1,234 of 7,100 (17%)`, redrawn at most
    ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._drawn_at: float | None = None

    def __call__(self, number: int, total: int) -> None:
        now = time.monotonic()
        if self._drawn_at is not None and now - self._drawn_at < 0.1 and number != total:
            return
        self._drawn_at = now
        self._stream.write(f"\r\x1b[Kimporting page {number:,} of {total:,} ({number / total:.0%})")
        self._stream.flush()

    def clear(self) -> None:
        if self._drawn_at is not None:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _diff(args: argparse.Namespace) -> int:
    from .differ import checker_for

    checker = checker_for(load_fixture(args.fixture), load_settings(args.config).severity)
    if checker is None:
        raise MockgraphError(f"{args.fixture}: documents no contract (no JSON request example, no property table)")
    payload = _read_json_file(args.payload)
    case = Case(args.payload.name, checker.check(payload), fixture=args.fixture.as_posix())
    return _emit([case], args, per_request=False)


def _report(args: argparse.Namespace) -> int:
    return _emit(cases_from_journal(read_journal(args.journal)), args, per_request=True)


def _lint(args: argparse.Namespace) -> int:
    from .importer import default_jobs
    from .lint import lint_pages, not_checked, unreadable_permissions

    with _progress_line() as progress:
        linted, diagnostics = lint_pages(args.paths, root=args.root, progress=progress, jobs=args.jobs or default_jobs())
    cases = [Case(example.name, example.findings, skipped=example.skipped) for example in linted]
    cases += [Case(f"{d.page}:{d.line}", (), skipped=f"{d.reason}: {d.message}") for d in not_checked(diagnostics)]
    cases += [Case(name, (finding,)) for name, finding in unreadable_permissions(diagnostics)]
    return _emit(cases, args, per_request=True, title="mockgraph documentation lint")


def _verify(args: argparse.Namespace) -> int:
    from .verify import run_verify

    return run_verify(args.fixtures, sys.stdout, load_settings(args.config), notes=not args.quiet)


def _emit(cases: list, args: argparse.Namespace, per_request: bool, title: str = "mockgraph contract report") -> int:
    """Write the report where asked, in the format asked, else the one `--output`'s extension names;
    exit 1 when it holds errors or a request that matched no fixture."""
    fmt = args.format or (FORMAT_BY_SUFFIX.get(args.output.suffix.lower()) if args.output else None) or "text"
    color = args.output is None and fmt == "text" and sys.stdout.isatty()
    text = render(cases, fmt, title=title, color=color, per_request=per_request)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    return int(failed(cases))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mockgraph")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
        return "unknown"


def _read_json_file(path: Path) -> JsonValue:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MockgraphError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise MockgraphError(f"{path}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise MockgraphError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings(args.config).but(
        fixtures=args.fixtures,
        host=args.host,
        port=args.port,
        max_body_bytes=args.max_body_bytes,
        strict=args.strict,
        journal=args.journal,
        report=tuple(args.report) if args.report else None,
        record=args.record,
        upstream=args.upstream,
        upstream_timeout=args.upstream_timeout,
        pseudonymize=args.pseudonymize,
        fail_on=args.fail_on,
        permissions=args.permissions,
        page_size=args.page_size,
        stateful=args.stateful,
        state_limit=args.state_limit,
    )
    if args.redact:
        settings = settings.but(redact=(*settings.redact, *args.redact))
    check_record(settings)
    for report in settings.report:
        if report.suffix.lower() not in FORMAT_BY_SUFFIX:
            raise MockgraphError(f"{report}: a report's name must end in one of {', '.join(FORMAT_BY_SUFFIX)}")
    _log_requests(quiet=args.quiet)
    if settings.record != "none":  # recording may start from nothing
        settings.fixtures.mkdir(parents=True, exist_ok=True)
    elif args.fixtures is None and settings.fixtures == Settings().fixtures and not holds_fixtures(settings.fixtures):
        # Nothing configured and no fixtures here: the ones that come with mockgraph answer.
        settings = settings.but(fixtures=bundled_fixtures())
        print(f"mockgraph: no fixtures/ folder here; serving the bundled fixtures ({FOLDER_HINT})", file=sys.stderr, flush=True)
    with gc_paused():
        folder = scan_fixtures(settings.fixtures)
        if note := folder.skipped_note():
            print(f"mockgraph: {note}", file=sys.stderr, flush=True)
        server = create_server(FixtureIndex(folder.fixtures), settings)
        # What was loaded lives as long as the server: out of the collector's sight, no collection
        # walks it again, not even the one that would start as soon as the collector is back.
        gc.freeze()
    asyncio.run(_run_until_signalled(server, settings))
    entries = list(server.journal)
    cases = cases_from_journal(entries)
    for report in settings.report:
        write_atomic(report, render(cases, FORMAT_BY_SUFFIX[report.suffix.lower()]))
        print(f"contract report: {report}", flush=True)
    return _verdict(cases, settings.fail_on)


FOLDER_HINT = "use your own with --fixtures DIR; make them with `mockgraph import PAGE... --out DIR`"


def _log_requests(quiet: bool) -> None:
    """The server's line per request (logger `mockgraph.requests`, INFO) on stderr, unless quiet;
    its warnings and errors always."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("mockgraph")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.getLogger("mockgraph.requests").setLevel(logging.WARNING if quiet else logging.INFO)


def _verdict(cases: list[Case], fail_on: str) -> int:
    """Say what the server saw on stderr; 1 when a request matched nothing or, as `fail_on` says,
    the payloads broke the contract."""
    counts = summarize(f for case in cases for f in case.findings)
    unmatched = sum(case.unmatched for case in cases)
    print(
        f"mockgraph: {counted(len(cases), 'request')}, {unmatched} unmatched, "
        f"{counted(counts['errors'], 'contract error')}, {counted(counts['warnings'], 'warning')}",
        file=sys.stderr,
        flush=True,
    )
    if unmatched:
        return 1
    if fail_on == "errors":
        return int(counts["errors"] > 0)
    if fail_on == "warnings":
        return int(counts["errors"] + counts["warnings"] > 0)
    return 0


async def _run_until_signalled(server: MockServer, settings: Settings) -> None:
    index = server.index
    async with AsyncExitStack() as stack:
        try:
            base_url = await stack.enter_async_context(running(server, settings.host, settings.port))
        except OSError as exc:
            raise MockgraphError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
        print(f"mockgraph listening on {base_url}", flush=True)
        print(f"loaded {index.fixture_count} fixtures ({len(index.routes)} routes) from {settings.fixtures}", flush=True)
        if settings.record != "none":
            effect = f"forwarding to {settings.upstream}" if server.record_mode != "none" else "recordings found, replaying only"
            print(f"record mode {settings.record}: {effect}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        print("mockgraph stopped", flush=True)


# ------------------------------------------------------------------ drift and coverage (issue 18)


def _drift_and_coverage_commands(commands: argparse._SubParsersAction) -> None:
    drift = commands.add_parser("drift", help="compare the fixtures' answers with a real Graph's (or anything that plays it)")
    drift.add_argument("fixtures", type=Path, metavar="FIXTURES_DIR", help="a folder of fixtures")
    drift.add_argument("--upstream", required=True, help="where to send the requests, e.g. https://graph.microsoft.com")
    drift.add_argument("--token-env", metavar="NAME", help="environment variable holding a bearer token to send")
    drift.add_argument("--allow-writes", action="store_true", help="also send POST, PATCH, PUT and DELETE (they may change data)")
    drift.add_argument("--concurrency", type=_jobs, default=8, help="requests in flight at most (default: 8)")
    drift.add_argument("--timeout", type=_seconds, default=30.0, help="seconds each request may take (default: 30)")
    drift.add_argument("--redact", action="append", metavar="NAME", help="also redact this header or field name (repeatable)")
    _report_options(drift)
    drift.set_defaults(run=_drift)

    cov = commands.add_parser("coverage", help="which documented operations the journals exercised")
    cov.add_argument("journals", nargs="+", type=Path, metavar="JOURNAL", help="JSON Lines journals (serve --journal)")
    cov.add_argument("--fixtures", type=Path, required=True, help="the fixtures folder the journals' server answered from")
    cov.add_argument("--format", choices=FORMATS, help="report format (default: from --output's extension, else text)")
    cov.add_argument("--output", type=Path, help="write the report here instead of to stdout")
    cov.set_defaults(run=_coverage)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _drift(args: argparse.Namespace) -> int:
    import os

    from .drift import drift
    from .redact import Redactor

    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise MockgraphError(f"--token-env {args.token_env}: no such environment variable, or it is empty")
    folder = scan_fixtures(args.fixtures)
    if not folder.fixtures:
        raise MockgraphError(f"{args.fixtures}: holds no fixture files")
    redactor = Redactor(args.redact or ())
    report = asyncio.run(
        drift(
            folder.fixtures,
            args.upstream,
            token=token,
            allow_writes=args.allow_writes,
            concurrency=args.concurrency,
            timeout=args.timeout,
            redactor=redactor,
        )
    )
    cases = report.cases
    fmt = args.format or (FORMAT_BY_SUFFIX.get(args.output.suffix.lower()) if args.output else None) or "text"
    color = args.output is None and fmt == "text" and sys.stdout.isatty()
    text = render(cases, fmt, title=f"mockgraph drift against {redactor.text(args.upstream)}", color=color, per_request=True)
    if fmt == "json":  # the outcome of each request, and the counts, which the contract report does not know
        data = json.loads(text)
        for entry, result in zip(data["requests"], report.results):
            entry["outcome"] = result.outcome
        data["drift"] = {k: report.count(k) for k in ("same", "drifted", "failed", "skipped")}
        text = json.dumps(data, indent=2) + "\n"
    elif fmt == "text":
        text += report.summary() + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    print(f"mockgraph drift: {report.summary()}", file=sys.stderr)
    return int(report.drifted)


def _coverage(args: argparse.Namespace) -> int:
    from .coverage import coverage, render

    fixtures = scan_fixtures(args.fixtures).fixtures
    entries = [entry for journal in args.journals for entry in read_journal(journal)]
    result = coverage(fixtures, entries)
    fmt = args.format or (FORMAT_BY_SUFFIX.get(args.output.suffix.lower()) if args.output else None) or "text"
    text = render(result, fmt)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    print(f"mockgraph coverage: {result.summary()}", file=sys.stderr)
    return 0
