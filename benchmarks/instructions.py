"""Instructions a request, counted by valgrind's callgrind: the same whatever else the machine does.

Timed runs on a shared 2-core machine swing by tens of percent; an instruction count does not. Each
server runs under callgrind with counting off; the load generator warms it up, counting is switched
on (`callgrind_control -i on`) for `--requests` requests, then off, so start-up and warm-up are
left out. Servers: bare aiohttp sending the same bytes (the ratio's baseline), this tree's
`mockgraph serve`, and optionally another revision's (`--against`, checked out in a temporary git
worktree). Needs valgrind; not part of `make bench`, which times.

    python benchmarks/instructions.py --against b160f7e
    python benchmarks/instructions.py --request-file requests.frames --requests 1500

Each line: instructions a request, and the ratio bare aiohttp / that server (higher is better,
1.0 is as cheap as bare aiohttp).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT / "fixtures/unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REV", help="also count this git revision's mockgraph serve")
    parser.add_argument("--requests", type=int, default=2000, help="requests counted (default 2,000)")
    parser.add_argument("--warmup", type=int, default=300, help="requests sent before counting (default 300)")
    parser.add_argument("--request-file", type=Path, help="the request (or a framed file of many); default: the seed's documented request")
    parser.add_argument("--parsing", action="store_true", help="also count the parsing baseline (bare aiohttp that json.loads each body)")
    parser.add_argument("--cache-sim", action="store_true", help="also simulate caches and branches (slower): misses a request")
    parser.add_argument("--port", type=int, default=18700)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mockgraph-instructions-") as temp:
        work = Path(temp)
        fixtures = work / "fixtures" / "unversioned" / "seed"
        fixtures.mkdir(parents=True)
        (fixtures / "seed.json").write_bytes(SEED.read_bytes())
        request_file = args.request_file or _seed_request(work)
        answer = _answer_body(work, args.port, request_file)
        python = sys.executable
        servers = {
            "bare aiohttp": [
                python,
                str(HERE / "servers.py"),
                "baseline",
                "--status",
                "201",
                "--content-type",
                "application/json",
                "--body-file",
                str(answer),
            ],
            "this tree": [python, "-m", "mockgraph", "serve", "--fixtures", str(work / "fixtures")],
        }
        if args.parsing:
            servers = {"bare aiohttp": servers["bare aiohttp"], "parsing aiohttp": [*servers["bare aiohttp"]], **servers}
            servers["parsing aiohttp"][2] = "parsing"
        trees = {"this tree": ROOT}
        if args.against:
            tree = work / "against"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(tree), args.against], check=True)
            servers[args.against] = servers["this tree"]
            trees[args.against] = tree
        try:
            counts = {}
            for offset, (label, command) in enumerate(servers.items()):
                counts[label], misses = _count(
                    command, trees.get(label), work, args.port + offset, request_file, args.warmup, args.requests, args.cache_sim
                )
                print(
                    f"{label:>14}: {counts[label]:9,} instructions a request, bare aiohttp / it = {counts['bare aiohttp'] / counts[label]:.3f}",
                    flush=True,
                )
                if misses:
                    print(" " * 16 + ", ".join(f"{name} {count / args.requests:,.0f}" for name, count in misses.items()), flush=True)
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "against")], check=False)
                subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False)
    return 0


def _seed_request(work: Path) -> Path:
    body = _seed_body()
    head = f"POST /v1.0/app/onlineMeetings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    path = work / "seed.http"
    path.write_bytes(head.encode() + body)
    return path


def _seed_body() -> bytes:
    sys.path.insert(0, str(ROOT))
    import json

    from mockgraph.fixturefile import load_fixture

    return json.dumps(load_fixture(SEED).request.body.json).encode()


def _answer_body(work: Path, port: int, request_file: Path) -> Path:
    """The bytes mockgraph answers the seed with, for the baseline to send."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgraph", "serve", "--quiet", "--port", str(port), "--fixtures", str(work / "fixtures")], cwd=ROOT
    )
    try:
        _wait(port, "/_mockgraph/health")
        body = _seed_body()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1.0/app/onlineMeetings", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            path = work / "answer.json"
            path.write_bytes(response.read())
            return path
    finally:
        _stop(process, 30)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop a server as a user would (SIGINT), and kill it if it will not go."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# What valgrind's summary counts beside instructions under --cache-sim, as its lines name them.
_SIMULATED = {"I1 misses": "I1  misses", "D1 misses": "D1  misses", "LL misses": "LL misses", "mispredicted branches": "Mispredicts"}


def _count(
    command: list[str], tree: Path | None, work: Path, port: int, request_file: Path, warmup: int, requests: int, cache_sim: bool = False
) -> tuple[int, dict[str, int]]:
    """Instructions a request and, under `cache_sim`, the simulated misses in all (by _SIMULATED's names)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    out = work / f"callgrind-{port}.out"
    log = work / f"callgrind-{port}.log"  # a file, not a pipe: the request log would fill a pipe and stall the server
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    if cache_sim:
        valgrind += ["--cache-sim=yes", "--branch-sim=yes"]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*valgrind, *command, "--port", str(port)], cwd=tree or ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        _wait(port, "/_mockgraph/health" if "mockgraph" in command else "/", timeout=300)
        _load(port, request_file, warmup)
        subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
        _load(port, request_file, requests)
        subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True, capture_output=True)
    except BaseException:
        _stop(process, 60)
        print(log.read_text(errors="replace")[-2000:], file=sys.stderr)  # why the server did not answer
        raise
    _stop(process, 300)
    errors = log.read_text(errors="replace")
    found = re.search(r"refs:\s+([\d,]+)", errors)
    if found is None:
        raise SystemExit(f"no instruction count from callgrind:\n{errors[-2000:]}")
    misses = {}
    for name, line in _SIMULATED.items() if cache_sim else ():
        if simulated := re.search(rf"{line}:\s+([\d,]+)", errors):
            misses[name] = int(simulated.group(1).replace(",", ""))
    return int(found.group(1).replace(",", "")) // requests, misses


def _load(port: int, request_file: Path, requests: int) -> None:
    command = [sys.executable, str(HERE / "loadgen.py"), "--port", str(port), "--status", "201", "--connections", "4"]
    command += ["--seconds", "900", "--max-requests", str(requests), "--request-file", str(request_file)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _wait(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (the parsing baseline refuses a GET without a body)
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f} s")


if __name__ == "__main__":
    raise SystemExit(main())
