"""The `mockgraph` command: import documentation pages, serve fixtures.

Exit status: 0 success (an import with warnings included), 2 bad input (a clear message on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

from .config import MAX_PORT, Settings, load_settings
from .errors import MockgraphError
from .fixturefile import load_fixtures
from .index import FixtureIndex
from .server import create_app, running


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
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    imp = commands.add_parser("import", help="turn Graph documentation pages into fixture files")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a page, or a folder of pages")
    imp.add_argument("--out", type=Path, required=True, help="folder to write fixtures into")
    imp.add_argument("--root", type=Path, help="folder that recorded page paths are relative to")
    imp.add_argument("--clean", action="store_true", help="remove fixture files this import no longer writes")
    imp.add_argument("--quiet", action="store_true", help="print the summary only, not each warning")
    imp.set_defaults(run=_import)

    serve = commands.add_parser("serve", help="answer requests from fixture files")
    serve.add_argument("--fixtures", type=Path, help="fixtures folder (default: fixtures)")
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port (default: 8080; 0 picks a free one)")
    serve.add_argument("--config", type=Path, help="settings file (default: mockgraph.toml or pyproject.toml)")
    serve.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default: 10 MB)")
    serve.set_defaults(run=_serve)
    return parser


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to {MAX_PORT})")
    return port


def _import(args: argparse.Namespace) -> int:
    from .importer import import_paths, write_fixtures

    result = import_paths(args.paths, root=args.root)
    if not args.quiet:
        for diagnostic in result.diagnostics:
            print(diagnostic, file=sys.stderr)
    count = write_fixtures(result, args.out, clean=args.clean)
    print(result.summary())
    print(f"{count} fixtures in {args.out}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings(args.config).but(
        fixtures=args.fixtures, host=args.host, port=args.port, max_body_bytes=args.max_body_bytes
    )
    fixtures = load_fixtures(settings.fixtures)
    index = FixtureIndex(fixtures)
    asyncio.run(_run_until_signalled(index, settings))
    return 0


async def _run_until_signalled(index: FixtureIndex, settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        try:
            base_url = await stack.enter_async_context(running(create_app(index, settings), settings.host, settings.port))
        except OSError as exc:
            raise MockgraphError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
        print(f"mockgraph listening on {base_url}", flush=True)
        print(f"loaded {index.fixture_count} fixtures ({len(index.routes)} routes) from {settings.fixtures}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        print("mockgraph stopped", flush=True)
