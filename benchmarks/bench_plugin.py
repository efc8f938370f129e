"""Plugin benchmark (part of `make bench`): what `mockgraph_server` costs a test, set-up and teardown.

Runs pytest in a subprocess on generated test modules: N empty tests without the fixture, N with
the session server, and M with a fresh server each (`@pytest.mark.mockgraph(fresh=True)`). The
cost per test is the difference of the run times divided by the number of tests; runs alternate
and the medians count, since the machine is noisy. Goals: under 5 ms a test with the session
server, under 50 ms with a fresh one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GOALS_MS = {"session": 5.0, "fresh": 50.0}


def module(tests: int, fixture: str, marker: str = "") -> str:
    lines = ["import pytest", ""]
    for i in range(tests):
        lines += [marker, f"def test_{i}({fixture}):", "    pass", ""] if marker else [f"def test_{i}({fixture}):", "    pass", ""]
    return "\n".join(lines)


def run(folder: Path, name: str) -> float:
    """Seconds one pytest run over `name` takes; fails loudly if any test did not pass."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--mockgraph-fixtures={FIXTURES}", name]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"pytest failed on {name}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300, help="tests per run with the session server")
    parser.add_argument("--fresh-tests", type=int, default=30, help="tests per run with a fresh server each")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mockgraph-plugin-bench-") as tmp:
        folder = Path(tmp)
        (folder / "pytest.ini").write_text("[pytest]\n")
        (folder / "test_plain.py").write_text(module(args.tests, ""))
        (folder / "test_session.py").write_text(module(args.tests, "mockgraph_server"))
        (folder / "test_plain_few.py").write_text(module(args.fresh_tests, ""))
        (folder / "test_fresh.py").write_text(module(args.fresh_tests, "mockgraph_server", "@pytest.mark.mockgraph(fresh=True)"))
        times: dict[str, list[float]] = {name: [] for name in ("plain", "session", "plain_few", "fresh")}
        for _ in range(args.rounds):
            for name in times:
                times[name].append(run(folder, f"test_{name}.py"))
    median = {name: statistics.median(values) for name, values in times.items()}
    per_test = {
        "session": (median["session"] - median["plain"]) / args.tests * 1000,
        "fresh": (median["fresh"] - median["plain_few"]) / args.fresh_tests * 1000,
    }
    print(f"pytest runs, median of {args.rounds}: " + ", ".join(f"{k} {v:.2f} s" for k, v in median.items()))
    for kind, ms in per_test.items():
        verdict = "met" if ms < GOALS_MS[kind] else "NOT MET"
        print(f"mockgraph_server set-up and teardown, {kind} server: {ms:.2f} ms a test   goal < {GOALS_MS[kind]:.0f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
