"""The bundled fixtures: regenerated from the documentation they came from, and served by the
`mockgraph serve` process exactly as `make serve` runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import aiohttp
import pytest

from mockgraph.importer import import_paths, write_fixtures
import support
from support import DOCS_DIR, FIXTURES_DIR, ROOT, SEED_PAGE


def bundled_pages() -> list:
    patterns = [line.strip() for line in (FIXTURES_DIR / "PAGES").read_text().splitlines()]
    return sorted({page for p in patterns if p and not p.startswith("#") for page in DOCS_DIR.glob(p)})


def documented_json_blocks(page) -> list:
    """The JSON bodies of a page's fenced blocks, read without mockgraph's own parser."""
    blocks = re.findall(r"```[^\n]*\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [json.loads(block[block.index("{") :]) for block in blocks if "{" in block]


def test_committed_fixtures_match_a_fresh_import(tmp_path):
    """`make fixtures` would change nothing: the committed files equal a fresh import, byte for byte."""
    write_fixtures(import_paths(bundled_pages(), root=DOCS_DIR), tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.json")}
    committed = {p.relative_to(FIXTURES_DIR).as_posix(): p.read_bytes() for p in FIXTURES_DIR.rglob("*.json")}
    assert sorted(committed) == sorted(fresh)
    for name in fresh:
        assert committed[name] == fresh[name], f"{name} differs from a fresh import: run `make fixtures`"


@pytest.fixture
def serve_process():
    """`mockgraph serve` on the bundled fixtures, on a free port, as its own process."""
    # --fail-on never: the seed's documented request breaks its own contract (see `mockgraph lint`)
    argv = [sys.executable, "-m", "mockgraph", "serve", "--port", "0", "--fixtures", FIXTURES_DIR, "--fail-on", "never"]
    with support.serve_process(argv, cwd=ROOT) as (process, url):
        assert re.fullmatch(r"loaded \d+ fixtures .*\n", process.stdout.readline())
        yield process, url


async def test_serve_answers_the_seed_and_stops_on_sigterm(serve_process):
    """POST /v1.0/app/onlineMeetings with the seed's body: 201 and the documented body; SIGTERM stops it."""
    process, base_url = serve_process
    documented_request, documented_response = documented_json_blocks(SEED_PAGE)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/v1.0/app/onlineMeetings", json=documented_request) as response:
            assert response.status == 201
            assert await response.json() == documented_response
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert process.stdout.read() == "mockgraph stopped\n"


async def test_serve_writes_a_report_when_stopped(tmp_path):
    """serve --report FILE writes the contract report of what it saw when it stops, and exits 1 on its errors."""
    report = tmp_path / "contract.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgraph", "serve", "--port", "0", "--fixtures", str(FIXTURES_DIR), "--report", str(report)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base_url = process.stdout.readline().split()[-1]
        process.stdout.readline()
        documented_request, _ = documented_json_blocks(SEED_PAGE)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base_url}/v1.0/app/onlineMeetings", json={**documented_request, "isBroadcast": "yes"}) as r:
                assert r.status == 201
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
    findings = json.loads(report.read_text())["findings"]
    assert ("type", "/isBroadcast") in [(f["kind"], f["path"]) for f in findings]


def test_malformed_fixture_stops_the_start_with_its_name(tmp_path):
    """A malformed fixture file is named, with what is wrong, and the server does not start."""
    (tmp_path / "broken.json").write_text('{"mockgraph": 1, "source": {"kind": "doc"}}')
    result = subprocess.run(
        [sys.executable, "-m", "mockgraph", "serve", "--port", "0", "--fixtures", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == f"mockgraph: {tmp_path / 'broken.json'}: request: is missing\n"
