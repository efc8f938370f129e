"""Import benchmark (part of `make bench`): pages per second for a documentation tree of full size.

The sample in ../shared/graphdocs has 51 pages; the real set has about 7,100 API pages and 4,000
resource pages. By default the bench builds a tree of that size from the sample: every API page
and every resource page copied under new names (`user-get--17.md`) until the counts are reached,
with the originals kept so that relative links (`../resources/user.md`) resolve as in the real
tree. `--as-is` imports a tree without copying, for a real snapshot of the docs.

Each round times, in the same process and on the same files:
- the baseline: reading and decoding every page, the least any importer must do;
- `mockgraph import`: `import_paths` and `write_fixtures` into an empty folder, as the command
  does with its default `--jobs` (one process per CPU; the progress line aside).
It prints the medians, pages/s, and the ratio of the baseline's time to the import's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockgraph.importer import UNPAIRED, default_jobs, import_paths, write_fixtures  # noqa: E402

DOCS = ROOT.parent / "shared" / "graphdocs"


def build_tree(docs: Path, out: Path, api_pages: int, resource_pages: int) -> int:
    """Copy `docs` into `out`, then add renamed copies until the API and resource folders hold about
    `api_pages` and `resource_pages` pages; return the number of pages written."""
    shutil.copytree(docs, out)
    for kind, wanted in (("api", api_pages), ("resources", resource_pages)):
        folders = sorted(f for f in out.glob(f"**/{kind}") if f.is_dir())
        originals = [p for f in folders for p in sorted(f.glob("*.md"))]
        if not originals:
            continue
        copy = 0
        while len(originals) * (copy + 1) < wanted:
            copy += 1
            for page in originals:
                shutil.copyfile(page, page.with_name(f"{page.stem}--{copy}.md"))
    return sum(1 for _ in out.rglob("*.md"))


def read_all(tree: Path) -> int:
    """The baseline: read and decode every page; return the characters read."""
    return sum(len(p.read_text(encoding="utf-8")) for p in sorted(tree.rglob("*.md")))


def import_all(tree: Path, out: Path, jobs: int) -> tuple[int, int, int, int]:
    """What `mockgraph import TREE --out OUT --jobs JOBS` does; return pages, fixtures written,
    examples skipped and lone request or response blocks."""
    result = import_paths([tree], jobs=jobs)
    written = write_fixtures(result, out)
    skipped = result.count("skipped")
    unpaired = sum(n for reason, n in skipped.items() if reason in UNPAIRED)
    return result.pages, written, sum(skipped.values()) - unpaired, unpaired


def timed(action, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action(*args)
    return time.perf_counter() - started, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=DOCS, help="documentation tree to start from")
    parser.add_argument("--api-pages", type=int, default=7100)
    parser.add_argument("--resource-pages", type=int, default=4000)
    parser.add_argument("--as-is", action="store_true", help="import --docs as it is, without copies")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="processes, as `mockgraph import --jobs` (default: one per CPU)")
    args = parser.parse_args()
    if not args.docs.is_dir():
        raise SystemExit(f"{args.docs}: no such folder")
    with tempfile.TemporaryDirectory(prefix="mockgraph-import-bench-") as tmp:
        if args.as_is:
            tree = args.docs
            pages = sum(1 for _ in tree.rglob("*.md"))
        else:
            tree = Path(tmp) / "docs"
            pages = build_tree(args.docs, tree, args.api_pages, args.resource_pages)
        print(f"tree: {tree} ({pages:,} pages{'' if args.as_is else f', built from {args.docs}'})", flush=True)
        reads, imports = [], []
        outcome = (0, 0, 0, 0)
        for n in range(args.rounds):
            reads.append(timed(read_all, tree)[0])
            out = Path(tmp) / f"out{n}"
            seconds, outcome = timed(import_all, tree, out, args.jobs)
            imports.append(seconds)
            shutil.rmtree(out)
            print(f"round {n + 1}: read {reads[-1]:.2f} s, import {seconds:.2f} s", flush=True)
    read_s, import_s = statistics.median(reads), statistics.median(imports)
    imported_pages, written, skipped, unpaired = outcome
    print()
    print(f"pages: {imported_pages:,}; examples imported: {written:,}; skipped: {skipped:,}; lone blocks: {unpaired:,}")
    print(f"baseline, read and decode every page: {read_s:.2f} s ({imported_pages / read_s:,.0f} pages/s)")
    print(f"mockgraph import, {args.jobs} job(s):            {import_s:.2f} s ({imported_pages / import_s:,.0f} pages/s)")
    print(f"import / baseline throughput: {read_s / import_s:.3f}x (median of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
