"""A lean HTTP/1.1 load generator: keep-alive connections over raw asyncio sockets.

An HTTP client library would cost more CPU per request than the servers under test, and the
measurement would be of the client. This one sends prebuilt request bytes, reads only the status
line and Content-Length of each answer (and, if asked, looks for one header line), and times each
request from its write to its last byte. It runs in its own process (`python benchmarks/loadgen.py
...`, one JSON line on stdout) so that it has a core to itself; any unexpected status or closed
connection fails the whole run loudly.

The request file holds either one request, sent again and again, or many requests in frames
(`write_requests`), sent in turn by all connections together and cycled through from `--offset`:
a server that remembers answers to identical requests then sees each one again only after all the
others.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

_MAX_HEAD = 64 * 1024  # a response head larger than this is an error, not something to wait for
# A framed request file: this line, then per request its length in decimal, a newline, its bytes.
# A file without it is a single request (no HTTP request starts with "#").
FRAMED_MAGIC = b"#loadgen requests 1\n"


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
    distinct: int = 1  # how many different requests were cycled through


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    """Write a framed request file; return how many requests it holds."""
    count = 0
    with path.open("wb") as out:
        out.write(FRAMED_MAGIC)
        for request in requests:
            out.write(b"%d\n" % len(request))
            out.write(request)
            count += 1
    return count


def read_requests(path: Path) -> list[bytes]:
    """The requests in a file: a framed file's, or the whole file as one request."""
    data = path.read_bytes()
    if not data.startswith(FRAMED_MAGIC):
        return [data]
    requests = []
    at = len(FRAMED_MAGIC)
    while at < len(data):
        newline = data.find(b"\n", at, at + 21)
        if newline < 0 or not data[at:newline].isdigit():
            raise LoadError(f"{path}: no frame length at byte {at}")
        length = int(data[at:newline])
        at = newline + 1 + length
        if at > len(data):
            raise LoadError(f"{path}: the frame at byte {newline + 1} is cut short")
        requests.append(data[newline + 1 : at])
    if not requests:
        raise LoadError(f"{path}: holds no requests")
    return requests


class _Run:
    """Shared state of one measurement: the budget, the clock, the latencies, the first failure."""

    def __init__(
        self,
        requests: Sequence[bytes],
        expected_status: int,
        max_requests: int,
        connections: int,
        offset: int = 0,
        expected_header: bytes | None = None,
    ):
        self.requests = requests
        self.next_at = offset % len(requests)
        self.expected_status = b"%d" % expected_status
        self.expected_header = expected_header  # b"\r\nname: value", lowercase, or None
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

    def next_request(self) -> bytes:
        request = self.requests[self.next_at]
        self.next_at = (self.next_at + 1) % len(self.requests)
        return request

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
            self.transport.write(self.run.next_request())
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
        if self.run.expected_header is not None and self.run.expected_header not in lowered + b"\r\n":
            self.run.fail(f"expected the header {self.run.expected_header.strip().decode()!r}: {head[:600]!r}")
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
    requests: bytes | Sequence[bytes],
    *,
    expected_status: int,
    connections: int = 16,
    seconds: float = 3.0,
    max_requests: int = 1_000_000,
    connect_timeout: float = 5.0,
    offset: int = 0,
    expected_header: str | None = None,
) -> LoadResult:
    """Keep `connections` connections busy until `seconds` or `max_requests` run out.

    `requests` is one request, sent every time, or many, sent in turn from index `offset` on and
    cycled through. With `expected_header` ("name: value"), every response must carry that line.
    """
    loop = asyncio.get_running_loop()
    if isinstance(requests, bytes):
        requests = [requests]
    if not requests:
        raise LoadError("no requests to send")
    header = b"\r\n" + expected_header.lower().encode() + b"\r\n" if expected_header else None
    run = _Run(requests, expected_status, max_requests, connections, offset, header)
    opened: list[_Connection] = []
    try:
        for _ in range(connections):
            _, protocol = await asyncio.wait_for(loop.create_connection(lambda: _Connection(run), host, port), connect_timeout)
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
        distinct=len(requests),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request-file", type=Path, required=True, help="the exact request bytes, or a framed file of many")
    parser.add_argument("--offset", type=int, default=0, help="index of the first request of a framed file to send")
    parser.add_argument("--status", type=int, required=True, help="the status every response must have")
    parser.add_argument("--expect-header", help="'name: value' every response must carry (value compared case-insensitively)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    try:
        requests = read_requests(args.request_file)
        result = asyncio.run(
            generate_load(
                args.host,
                args.port,
                requests,
                expected_status=args.status,
                connections=args.connections,
                seconds=args.seconds,
                max_requests=args.max_requests,
                offset=args.offset,
                expected_header=args.expect_header,
            )
        )
    except (LoadError, OSError) as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
