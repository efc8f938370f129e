"""The servers mockgraph is compared with, each run in a process of its own.

- `baseline`: a bare aiohttp application, one catch-all route answering every request with the
  same status, Content-Type and body bytes mockgraph sends. It is what mockgraph costs on top of.
- `parsing`: the same, but it also reads each request's body and parses it with `json.loads`: the
  least any server that looks at a JSON payload must do (issue 16's second baseline).
- `ceiling`: a raw asyncio server writing one fixed HTTP response per request, far cheaper than
  any aiohttp server; what the load generator reaches against it shows the generator is not the
  bottleneck of the other measurements.

    python benchmarks/servers.py baseline --body-file BODY --status 201 --content-type application/json

Each prints `<kind> listening on http://127.0.0.1:PORT` once it accepts connections, and stops on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path

from aiohttp import web

_MAX_HEAD = 64 * 1024

Stop = Callable[[], Awaitable[None]]


async def serve_baseline(host: str, port: int, status: int, content_type: str, body: bytes, parse: bool = False) -> tuple[str, Stop]:
    """Start the bare aiohttp server; return its base URL and a coroutine function that stops it."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Content-Type": content_type}, body=body)

    async def parse_and_answer(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.Response(status=status, headers={"Content-Type": content_type}, body=body)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", parse_and_answer if parse else answer)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound = runner.addresses[0]
    return f"http://{bound[0]}:{bound[1]}", runner.cleanup


class _FixedResponse(asyncio.Protocol):
    """Reads each request just far enough to find its end, then writes the same response bytes."""

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        buffer = self.buffer
        buffer += data
        for _ in range(1000):  # pipelined requests in one read, bounded
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self.transport.close()
                return
            head = bytes(buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            length = 0
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else None])
            total = end + 4 + length
            if len(buffer) < total:
                return
            del buffer[:total]
            self.transport.write(self.response)


async def serve_ceiling(host: str, port: int, status: int, content_type: str, body: bytes) -> tuple[str, Stop]:
    """Start the raw asyncio server; return its base URL and a coroutine function that stops it."""
    reason = HTTPStatus(status).phrase
    response = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    server = await asyncio.get_running_loop().create_server(lambda: _FixedResponse(response), host, port)
    bound = server.sockets[0].getsockname()

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return f"http://{bound[0]}:{bound[1]}", stop


async def _run(kind: str, args: argparse.Namespace) -> None:
    body = args.body_file.read_bytes()
    if kind == "ceiling":
        url, stop = await serve_ceiling(args.host, args.port, args.status, args.content_type, body)
    else:
        url, stop = await serve_baseline(args.host, args.port, args.status, args.content_type, body, parse=kind == "parsing")
    try:
        print(f"{kind} listening on {url}", flush=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
    finally:
        await stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["baseline", "parsing", "ceiling"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status", type=int, required=True)
    parser.add_argument("--content-type", required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.kind, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
