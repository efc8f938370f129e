"""Child processes of the benchmark: servers that announce their URL, and one-shot probes of them.

Every server is started by `server_process`, which yields once the server's first line names its
URL and, on any way out (an error, Ctrl-C, SIGTERM turned into SystemExit), stops it: SIGTERM,
then SIGKILL if it lingers. On Linux each child also asks the kernel to SIGTERM it should the
benchmark itself die without cleaning up.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_URL = re.compile(r"listening on (http://([\d.]+):(\d+))")
_PR_SET_PDEATHSIG = 1

try:
    _libc: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _libc = None


class BenchError(Exception):
    """The benchmark cannot go on: a server did not start, answered wrongly, or the load failed."""


def child_setup(cpu: int | None) -> Callable[[], None]:
    """A preexec_fn: die with the parent, and run on `cpu` alone if one is given."""

    def setup() -> None:
        if _libc is not None and hasattr(_libc, "prctl"):
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    return setup


@dataclass
class Server:
    label: str
    process: subprocess.Popen[bytes]
    url: str
    host: str
    port: int
    spawned_at: float  # time.perf_counter() just before the process was spawned
    announced_at: float  # ... and once its URL line was read

    def cpu_seconds(self) -> float | None:
        """CPU time the server has used so far (Linux), to show whether it was the busy side."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rpartition(")")[2].split()  # the command name before ")" may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"{self.label} exited with status {self.process.returncode}")


@contextmanager
def server_process(label: str, argv: Sequence[str], *, cwd: Path, cpu: int | None = None, timeout: float = 60.0) -> Iterator[Server]:
    """Run `argv` until the block ends; yield once it prints `... listening on http://HOST:PORT`."""
    with tempfile.TemporaryFile() as errors:
        spawned_at = time.perf_counter()
        process = subprocess.Popen(
            list(argv), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, preexec_fn=child_setup(cpu)
        )
        try:
            try:
                line = _first_line(process, time.monotonic() + timeout)
            except BenchError as exc:
                errors.seek(0)
                tail = errors.read()[-2000:].decode(errors="replace")
                raise BenchError(f"{label}: {exc}\n{tail}") from None
            match = _URL.search(line)
            if not match:
                raise BenchError(f"{label}: expected a 'listening on http://...' line, got {line!r}")
            yield Server(label, process, match[1], match[2], int(match[3]), spawned_at, time.perf_counter())
        finally:
            stop(process)


def compile_bytecode(tree: Path) -> None:
    """Compile `tree`'s mockgraph/ package as `make install` does for this checkout: where
    PYTHONDONTWRITEBYTECODE is set (as on these machines), a package without bytecode, or with
    sources edited since, is compiled again at every start, and a timed start would measure that."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "mockgraph")], check=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    if process.stdout is not None:
        process.stdout.close()


def _first_line(process: subprocess.Popen[bytes], deadline: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    received = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in received:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError("no 'listening on' line in time")
            if not selector.select(left):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise BenchError(f"exited before listening (status {process.wait(5)})")
            received += chunk
    return received.partition(b"\n")[0].decode(errors="replace")


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    contract: str | None = None  # mockgraph's `mockgraph-contract` header: its findings by severity


def request_once(host: str, port: int, method: str, path: str, body: bytes | None, timeout: float = 10.0) -> Answer:
    """One request on a fresh connection; an OSError (e.g. refused) is the caller's to handle."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read(), response.getheader("mockgraph-contract"))
    finally:
        connection.close()
