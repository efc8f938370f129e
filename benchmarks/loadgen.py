"""A lean HTTP/1.1 load generator: keep-alive connections over raw asyncio sockets.

An HTTP client library would cost more CPU per request than the servers under test, and the
measurement would be of the client. This one sends prebuilt request bytes, reads only the status
line and Content-Length of each answer, and times each request from its write to its last byte.
It runs in its own process (`python benchmarks/loadgen.py ...`, one JSON line on stdout) so that
it has a core to itself; any unexpected status or closed connection fails the whole run loudly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

_MAX_HEAD = 64 * 1024  # a response head larger than this is an error, not something to wait for


class LoadError(Exception):
    """The server under load answered something other than what was expected."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float  # from the first request written to the last response read
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu: float  # the generator's own CPU time over `seconds`: near 1.0 means it is the bottleneck


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


class _Run:
    """Shared state of one measurement: the budget, the clock, the latencies, the first failure."""

    def __init__(self, request: bytes, expected_status: int, max_requests: int, connections: int):
        self.request = request
        self.expected_status = b"%d" % expected_status
        self.max_requests = max_requests
        self.latencies: list[float] = []
        self.issued = 0
        self.started = 0.0
        self.deadline = 0.0
        self.last_done = 0.0
        self.idle = 0
        self.connections = connections
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def may_send(self, now: float) -> bool:
        if self.done.done() or now >= self.deadline or self.issued >= self.max_requests:
            return False
        self.issued += 1
        return True

    def went_idle(self) -> None:
        self.idle += 1
        if self.idle == self.connections and not self.done.done():
            self.done.set_result(None)

    def fail(self, message: str) -> None:
        if not self.done.done():
            self.done.set_exception(LoadError(message))


class _Connection(asyncio.Protocol):
    """One keep-alive connection: write a request, read its response, write the next."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.need = -1  # bytes of the response being read, once its head is parsed
        self.status = b""
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send_next(self, now: float) -> None:
        if self.run.may_send(now):
            assert self.transport is not None
            self.sent_at = now
            self.transport.write(self.run.request)
        else:
            self.run.went_idle()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    self.run.fail(f"response head longer than {_MAX_HEAD} bytes")
                return
            self.need = self._parse_head(bytes(buffer[:end]), end + 4)
            if self.need < 0:
                return
        if len(buffer) < self.need:
            return
        now = time.perf_counter()
        if len(buffer) > self.need:
            self.run.fail(f"{len(buffer) - self.need} bytes arrived after a complete response")
            return
        del buffer[:]
        self.need = -1
        if self.status != self.run.expected_status:
            self.run.fail(f"expected status {self.run.expected_status.decode()}, got {self.status.decode(errors='replace')}")
            return
        self.run.latencies.append(now - self.sent_at)
        self.run.last_done = now
        self.send_next(now)

    def _parse_head(self, head: bytes, body_start: int) -> int:
        """The response's total length from its head, or -1 after failing the run."""
        if not head.startswith(b"HTTP/1.1 "):
            self.run.fail(f"not an HTTP/1.1 response: {head[:80]!r}")
            return -1
        self.status = head[9:12]
        lowered = head.lower()
        if b"\r\nconnection: close" in lowered:
            self.run.fail(f"server closes the connection (status {self.status.decode(errors='replace')}): {head[:200]!r}")
            return -1
        at = lowered.find(b"\r\ncontent-length:")
        if at < 0:
            self.run.fail(f"response without Content-Length: {head[:200]!r}")
            return -1
        end = lowered.find(b"\r\n", at + 2)
        try:
            length = int(lowered[at + 17 : end if end >= 0 else len(lowered)])
        except ValueError:
            self.run.fail(f"bad Content-Length in {head[:200]!r}")
            return -1
        return body_start + length

    def connection_lost(self, exc: Exception | None) -> None:
        self.run.fail(f"server closed a connection mid-run ({exc or 'EOF'})")  # a no-op once the run is over


async def generate_load(
    host: str,
    port: int,
    request: bytes,
    *,
    expected_status: int,
    connections: int = 16,
    seconds: float = 3.0,
    max_requests: int = 1_000_000,
    connect_timeout: float = 5.0,
) -> LoadResult:
    """Keep `connections` connections busy with `request` until `seconds` or `max_requests` run out."""
    loop = asyncio.get_running_loop()
    run = _Run(request, expected_status, max_requests, connections)
    opened: list[_Connection] = []
    try:
        for _ in range(connections):
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: _Connection(run), host, port), connect_timeout
            )
            opened.append(protocol)
        cpu_before = time.process_time()
        run.started = run.last_done = time.perf_counter()
        run.deadline = run.started + seconds
        for connection in opened:
            connection.send_next(run.started)
        # Responses in flight at the deadline are waited for, but not forever.
        await asyncio.wait_for(asyncio.shield(run.done), seconds + 10.0)
    except asyncio.TimeoutError:
        raise LoadError(f"responses stopped coming: {len(run.latencies)} of {run.issued} answered") from None
    finally:
        for connection in opened:
            if connection.transport is not None:
                connection.transport.close()
    cpu = time.process_time() - cpu_before
    latencies = sorted(run.latencies)
    elapsed = run.last_done - run.started
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] * 1000) if latencies else float("nan"),
        cpu=cpu / elapsed if elapsed > 0 else 0.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request-file", type=Path, required=True, help="the exact request bytes to send")
    parser.add_argument("--status", type=int, required=True, help="the status every response must have")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    request = args.request_file.read_bytes()
    try:
        result = asyncio.run(
            generate_load(
                args.host,
                args.port,
                request,
                expected_status=args.status,
                connections=args.connections,
                seconds=args.seconds,
                max_requests=args.max_requests,
            )
        )
    except (LoadError, OSError) as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
