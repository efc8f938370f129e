"""Forwarding benchmark (`make bench`): what record mode adds to a call, against calling the same upstream directly.

The upstream is the bare aiohttp server of benchmarks/servers.py answering the seed's 201 body,
in a process of its own. The load generator (benchmarks/loadgen.py, another process) sends the
seed's request, with a bearer token, either straight to it (`direct`) or through
`mockgraph serve --record all --upstream ...` (`forwarded`), which forwards every request,
streams the answer back, and compares the recording with the file already on disk (the same
interaction each time, so after the first it is never rewritten).

Two loads per round, the targets in alternating order: one connection (latency: what a single
test waits) and sixteen (throughput). The report gives medians over rounds and the ratio of
forwarded to direct in the same round, because these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from corpus import SEED_NAME, load_seed
from loadgen import LoadResult
from procs import BenchError, Server, child_setup, request_once, server_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.bench-signature"
LOADS = (("latency, 1 connection", 1), ("throughput, 16 connections", 16))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds of load per target, load and round")
    parser.add_argument("--quick", action="store_true", help="2 short rounds: a smoke run, numbers not to be trusted")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 2, 0.5
    try:
        print(_run(args.rounds, args.seconds))
    except BenchError as exc:
        print(f"\nbench_forward: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def _run(rounds: int, seconds: float) -> str:
    seed = load_seed(ROOT / "fixtures" / SEED_NAME)
    path = "/v1.0/me/onlineMeetings"
    body = json.dumps(seed.request.body.json).encode()
    with tempfile.TemporaryDirectory(prefix="mockgraph-bench-forward-") as tmp:
        work = Path(tmp)
        (work / "response.body").write_bytes(json.dumps(seed.response.body.json).encode())
        request = work / "request.http"
        request.write_bytes(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        upstream_argv = [
            sys.executable, str(HERE / "servers.py"), "baseline", "--status", "201",
            "--content-type", "application/json", "--body-file", str(work / "response.body"),
        ]  # fmt: skip
        results: dict[tuple[str, str], list[LoadResult]] = {}
        with server_process("upstream", upstream_argv, cwd=work) as upstream:
            mockgraph_argv = [
                sys.executable, "-m", "mockgraph", "serve", "--port", "0", "--fixtures", str(work / "fixtures"),
                "--record", "all", "--upstream", upstream.url,
            ]  # fmt: skip
            with server_process("mockgraph", mockgraph_argv, cwd=work) as mockgraph:
                direct = request_once(upstream.host, upstream.port, "POST", path, body)
                forwarded = request_once(mockgraph.host, mockgraph.port, "POST", path, body)
                if (forwarded.status, forwarded.body) != (direct.status, direct.body):
                    raise BenchError(f"forwarded answer {forwarded.status} differs from the upstream's {direct.status}")
                recorded = list((work / "fixtures").rglob("*.json"))
                if len(recorded) != 1 or TOKEN.encode() in recorded[0].read_bytes():
                    raise BenchError(f"expected one redacted recording, found {recorded}")
                targets = {"direct": upstream, "forwarded": mockgraph}
                for number in range(rounds):
                    order = list(targets) if number % 2 == 0 else list(reversed(targets))
                    for load, connections in LOADS:
                        for label in order:
                            run_load(targets[label], request, connections, seconds / 4)  # warm-up
                            result = run_load(targets[label], request, connections, seconds)
                            results.setdefault((load, label), []).append(result)
                    print(f"round {number + 1}/{rounds} done", flush=True)
                if len(list((work / "fixtures").rglob("*.json"))) != 1:
                    raise BenchError("repeating one interaction wrote more than one recording")
    return _report(results, rounds, seconds)


def run_load(server: Server, request: Path, connections: int, seconds: float, status: int = 201) -> LoadResult:
    """One load run of benchmarks/loadgen.py against `server`, in a process of its own."""
    command = [
        sys.executable, str(HERE / "loadgen.py"), "--host", server.host, "--port", str(server.port), "--status", str(status),
        "--connections", str(connections), "--seconds", str(seconds), "--request-file", str(request),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=child_setup(None))
    server.check_alive()
    if done.returncode != 0:
        raise BenchError(f"the load generator against {server.label} failed: {done.stderr.strip()}")
    return LoadResult(**json.loads(done.stdout.splitlines()[-1]))


def _report(results: dict[tuple[str, str], list[LoadResult]], rounds: int, seconds: float) -> str:
    lines = [
        f"forwarding benchmark: {rounds} rounds, {seconds:g} s per target and load; medians over rounds",
        "",
        f"{'load':<28} {'target':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for load, _ in LOADS:
        for label in ("direct", "forwarded"):
            runs = results[(load, label)]
            lines.append(
                f"{load:<28} {label:<10} {median(r.rps for r in runs):>8,.0f} "
                f"{median(r.p50_ms for r in runs):>8.3f} {median(r.p99_ms for r in runs):>8.3f}"
            )
    lines.append("")
    for load, _ in LOADS:
        pairs = list(zip(results[(load, "direct")], results[(load, "forwarded")]))
        ratio = median(f.rps / d.rps for d, f in pairs)
        added = median((f.p50_ms - d.p50_ms) * 1000 for d, f in pairs)
        lines.append(f"{load}: forwarded/direct throughput {ratio:.2f}x; p50 latency added {added:,.0f} us")
    return "\n".join(lines)


def median(values) -> float:
    return statistics.median(list(values))


if __name__ == "__main__":
    started = time.monotonic()
    status = main()
    print(f"(the run took {time.monotonic() - started:.0f} s)")
    sys.exit(status)
