"""Protocol benchmark (`make bench`): what Graph's protocol around single calls costs.

Three loads against `mockgraph serve` on the bundled fixtures (`--quiet`, as CI runs it) and, in
the same rounds, a bare aiohttp server sending the seed's 201 bytes (benchmarks/servers.py):

- direct: the seed's documented request, one call at a time: the road with a batch and a stub
  answerer on it must cost a direct call nothing measurable (compare BENCHMARKS.md's replay ratio);
- batch: `POST /v1.0/$batch` holding 20 documented requests of the bundled fixtures, each answered
  down the same road; reported as items per second, against direct calls per second;
- stubbed: the same direct call answered by a stub added through the admin API (the stubs are
  asked before the fixtures, whose memo would otherwise answer).

Ratios are medians of per-round ratios: these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench_forward import median, run_load
from corpus import SEED_NAME, load_seed
from mockgraph.fixturefile import load_fixtures
from procs import BenchError, Server, request_once, server_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED_PATH = "/v1.0/app/onlineMeetings"
BATCH_ITEMS = 20


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds of load per target and round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="2 short rounds: a smoke run, numbers not to be trusted")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 2, 0.5
    try:
        print(_run(args.rounds, args.seconds, args.connections))
    except BenchError as exc:
        print(f"\nbench_protocol: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def _http(method: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return (head + "\r\n").encode() + body


def batch_of_documented_requests() -> dict:
    """20 documented requests of the bundled fixtures, each with its documented path and body."""
    items = []
    for name, fixture in sorted(load_fixtures(ROOT / "fixtures").items()):
        request = fixture.request
        if request.version == "beta" or request.query or (request.body.json is None and not request.body.empty):
            continue  # a v1.0 batch, of documented requests whose bodies are JSON or empty
        item = {"id": str(len(items) + 1), "method": request.method, "url": request.path}
        if request.body.is_json:
            item |= {"body": request.body.json, "headers": {"Content-Type": "application/json"}}
        items.append(item)
        if len(items) == BATCH_ITEMS:
            break
    return {"requests": items}


def _run(rounds: int, seconds: float, connections: int) -> str:
    seed = load_seed(ROOT / "fixtures" / SEED_NAME)
    body = json.dumps(seed.request.body.json).encode()
    batch = batch_of_documented_requests()
    with tempfile.TemporaryDirectory(prefix="mockgraph-bench-protocol-") as tmp:
        work = Path(tmp)
        (work / "response.body").write_bytes(json.dumps(seed.response.body.json, separators=(",", ":")).encode())
        files = {
            "direct": _write(work / "direct.http", _http("POST", SEED_PATH, body)),
            "batch": _write(work / "batch.http", _http("POST", "/v1.0/$batch", json.dumps(batch).encode())),
            "stubbed": _write(work / "stubbed.http", _http("POST", "/v1.0/app/onlineMeetings", body)),
        }
        baseline_argv = [
            sys.executable, str(HERE / "servers.py"), "baseline", "--status", "201",
            "--content-type", "application/json", "--body-file", str(work / "response.body"),
        ]  # fmt: skip
        mockgraph_argv = [sys.executable, "-m", "mockgraph", "serve", "--quiet", "--port", "0", "--fixtures", str(ROOT / "fixtures")]
        results: dict[str, list] = {}
        with server_process("baseline", baseline_argv, cwd=work) as baseline, server_process("mockgraph", mockgraph_argv, cwd=work) as mockgraph:
            _check_batch(mockgraph, files["batch"].read_bytes())
            stubbed = _stubbed_server(work)
            with server_process("mockgraph-stubbed", [*mockgraph_argv[:-2], "--fixtures", str(ROOT / "fixtures"), "--config", str(stubbed)], cwd=work) as with_stub:
                targets = (
                    ("baseline", baseline, "direct", 201),
                    ("direct", mockgraph, "direct", 201),
                    ("batch", mockgraph, "batch", 200),
                    ("stubbed", with_stub, "stubbed", 201),
                )
                for number in range(rounds):
                    ordered = targets if number % 2 == 0 else tuple(reversed(targets))
                    for label, server, request, status in ordered:
                        run_load(server, files[request], connections, seconds / 4, status)  # warm-up
                        results.setdefault(label, []).append(run_load(server, files[request], connections, seconds, status))
                    print(f"round {number + 1}/{rounds} done", flush=True)
    return _report(results, rounds, seconds, connections, len(batch["requests"]))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _check_batch(server: Server, request: bytes) -> None:
    """Every item of the benchmark's batch must be answered by its fixture, not by a miss."""
    body = request.partition(b"\r\n\r\n")[2]
    answer = request_once(server.host, server.port, "POST", "/v1.0/$batch", body)
    statuses = [r["status"] for r in json.loads(answer.body)["responses"]]
    if answer.status != 200 or any(s >= 400 for s in statuses):
        raise BenchError(f"the benchmark's batch was not answered item by item: {answer.status} {statuses}")


def _stubbed_server(work: Path) -> Path:
    """Settings that stub the seed's call with its documented 201 body."""
    config = work / "stubbed.toml"
    body = (work / "response.body").read_text()
    config.write_text(f'[[stubs]]\nmethod = "POST"\npath = "/app/onlineMeetings"\nstatus = 201\nbody = {json.dumps(body)}\nheaders = {{"Content-Type" = "application/json"}}\n')
    return config


def _report(results: dict[str, list], rounds: int, seconds: float, connections: int, items: int) -> str:
    lines = [
        f"protocol benchmark: {rounds} rounds, {seconds:g} s per target, {connections} connections; medians over rounds",
        "",
        f"{'target':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for label, runs in results.items():
        lines.append(f"{label:<10} {median(r.rps for r in runs):>8,.0f} {median(r.p50_ms for r in runs):>8.3f} {median(r.p99_ms for r in runs):>8.3f}")
    per_round = list(zip(results["baseline"], results["direct"], results["batch"], results["stubbed"]))
    lines += [
        "",
        f"direct call / bare aiohttp: {median(d.rps / b.rps for b, d, _, _ in per_round):.2f}x",
        f"stubbed call / bare aiohttp: {median(s.rps / b.rps for b, _, _, s in per_round):.2f}x",
        f"batch of {items}: {median(x.rps * items for _, _, x, _ in per_round):,.0f} items/s; "
        f"items/s over direct calls/s {median(x.rps * items / d.rps for _, d, x, _ in per_round):.2f}x",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.monotonic()
    status = main()
    print(f"(the run took {time.monotonic() - started:.0f} s)")
    sys.exit(status)
