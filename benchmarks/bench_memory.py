"""Memory benchmark (`make bench`): does `mockgraph serve` stay bounded under distinct payloads?

Issue 16: every cache the server keeps (answers, routes, shapes, compiled decoders, journal) is
bounded, so its resident memory after 300,000 distinct payloads must be within 50 MB of its
resident memory after the first 10,000. The server is `mockgraph serve` with its default settings
(its per-request log line included, to a file) over the seed alone; the payloads rotate through the
three varied families of `payloads.py` (conforming, violations, a new undocumented property name
each time), built in batches of 10,000 and sent by the load generator, each exactly once.

    .venv/bin/python benchmarks/bench_memory.py [--payloads 300000] [--batch 10000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import SEED_NAME, load_seed, write_corpus
from loadgen import write_requests
from payloads import conforming, encode, renamed, violating
from procs import BenchError, server_process

HERE = Path(__file__).resolve().parent
GOAL_MB = 50.0
_FAMILIES = (conforming, violating, renamed)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError("no VmRSS in /proc")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payloads", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args(argv)
    seed = load_seed(HERE.parent / "fixtures" / SEED_NAME)
    base = seed.request.body.json
    assert isinstance(base, dict)
    path = "/" + (seed.request.version or "v1.0") + seed.request.path
    head = f"{seed.request.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mockgraph-bench-memory-") as tmp:
        work = Path(tmp)
        one = write_corpus(work / "fixtures-1", seed, 0)
        command = [sys.executable, "-m", "mockgraph", "serve", "--host", "127.0.0.1", "--port", "0", "--fixtures", str(one)]
        with server_process("mockgraph-1", command, cwd=work) as server:
            readings = []
            for start in range(0, args.payloads, args.batch):
                frames = work / "batch.frames"
                bodies = (encode(_FAMILIES[i % 3](base, i)) for i in range(start, start + args.batch))
                write_requests(frames, (f"{head}Content-Length: {len(b)}\r\n\r\n".encode() + b for b in bodies))
                subprocess.run(
                    [sys.executable, str(HERE / "loadgen.py"), "--host", server.host, "--port", str(server.port),
                     "--request-file", str(frames), "--status", str(seed.response.status), "--connections", "16",
                     "--seconds", "600", "--max-requests", str(args.batch)],
                    check=True, stdout=subprocess.DEVNULL,
                )  # fmt: skip
                server.check_alive()
                readings.append((start + args.batch, rss_mb(server.process.pid)))
                print(f"after {start + args.batch:>7,} payloads: RSS {readings[-1][1]:.1f} MB", flush=True)
    first, last = readings[0], readings[-1]
    grew = last[1] - first[1]
    verdict = "met" if grew <= GOAL_MB else "NOT MET"
    print(
        f"\nmockgraph serve, RSS after {first[0]:,} distinct payloads {first[1]:.1f} MB, after {last[0]:,} {last[1]:.1f} MB: "
        f"grew {grew:+.1f} MB (peak {max(r for _, r in readings):.1f} MB)   goal <= {GOAL_MB:g} MB: {verdict}"
    )
    print(f"(the run took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
