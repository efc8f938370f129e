"""Where a varied request's time goes: mockgraph's request path, timed step by step and profiled.

    python benchmarks/profile_request.py [--violations] [--seconds 3] [--rounds 3] [--top 25]

Serves the seed fixture alone in this process, pinned to one CPU, and loads it from
benchmarks/loadgen.py (its own process, on the other CPU) with the varied payloads of
benchmarks/payloads.py, as `make bench` does. It prints:

1. an ablation: the server's CPU per request under load (no profiler) for the real request path
   and for variants with one step taken out (the contract check; parsing and the check; the
   garbage collector), plus the replay of one identical request for reference. Variants run in
   interleaved rounds, each on a fresh server; medians are shown;
2. the steps of the request path that are mockgraph's own, timed in a plain loop over the same
   payloads (no server, no profiler): parsing, matching, the contract check, the header;
3. a cProfile of the server under the same load: the functions with the most time of their own,
   per request. The profiler inflates small functions, so read it for the ranking and use (1) and
   (2) for the amounts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mockgraph.replay

from corpus import SEED_NAME, load_seed
from loadgen import write_requests
from mockgraph.config import Settings
from mockgraph.differ import ContractChecker
from mockgraph.index import FixtureIndex, Incoming
from mockgraph.journal import contract_summary
from mockgraph.server import create_server, running
from payloads import varied
from procs import child_setup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--violations", action="store_true", help="payloads that break the contract (default: conforming)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of load per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the ablation")
    parser.add_argument("--distinct", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)

    seed = load_seed(ROOT / "fixtures" / SEED_NAME)
    base = seed.request.body.json
    assert isinstance(base, dict)
    bodies = list(varied(base, args.distinct, violations=args.violations))
    path = "/v1.0" + seed.request.path
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = (cpus[-1], cpus[0]) if len(cpus) > 1 else (None, None)
    if server_cpu is not None:
        os.sched_setaffinity(0, {server_cpu})
    kind = "violations" if args.violations else "conforming"
    print(f"{args.distinct:,} varied {kind} payloads, mean {sum(map(len, bodies)) / len(bodies):,.0f} bytes")

    with tempfile.TemporaryDirectory(prefix="mockgraph-profile-") as work:
        frames = Path(work) / "requests.frames"
        write_requests(frames, (f"{head}Content-Length: {len(b)}\r\n\r\n".encode() + b for b in bodies))
        single = Path(work) / "request.http"
        documented = json.dumps(base, ensure_ascii=False).encode()
        single.write_bytes(f"{head}Content-Length: {len(documented)}\r\n\r\n".encode() + documented)
        index = FixtureIndex({SEED_NAME: seed})
        offset = 0
        variants: dict[str, tuple[Path, Callable[[], Any]]] = {
            "replay of one identical request (memo hits)": (single, _unchanged),
            f"varied {kind}: the real request path": (frames, _unchanged),
            "  the same without the contract check": (frames, _without_check),
            "  the same without parsing the body (so no check)": (frames, _without_parse),
            "  the real path with the garbage collector off": (frames, _without_gc),
        }
        costs: dict[str, list[float]] = {label: [] for label in variants}
        for number in range(args.rounds):
            labels = list(variants)
            labels = labels[number % len(labels) :] + labels[: number % len(labels)]
            for label in labels:
                request_file, patch = variants[label]
                with patch():
                    answered, cost = asyncio.run(_serve_under_load(index, request_file, args, client_cpu, offset, None))
                offset += answered
                costs[label].append(cost)
        print(f"\n1. server CPU per request under load, no profiler (median of {args.rounds} rounds):")
        for label, values in costs.items():
            print(f"   {statistics.median(values) * 1e6:7.1f}  {label}   (rounds {min(values) * 1e6:.1f} – {max(values) * 1e6:.1f})")

        print("\n2. mockgraph's own steps, in a plain loop over the same payloads (µs/request):")
        _steps(seed, index, bodies, path, 1_000 if args.violations else 5_000)

        profiler = cProfile.Profile()
        requests, _ = asyncio.run(_serve_under_load(index, frames, args, client_cpu, offset, profiler))
    print(f"\n3. cProfile under load ({requests:,} requests), by own time; µs/request (inflated by the profiler):")
    stats = pstats.Stats(profiler)
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    total = sum(row[1][2] for row in rows)
    print(f"   all profiled time: {total / requests * 1e6:.1f} µs/request")
    print(f"   {'own':>7} {'cumul.':>8} {'calls/req':>9}  function")
    for (filename, line, name), (_, calls, own, cumulative, _) in rows[: args.top]:
        where = _short(filename)
        print(f"   {own / requests * 1e6:7.1f} {cumulative / requests * 1e6:8.1f} {calls / requests:9.2f}  {name} ({where}:{line})")
    return 0


async def _serve_under_load(
    index: FixtureIndex, frames: Path, args: argparse.Namespace, client_cpu: int | None, offset: int, profiler: Any
) -> tuple[int, float]:
    """Serve until the load generator is done; return the requests answered and server CPU s/request."""
    async with running(create_server(index, Settings())) as url:
        port = url.rsplit(":", 1)[1]
        command = [
            sys.executable, str(HERE / "loadgen.py"), "--port", port, "--request-file", str(frames), "--status", "201",
            "--connections", str(args.connections), "--seconds", str(args.seconds), "--offset", str(offset),
        ]  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=child_setup(client_cpu)
        )
        try:
            before = time.process_time()
            if profiler is not None:
                profiler.enable()
            out, err = await asyncio.wait_for(process.communicate(), args.seconds + 60)
            if profiler is not None:
                profiler.disable()
            cpu = time.process_time() - before
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    if process.returncode != 0:
        raise SystemExit(f"loadgen failed: {err.decode().strip()}")
    requests = json.loads(out.decode().splitlines()[-1])["requests"]
    return requests, cpu / requests


@contextmanager
def _unchanged() -> Iterator[None]:
    yield


@contextmanager
def _without_check() -> Iterator[None]:
    check = ContractChecker.check
    ContractChecker.check = lambda self, payload: ()  # type: ignore[method-assign,assignment,return-value]
    try:
        yield
    finally:
        ContractChecker.check = check  # type: ignore[method-assign]


@contextmanager
def _without_parse() -> Iterator[None]:
    parse = mockgraph.replay.parse_json_body
    mockgraph.replay.parse_json_body = lambda body: None  # type: ignore[assignment]
    try:
        yield
    finally:
        mockgraph.replay.parse_json_body = parse


@contextmanager
def _without_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _steps(seed: Any, index: FixtureIndex, bodies: list[bytes], path: str, count: int) -> None:
    """Best of three loops over `count` payloads, each step alone; the checker is the server's, warm."""
    count = min(count, len(bodies))
    checker = ContractChecker(seed.contract, seed.request.body.json, Settings().severity)
    payloads = [json.loads(b) for b in bodies[:count]]
    findings = [checker.check(p) for p in payloads]  # as the server's checker, it has seen a payload before
    assert index.match(Incoming("POST", path, "", payloads[0], ""))
    steps: list[tuple[str, Callable[[int], object]]] = [
        ("json.loads(body)", lambda i: json.loads(bodies[i])),
        ("index.match(Incoming(...))", lambda i: index.match(Incoming("POST", path, "", payloads[i], ""))),
        ("ContractChecker.check(payload)", lambda i: checker.check(payloads[i])),
        ("contract_summary(findings)", lambda i: contract_summary(findings[i])),
    ]
    for label, step in steps:
        best = min(_time_loop(step, count) for _ in range(3))
        print(f"   {best * 1e6:7.1f}  {label}")


def _time_loop(step: Callable[[int], object], count: int) -> float:
    began = time.perf_counter()
    for i in range(count):
        step(i)
    return (time.perf_counter() - began) / count


def _short(filename: str) -> str:
    for marker in ("site-packages/", "mockgraph/", "lib/python3.11/"):
        if marker in filename:
            return filename[filename.index(marker) :]
    return filename


if __name__ == "__main__":
    sys.exit(main())
