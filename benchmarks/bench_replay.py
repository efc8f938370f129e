"""Replay benchmark (`make bench`): mockgraph's throughput and latency against a bare aiohttp server.

Six servers, each in its own process, answer `POST /v1.0/app/onlineMeetings`:

- ceiling: a raw asyncio server writing a fixed response; shows the load generator's own limit.
- baseline: a bare aiohttp app with one catch-all route, sending the status, Content-Type and body
  bytes that mockgraph sends (fetched from mockgraph itself, so they are identical).
- mockgraph-1: `python -m mockgraph serve` over a folder holding the seed only.
- mockgraph-10k: the same over the seed plus 9,999 synthetic fixtures.
- mockgraph-varied: mockgraph-1 again, but every request carries a different payload that conforms
  to the contract (benchmarks/payloads.py), so that no memo of whole requests can answer it.
- mockgraph-violations: the same with payloads that break the contract, differently each time.

The first four get the seed's documented body on every request; mockgraph answers those from its
memo of identical requests. The last two cycle through tens of thousands of prebuilt requests, and
every response must carry the contract header that the in-process checker predicts.

The load generator (benchmarks/loadgen.py) runs in a process of its own, pinned to the other CPU.
These machines are noisy, so what counts are ratios measured in the same run: each round starts
fresh servers and visits all targets in turn (warm-up, then measure; the order rotated each round),
and the report gives medians over the rounds, their spread, the medians of per-round ratios, and
how busy each side was. It also times, over several fresh starts, how long `mockgraph serve`
takes from spawn to its first 201 with the documented body.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from corpus import SEED_NAME, load_seed, seed_from_page, write_corpus
from loadgen import LoadResult, write_requests
from mockgraph.differ import ContractChecker
from mockgraph.errors import MockgraphError
from mockgraph.journal import contract_summary, summarize
from mockgraph.models import Fixture
from mockgraph.replay import MEMO_ANSWERS
from payloads import varied
from procs import Answer, BenchError, Server, child_setup, compile_bytecode, request_once, server_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SEED = ROOT / "fixtures" / SEED_NAME
SEED_PAGE = ROOT.parent / "shared" / "graphdocs" / "app-post-onlinemeetings.md"  # the Makefile's DOCS
GOAL_RATIO = 0.9  # replay of the documented request
GOAL_VARIED = 0.7  # varied conforming payloads, each parsed and checked (issue 16)
GOAL_VARIED_PARSING = 1.0  # the same, against a bare aiohttp app that parses each body with json.loads
GOAL_VIOLATIONS = 0.5  # varied payloads that break the contract, each parsed, checked and diffed
GOAL_NEW_NAMES = 0.3  # the same with a new undocumented property name on every request
GOAL_START_S = 1.0
# Every in-process check of a conforming payload is cheap; of violations, one in this many is checked
# in process (each costs a deepdiff), and every response's contract header is checked under load.
VIOLATION_SAMPLE = 40
# The load generator is not the bottleneck while it idles part of the time against the baseline,
# whose server meanwhile uses a whole CPU.
GENERATOR_BUSY_LIMIT = 0.8
SERVER_BUSY_FLOOR = 0.9

FULL = {"rounds": 5, "seconds": 3.0, "warmup": 1.0, "starts": 5}
QUICK = {"rounds": 2, "seconds": 0.5, "warmup": 0.2, "starts": 2}


@dataclass(frozen=True)
class Varied:
    """A framed file of distinct requests, and the contract header every answer to them must carry."""

    label: str  # "conforming" or "violations"
    request_file: Path
    count: int
    mean_body: float  # bytes
    contract: str  # the `mockgraph-contract` header the in-process checker gives every payload
    checked: int  # how many payloads the in-process checker saw
    samples: tuple[bytes, ...]  # a few bodies to probe a server with before the run


@dataclass
class Target:
    label: str
    key: str  # the name ratios use: "baseline", "mockgraph-1", ...
    argv: list[str]  # the server's command line; a fresh process serves each round
    fixtures: int | None = None  # how many fixtures a mockgraph target must report loaded
    varied: Varied | None = None  # None: the workload's single request, over and over
    expect: bool = True  # check each answer's contract header (only mockgraph sends one)
    sent: int = 0  # requests of `varied` sent so far: the next load run goes on from there
    results: list[LoadResult] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)  # the server's CPU seconds per second of each round

    def cpu_per_request(self) -> list[float]:
        """Server CPU seconds per request, per round: what a request costs, whatever else ran meanwhile."""
        return [busy / result.rps for busy, result in zip(self.server_cpu, self.results) if result.rps > 0]


@dataclass(frozen=True)
class Workload:
    method: str
    path: str
    body: bytes
    status: int
    request_file: Path  # the exact bytes the load generator sends


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every server is stopped on the way out
    started = time.monotonic()
    try:
        with ExitStack() as stack:
            report = _run(args, stack)
    except (BenchError, MockgraphError) as exc:
        print(f"\nbench_replay: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(report)
    print(f"(the run took {time.monotonic() - started:.0f} s)")
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short rounds, a smoke run: numbers are not to be trusted")
    parser.add_argument("--rounds", type=int, help=f"interleaved rounds (default {FULL['rounds']}; quick {QUICK['rounds']})")
    parser.add_argument("--seconds", type=float, help=f"seconds of load per target per round (default {FULL['seconds']})")
    parser.add_argument("--warmup", type=float, help=f"seconds of warm-up per target (default {FULL['warmup']})")
    parser.add_argument("--starts", type=int, help=f"fresh starts timed per fixture set (default {FULL['starts']})")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request cap of each load run")
    parser.add_argument("--synthetic", type=int, default=9_999, help="synthetic fixtures beside the seed (default 9,999)")
    parser.add_argument(
        "--distinct", type=int, default=20_000, help="distinct payloads for each varied target, cycled through (default 20,000)"
    )
    parser.add_argument("--seed", type=Path, help=f"seed fixture (default {DEFAULT_SEED.relative_to(ROOT)})")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and load generator to separate CPUs")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.rounds < 1 or args.seconds <= 0 or args.starts < 1 or args.connections < 1 or args.warmup < 0:
        parser.error("--rounds, --starts and --connections must be at least 1, --seconds positive")
    if args.distinct < 4 * MEMO_ANSWERS:
        parser.error(f"--distinct must be at least {4 * MEMO_ANSWERS:,}, so that no payload repeats within mockgraph's memo")
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def _run(args: argparse.Namespace, stack: ExitStack) -> str:
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mockgraph-bench-")))
    revision = _revision()
    seed, seed_origin = _seed(args.seed)
    print(f"mockgraph at {revision}; seed: {seed_origin}", flush=True)
    workload = _workload(seed, work / "request.http")
    began = time.perf_counter()
    conforming, violations = (_varied(seed, work, args.distinct, violations=v) for v in (False, True))
    new_names = _varied(seed, work, args.distinct, violations=True, new_names=True)
    print(
        f"built and checked {args.distinct:,} conforming payloads (each: {conforming.contract!r}) and {args.distinct:,} "
        f"with violations ({violations.checked:,} checked: {violations.contract!r}) in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    one = write_corpus(work / "fixtures-1", seed, 0)
    began = time.perf_counter()
    crowd = write_corpus(work / "fixtures-10k", seed, args.synthetic)
    print(f"wrote {args.synthetic + 1:,} fixtures in {time.perf_counter() - began:.1f} s", flush=True)
    mockgraph = [sys.executable, "-m", "mockgraph", "serve", "--host", "127.0.0.1", "--port", "0", "--fixtures"]

    # The bytes mockgraph answers with, so that the comparison servers send exactly the same.
    with server_process("mockgraph-1", [*mockgraph, str(one)], cwd=work) as server:
        answer = request_once(server.host, server.port, workload.method, workload.path, workload.body)
        for kind in (conforming, violations, new_names):  # the server sees in them what the checker saw
            for body in kind.samples:
                got = request_once(server.host, server.port, workload.method, workload.path, body)
                if (got.status, got.body, got.contract) != (answer.status, answer.body, kind.contract):
                    raise BenchError(
                        f"mockgraph answered a {kind.label} payload with {got.status}, contract {got.contract!r} "
                        f"(expected {answer.status}, {kind.contract!r}): {body[:200]!r}"
                    )
    _check_answer("mockgraph-1", answer, seed)
    (work / "response.body").write_bytes(answer.body)
    same = ["--status", str(answer.status), "--content-type", answer.content_type, "--body-file", str(work / "response.body")]
    servers = [sys.executable, str(HERE / "servers.py")]
    targets = [
        Target("ceiling (raw asyncio)", "ceiling", [*servers, "ceiling", *same]),
        Target("baseline (bare aiohttp)", "baseline", [*servers, "baseline", *same]),
        Target("baseline parsing (aiohttp + json.loads)", "parsing", [*servers, "parsing", *same], varied=conforming, expect=False),
        Target("mockgraph, 1 fixture", "mockgraph-1", [*mockgraph, str(one)], fixtures=1),
        Target(
            f"mockgraph, {args.synthetic + 1:,} fixtures",
            _crowd_key(args.synthetic + 1),
            [*mockgraph, str(crowd)],
            fixtures=args.synthetic + 1,
        ),
        Target("mockgraph, varied conforming", "mockgraph-varied", [*mockgraph, str(one)], fixtures=1, varied=conforming),
        Target("mockgraph, varied violations", "mockgraph-violations", [*mockgraph, str(one)], fixtures=1, varied=violations),
        Target("mockgraph, new property names", "mockgraph-new-names", [*mockgraph, str(one)], fixtures=1, varied=new_names),
    ]
    server_cpu, client_cpu = _cpus(args.no_pin)
    _rounds(args, targets, workload, answer, work, server_cpu, client_cpu)

    starts = {}
    compile_bytecode(ROOT)  # as a user's second start finds it
    for label, folder in (("1 fixture", one), (f"{args.synthetic + 1:,} fixtures", crowd)):
        starts[label] = [_start_to_first_answer([*mockgraph, str(folder)], work, workload, seed) for _ in range(args.starts)]
        print(f"start to first {workload.status}, {label}: " + ", ".join(f"{s:.2f}" for _, s in starts[label]) + " s", flush=True)

    if not revision.endswith(f"sources {_sources_digest()}"):  # not the git state: docs may change mid-run
        raise BenchError(f"mockgraph's sources changed during the run (they were {revision}); the numbers mix versions")
    return _report(args, workload, targets, starts, seed_origin, revision, (server_cpu, client_cpu))


def _workload(seed: Fixture, request_file: Path) -> Workload:
    """The seed's documented request, as the exact bytes the load generator sends."""
    path = "/" + (seed.request.version or "v1.0") + seed.request.path
    body = json.dumps(seed.request.body.json, ensure_ascii=False).encode()
    head = (
        f"{seed.request.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    request_file.write_bytes(head.encode() + body)
    return Workload(seed.request.method, path, body, seed.response.status, request_file)


def _varied(seed: Fixture, work: Path, count: int, *, violations: bool, new_names: bool = False) -> Varied:
    """Write `count` distinct requests of one family and check them with the server's own checker.

    Every conforming payload is checked, and one in VIOLATION_SAMPLE of the others (each of which
    costs a deepdiff); all must give the same contract header, with no error for conforming ones
    and at least one for the others. The load generator then checks that header on every answer.
    """
    label = ("new names" if new_names else "violations") if violations else "conforming"
    base = seed.request.body.json
    if not isinstance(base, dict):
        raise BenchError("the seed's documented request body is not a JSON object")
    path = "/" + (seed.request.version or "v1.0") + seed.request.path
    head = f"{seed.request.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    checker = ContractChecker(seed.contract, base)
    bodies = list(varied(base, count, violations=violations, new_names=new_names))
    if len(set(bodies)) != count:
        raise BenchError(f"the {label} payloads are not all distinct")
    step = VIOLATION_SAMPLE if violations else 1
    outcomes = set()
    for body in bodies[::step]:
        findings = checker.check(json.loads(body))
        outcomes.add((contract_summary(findings), summarize(findings)["errors"] > 0))
    if len(outcomes) != 1:
        raise BenchError(f"the {label} payloads do not all give the same contract findings: {sorted(outcomes)}")
    summary, has_errors = outcomes.pop()
    if has_errors != violations:
        raise BenchError(f"the {label} payloads give the contract header {summary!r}")
    request_file = work / f"requests-{label.replace(' ', '-')}.frames"
    write_requests(request_file, (f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body for body in bodies))
    return Varied(label, request_file, count, sum(map(len, bodies)) / count, summary, len(bodies[::step]), tuple(bodies[:: count // 20]))


def _crowd_key(fixtures: int) -> str:
    return "mockgraph-10k" if fixtures == 10_000 else f"mockgraph-{fixtures}"


def _rounds(
    args: argparse.Namespace,
    targets: list[Target],
    workload: Workload,
    answer: Answer,
    work: Path,
    server_cpu: int | None,
    client_cpu: int | None,
) -> None:
    """Measure every target once per round, each round with fresh server processes and a rotated order.

    Fresh processes per round sample the process-to-process variation (memory layout, hash seeds),
    which is as large as ±10% here; the rotation keeps any drift of the machine off one target.
    """
    print(
        f"{args.rounds} rounds; in each, fresh servers, then per target {args.warmup:g} s of warm-up and {args.seconds:g} s measured",
        flush=True,
    )
    for number in range(args.rounds):
        with ExitStack() as stack:
            running = {t.label: stack.enter_context(server_process(t.label, t.argv, cwd=work, cpu=server_cpu)) for t in targets}
            for target in targets:
                _check_server(target, running[target.label], workload, answer)
            shift = number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                server = running[target.label]
                if args.warmup > 0:
                    _load(target, server, workload, args, args.warmup, client_cpu)
                before = server.cpu_seconds()
                result = _load(target, server, workload, args, args.seconds, client_cpu)
                after = server.cpu_seconds()
                target.results.append(result)
                if before is not None and after is not None:
                    target.server_cpu.append((after - before) / result.seconds)
        rates = ", ".join(f"{t.label} {t.results[-1].rps:,.0f}/s" for t in targets)
        print(f"round {number + 1}/{args.rounds}: {rates}", flush=True)


def _seed(path: Path | None) -> tuple[Fixture, str]:
    if path is not None:
        return load_seed(path), str(path)
    if DEFAULT_SEED.exists():
        return load_seed(DEFAULT_SEED), str(DEFAULT_SEED.relative_to(ROOT))
    if not SEED_PAGE.exists():
        raise BenchError(f"no seed fixture at {DEFAULT_SEED} and no page {SEED_PAGE} to import it from; pass --seed")
    try:
        seed = seed_from_page(SEED_PAGE)
    except (ValueError, MockgraphError) as exc:
        raise BenchError(f"cannot import the seed from {SEED_PAGE}: {exc}") from None
    return seed, f"imported from {SEED_PAGE} ({DEFAULT_SEED.relative_to(ROOT)} does not exist)"


def _cpus(no_pin: bool) -> tuple[int | None, int | None]:
    """The CPU for the servers and the one for the load generator, where there are two to pin to."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if no_pin or len(available) < 2:
        return None, None
    return available[-1], available[0]


def _check_server(target: Target, server: Server, workload: Workload, expected: Answer) -> None:
    """A server under test must send the very bytes mockgraph sent, and mockgraph must hold every fixture."""
    if target.fixtures is not None:
        health = request_once(server.host, server.port, "GET", "/_mockgraph/health", None)
        count = json.loads(health.body).get("fixtures") if health.status == 200 else None
        if count != target.fixtures:
            raise BenchError(f"{target.label} serves {count} fixtures, expected {target.fixtures}")
    got = request_once(server.host, server.port, workload.method, workload.path, workload.body)
    if (got.status, got.content_type, got.body) != (expected.status, expected.content_type, expected.body):
        raise BenchError(f"{target.label} answers {got.status} {got.content_type} with other bytes than mockgraph")


def _check_answer(label: str, answer: Answer, seed: Fixture) -> None:
    if answer.status != seed.response.status:
        raise BenchError(f"{label} answered {answer.status}, expected {seed.response.status}: {answer.body[:300]!r}")
    if json.loads(answer.body) != seed.response.body.json:
        raise BenchError(f"{label} answered {answer.status} with a body other than the documented one: {answer.body[:300]!r}")


def _load(target: Target, server: Server, workload: Workload, args: argparse.Namespace, seconds: float, cpu: int | None) -> LoadResult:
    """One load run against `target`; a varied target's requests go on from where its last run stopped."""
    label = target.label
    command = [
        sys.executable, str(HERE / "loadgen.py"), "--host", server.host, "--port", str(server.port),
        "--status", str(workload.status),
        "--connections", str(args.connections), "--seconds", str(seconds), "--max-requests", str(args.max_requests),
    ]  # fmt: skip
    if target.varied is None:
        command += ["--request-file", str(workload.request_file)]
    else:
        command += ["--request-file", str(target.varied.request_file), "--offset", str(target.sent)]
        if target.expect:
            command += ["--expect-header", f"mockgraph-contract: {target.varied.contract}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=child_setup(cpu))
    except subprocess.TimeoutExpired:
        raise BenchError(f"the load generator against {label} did not finish in {seconds + 60:g} s") from None
    server.check_alive()
    if done.returncode != 0:
        raise BenchError(f"the load generator against {label} failed: {done.stderr.strip()}")
    try:
        result = LoadResult(**json.loads(done.stdout.splitlines()[-1]))
    except (ValueError, IndexError, TypeError):
        raise BenchError(f"the load generator against {label} printed no result: {done.stdout!r}") from None
    target.sent += result.requests
    return result


def _start_to_first_answer(argv: list[str], cwd: Path, workload: Workload, seed: Fixture) -> tuple[float, float]:
    """Seconds from spawn to the 'listening' line, and to the first documented answer."""
    with server_process("mockgraph start", argv, cwd=cwd) as server:
        deadline = time.monotonic() + 30
        for _ in range(10_000):
            try:
                answer = request_once(server.host, server.port, workload.method, workload.path, workload.body)
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise BenchError("mockgraph printed its URL but refused connections for 30 s") from None
                time.sleep(0.002)
                continue
            answered = time.perf_counter()
            _check_answer("mockgraph start", answer, seed)
            return server.announced_at - server.spawned_at, answered - server.spawned_at
    raise BenchError("mockgraph never answered")


# ------------------------------------------------------------------------------------- reporting

# name, (median, min, max) of per-round throughput ratios, the same ratio by server CPU per request, goal
Ratio = tuple[str, tuple[float, float, float], float | None, float | None]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _fmt(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}"


def _spread(values: Sequence[float]) -> str:
    """Half the range of the rounds relative to their median: '±3%' for rounds within 6% of each other."""
    if len(values) < 2:
        return "n/a"
    return f"±{(max(values) - min(values)) / 2 / _median(values) * 100:.0f}%"


HEADROOM = "ceiling / baseline (generator headroom)"


def _ratios(targets: list[Target]) -> list[Ratio]:
    by_key = {t.key: t for t in targets}

    def ratio(a: str, b: str, goal: float | None, by_cpu: bool = True, name: str | None = None) -> Ratio:
        x, y = by_key[a], by_key[b]
        per_round = [p.rps / q.rps for p, q in zip(x.results, y.results)]
        costs = [q / p for p, q in zip(x.cpu_per_request(), y.cpu_per_request())] if by_cpu else []
        return name or f"{a} / {b}", (_median(per_round), min(per_round), max(per_round)), _median(costs) if costs else None, goal

    crowd = next(t.key for t in targets if (t.fixtures or 0) > 1)  # by what it is, not where it stands in the list
    return [
        ratio("mockgraph-1", "baseline", GOAL_RATIO),
        ratio(crowd, "baseline", GOAL_RATIO),
        ratio("mockgraph-varied", "baseline", GOAL_VARIED),
        ratio("mockgraph-varied", "parsing", GOAL_VARIED_PARSING),
        ratio("mockgraph-violations", "baseline", GOAL_VIOLATIONS),
        ratio("mockgraph-new-names", "baseline", GOAL_NEW_NAMES),
        ratio(crowd, "mockgraph-1", None),
        ratio("mockgraph-varied", "mockgraph-1", None),  # what the memo of identical requests hides
        # The ceiling server idles part of the time, so its CPU per request says nothing here.
        ratio("ceiling", "baseline", None, by_cpu=False, name=HEADROOM),
    ]


def _revision() -> str:
    """The code under test: its git revision, and a digest of mockgraph's sources as they are now."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        described = ""
    return f"{described or 'unknown'}, sources {_sources_digest()}"


def _sources_digest() -> str:
    """A digest of mockgraph's sources as they are now: what the servers under test ran."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "mockgraph").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": str(nproc),
        "cpu": cpu,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
    }


def _row(t: Target) -> tuple[str, ...]:
    rps = [r.rps for r in t.results]
    server_cpu = f"{_median(t.server_cpu) * 100:.0f}%" if t.server_cpu else "n/a"
    return (
        t.label,
        f"{_median(rps):,.0f}",
        _spread(rps),
        f"{min(rps):,.0f} – {max(rps):,.0f}",
        f"{_median([r.p50_ms for r in t.results]):.2f}",
        f"{_median([r.p99_ms for r in t.results]):.2f}",
        server_cpu,
        f"{_median(t.cpu_per_request()) * 1e6:.1f}" if t.server_cpu else "n/a",
        f"{_median([r.cpu for r in t.results]) * 100:.0f}%",
    )


_COLUMNS = (
    "target", "req/s (median)", "spread", "rounds min – max", "p50 ms", "p99 ms",
    "server CPU", "server CPU µs/req", "generator CPU",
)  # fmt: skip


def _report(
    args: argparse.Namespace,
    workload: Workload,
    targets: list[Target],
    starts: dict[str, list[tuple[float, float]]],
    seed_origin: str,
    revision: str,
    cpus: tuple[int | None, int | None],  # the servers' and the load generator's
) -> str:
    ratios = _ratios(targets)
    rows = [_row(t) for t in targets]
    machine = _machine()
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    server_cpu, client_cpu = cpus
    pinning = f"servers on CPU {server_cpu}, load generator on CPU {client_cpu}" if server_cpu is not None else "not pinned"
    command = "make bench" if not args.argv else "python benchmarks/bench_replay.py " + shlex.join(args.argv)

    # The readable table.
    widths = [max(len(str(row[i])) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    text = [
        "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))
        for row in [_COLUMNS, *rows]
    ]
    text.append("")
    text.append(f"{'throughput ratio':<42}{'median':>6}   {'rounds':<19}{'by CPU/req':>10}")
    for name, (mid, low, high), by_cpu, goal in ratios:
        verdict = "" if goal is None else f"   goal >= {goal:g}: {'met' if mid >= goal else 'NOT MET'}"
        text.append(f"{name:<42}{mid:>6.2f}   {low:.2f} – {high:.2f}{'':<8}{_fmt(by_cpu):>10}{verdict}")
    text.append("")
    start_rows = []
    for label, runs in starts.items():
        listening, first = _median([a for a, _ in runs]), [b for _, b in runs]
        verdict = f"goal < {GOAL_START_S:g} s: {'met' if _median(first) < GOAL_START_S else 'NOT met'}"
        start_rows.append((f"mockgraph, {label}", listening, _median(first), min(first), max(first), verdict))
        text.append(
            f"start to first {workload.status}, {label:<18} {_median(first):.2f} s "
            f"(runs {min(first):.2f} – {max(first):.2f}; 'listening' line at {listening:.2f} s)   {verdict}"
        )

    # The same as Markdown, with what a reader needs to reproduce it.
    md = [
        f"- Command: `{command}`" + (" (QUICK: a smoke run, not a measurement)" if args.quick else ""),
        f"- Date: {date}",
        f"- Machine: nproc {machine['nproc']}, {machine['cpu']}, {machine['os']}; {pinning}",
        f"- Python {machine['python']}, aiohttp {machine['aiohttp']}; mockgraph at {revision}",
        f"- Workload: `{workload.method} {workload.path}` with the documented JSON body ({len(workload.body):,} bytes), "
        f"{args.connections} keep-alive connections; {args.rounds} interleaved rounds of {args.seconds:g} s per target "
        f"after {args.warmup:g} s of warm-up; seed {seed_origin}",
        *(
            f"- {t.label}: {v.count:,} distinct payloads (mean {v.mean_body:,.0f} bytes), sent in turn, so that one "
            f"comes back only after {v.count - 1:,} others (a measured run sent at most "
            f"{max(r.requests for r in t.results):,}); the in-process checker gave "
            f"`{v.contract}` for {'every one' if v.checked == v.count else f'{v.checked:,} of them'}, and every answer "
            f"under load carried `mockgraph-contract: {v.contract}`"
            for t in targets
            if (v := t.varied) is not None
        ),
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|:--" + "|--:" * (len(_COLUMNS) - 1) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "| throughput ratio | median of rounds | rounds min – max | same, by server CPU per request | goal |",
        "|:--|--:|--:|--:|:--|",
    ]
    for name, (mid, low, high), by_cpu, goal in ratios:
        verdict = "" if goal is None else f"≥ {goal:g}: {'met' if mid >= goal else '**not met**'}"
        md.append(f"| {name} | {mid:.2f} | {low:.2f} – {high:.2f} | {_fmt(by_cpu)} | {verdict} |")
    md += [
        "",
        f"| start to first {workload.status} ({args.starts} fresh starts) | 'listening' line "
        f"| first {workload.status} (median) | min – max | goal |",
        "|:--|--:|--:|--:|:--|",
    ]
    for label, listening, first, low, high, verdict in start_rows:
        goal = verdict.replace("goal ", "")
        md.append(f"| {label} | {listening:.2f} s | {first:.2f} s | {low:.2f} – {high:.2f} s | {goal} |")

    baseline = targets[1]
    generator_busy = _median([r.cpu for r in baseline.results])
    server_busy = _median(baseline.server_cpu) if baseline.server_cpu else float("nan")
    if generator_busy < GENERATOR_BUSY_LIMIT and server_busy >= SERVER_BUSY_FLOOR:
        check = (
            f"The load generator is not the bottleneck: against the baseline it was busy {generator_busy:.0%} of the time "
            f"while the baseline server used {server_busy:.0%} of its CPU, and against the ceiling it reached "
            f"{next(r for r in ratios if r[0] == HEADROOM)[1][0]:.2f}x the baseline's rate."
        )
    else:
        check = (
            f"WARNING: the load generator may be the bottleneck, or something else took CPU: against the baseline it was "
            f"busy {generator_busy:.0%} of the time and the baseline server used {server_busy:.0%} of its CPU "
            f"(want < {GENERATOR_BUSY_LIMIT:.0%} and >= {SERVER_BUSY_FLOOR:.0%}); the ratios may understate the gap."
        )
    text += ["", check]
    md += ["", check if not check.startswith("WARNING") else f"**{check}**"]
    starved = [t.label for t in targets[1:] if t.server_cpu and _median(t.server_cpu) < SERVER_BUSY_FLOOR]
    if starved:
        warning = (
            f"WARNING: {', '.join(starved)} used less than {SERVER_BUSY_FLOOR:.0%} of a CPU under load: something else "
            "was running on the machine, so absolute numbers are low; only same-round ratios are meaningful."
        )
        text += ["", warning]
        md += ["", f"**{warning}**"]
    return "\n".join(["", "=" * 100, *text, "", "Markdown for BENCHMARKS.md:", "", "```markdown", *md, "```"])


if __name__ == "__main__":
    sys.exit(main())
