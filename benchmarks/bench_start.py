"""Start-up benchmark: `mockgraph serve` from spawn to its first 201, over 10,000 fixtures.

The corpus is bench_replay's (benchmarks/corpus.py: the seed plus 9,999 synthetic fixtures), and
so is the measurement: spawn `python -m mockgraph serve --port 0 --fixtures DIR`, then send the
seed's documented request every 2 ms until it is answered. This machine's noise is larger than
most changes, so `--against REV` times another revision's `mockgraph/` (extracted with
`git archive`, served with PYTHONPATH pointing at it) in the same run, alternating fresh starts.
Both trees' bytecode is compiled first, as `make install` compiles this tree's: where
PYTHONDONTWRITEBYTECODE is set, a tree without it would compile every module at every start.

`--bundled` serves copies of the bundled fixtures instead (fixtures/ copied into folders until there
are as many): real contracts, response contracts and permissions, as an imported tree has them.

`--phases` also times, in a child process of each tree, the steps of a start: importing
`mockgraph.cli`, `scan_fixtures`, `FixtureIndex` and `create_server`. `--count` counts the
instructions of those steps instead, under valgrind's callgrind, as `serve` makes them (collector
paused): a count does not move with the machine's load, so it shows what a change saves when the
clock cannot. Needs valgrind; takes about a minute a tree.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from corpus import SEED_NAME, load_seed, write_corpus
from procs import BenchError, compile_bytecode, request_once, server_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Run in a child with the tree on PYTHONPATH; prints the seconds of each step as JSON.
PHASES = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
import mockgraph.cli
t1 = time.perf_counter()
from mockgraph.config import Settings
from mockgraph.fixturefile import scan_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server
folder = scan_fixtures(Path(sys.argv[1]))
t2 = time.perf_counter()
index = FixtureIndex(folder.fixtures)
t3 = time.perf_counter()
create_server(index, Settings())
t4 = time.perf_counter()
assert mockgraph.cli.__file__.startswith(sys.argv[2]), mockgraph.cli.__file__
print(json.dumps({"import": t1 - t0, "scan": t2 - t1, "index": t3 - t2, "server": t4 - t3}))
"""


# The same steps under callgrind (--instr-atstart=no): counting is switched on, and each step ends
# with a dump of what it counted (callgrind_control --dump), in a file of its own.
COUNTED = """
import gc, os, subprocess, sys
from pathlib import Path
def callgrind(*args):
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)
callgrind("-i", "on")
callgrind("--dump=nothing")  # what asking for a dump costs: taken off each step
import mockgraph.cli
callgrind("--dump=import")
from mockgraph.config import Settings
from mockgraph.fixturefile import gc_paused, scan_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server
with gc_paused():
    folder = scan_fixtures(Path(sys.argv[1]))
    callgrind("--dump=scan")
    index = FixtureIndex(folder.fixtures)
    callgrind("--dump=index")
    create_server(index, Settings())
    gc.freeze()
    callgrind("--dump=server")
callgrind("-i", "off")
assert mockgraph.cli.__file__.startswith(sys.argv[2]), mockgraph.cli.__file__
"""


def extract(revision: str, into: Path) -> Path:
    """`revision`'s mockgraph/ package, written below `into`; return the folder to put on PYTHONPATH."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "mockgraph"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def first_answer(tree: Path, folder: Path, method: str, path: str, body: bytes) -> tuple[float, float]:
    """Seconds from spawning `mockgraph serve` (from `tree`) to its 'listening' line, and to its first 201."""
    argv = [sys.executable, "-m", "mockgraph", "serve", "--host", "127.0.0.1", "--port", "0", "--fixtures", str(folder)]
    os.environ["PYTHONPATH"] = str(tree)  # the child inherits it; cleared by the caller
    with server_process(f"mockgraph from {tree}", argv, cwd=folder) as server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                answer = request_once(server.host, server.port, method, path, body)
            except ConnectionRefusedError:
                time.sleep(0.002)
                continue
            if answer.status != 201:
                raise BenchError(f"mockgraph from {tree} answered {answer.status}: {answer.body[:200]!r}")
            return server.announced_at - server.spawned_at, time.perf_counter() - server.spawned_at
    raise BenchError(f"mockgraph from {tree} did not answer in 30 s")


def phases(tree: Path, folder: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    # cwd: `-c` puts the current folder first on sys.path, and a checkout holds a mockgraph/ of its own
    done = subprocess.run([sys.executable, "-c", PHASES, str(folder), str(tree)], cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BenchError(f"timing the steps of {tree} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def counted(tree: Path, folder: Path, work: Path) -> dict[str, int]:
    """Instructions of each step of a start from `tree`, in process, by callgrind."""
    out = work / f"callgrind-{os.getpid()}-{len(list(work.iterdir()))}"
    out.mkdir()
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/counts"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [*valgrind, sys.executable, "-c", COUNTED, str(folder), str(tree)], cwd=folder, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise BenchError(f"counting the steps of {tree} failed:\n{done.stderr[-2000:]}")
    steps = {}
    for dump in out.glob("counts.*"):
        text = dump.read_text(errors="replace")
        step = re.search(r"^desc: Trigger: dump (\w+)$", text, re.MULTILINE)
        total = re.search(r"^summary: (\d+)$", text, re.MULTILINE)
        if step and total:
            steps[step.group(1)] = int(total.group(1))
    overhead = steps.pop("nothing", 0)
    return {step: steps[step] - overhead for step in ("import", "scan", "index", "server")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=7, help="fresh starts per tree (default 7)")
    parser.add_argument("--synthetic", type=int, default=9999, help="synthetic fixtures beside the seed (default 9,999)")
    parser.add_argument("--against", metavar="REV", help="also time this git revision's mockgraph/, alternating")
    parser.add_argument("--bundled", action="store_true", help="copies of the bundled fixtures instead (at least --synthetic + 1 of them)")
    parser.add_argument("--phases", action="store_true", help="also time import, scan, index and server in process")
    parser.add_argument("--count", action="store_true", help="count each step's instructions (callgrind) instead of timing starts")
    args = parser.parse_args()
    seed = load_seed(ROOT / "fixtures" / SEED_NAME)
    method, path = seed.request.method, "/" + (seed.request.version or "v1.0") + seed.request.path
    body = json.dumps(seed.request.body.json, ensure_ascii=False).encode()
    with tempfile.TemporaryDirectory(prefix="mockgraph-start-") as tmp:
        folder = Path(tmp) / "fixtures"
        if args.bundled:
            bundled = sum(1 for _ in (ROOT / "fixtures").rglob("*.json"))
            for n in range(-(-(args.synthetic + 1) // bundled)):
                shutil.copytree(ROOT / "fixtures", folder / f"copy{n:03d}")
        else:
            write_corpus(folder, seed, args.synthetic)
        count = sum(1 for _ in folder.rglob("*.json"))
        trees = {"this tree": ROOT}
        if args.against:
            trees[args.against] = extract(args.against, Path(tmp) / "against")
        for tree in trees.values():
            compile_bytecode(tree)
        if args.count:
            os.environ.pop("PYTHONPATH", None)
            print(f"instructions of each step, in process (callgrind), {count:,} fixtures:")
            for label, tree in trees.items():
                steps = counted(tree, folder, Path(tmp))
                shown = ", ".join(f"{step} {n / 1e6:,.0f}M" for step, n in steps.items())
                print(f"  {label:<12} {shown}; all {sum(steps.values()) / 1e6:,.0f}M", flush=True)
            return 0
        times: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        steps: dict[str, list[dict[str, float]]] = {label: [] for label in trees}
        try:
            for n in range(args.starts):
                for label, tree in trees.items() if n % 2 == 0 else reversed(trees.items()):
                    times[label].append(first_answer(tree, folder, method, path, body))
                    if args.phases:
                        steps[label].append(phases(tree, folder))
        finally:
            os.environ.pop("PYTHONPATH", None)
    kind = "copies of the bundled" if args.bundled else "synthetic"
    print(f"start to first 201, {count:,} fixtures ({kind}), {args.starts} fresh starts each (median, min - max):")
    for label, runs in times.items():
        seconds = [first for _, first in runs]
        line = f"  {label:<12} {statistics.median(seconds):.2f} s ({min(seconds):.2f} - {max(seconds):.2f})"
        line += f", 'listening' at {statistics.median(listening for listening, _ in runs):.2f} s"
        if steps[label]:
            line += "; in process: " + ", ".join(f"{k} {statistics.median(s[k] for s in steps[label]):.2f}" for k in steps[label][0])
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
