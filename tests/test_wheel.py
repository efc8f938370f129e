"""From pip install to a first test: the wheel, installed into a fresh virtualenv, runs the README's
pytest example and `mockgraph serve` from an empty folder, with the fixtures it ships.

Cheap by design: the wheel is built without build isolation, and the fresh virtualenv sees this
one's dependencies through a `.pth` file instead of installing them again. The wheel's own
`mockgraph` must be the one imported there, never this checkout's editable one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from support import ROOT, serve_process

README_TEST = '''
import json, urllib.request

def test_create_meeting(mockgraph_server):
    sent = urllib.request.Request(mockgraph_server.url + "/v1.0/app/onlineMeetings", data=json.dumps({"subject": "Review"}).encode(),
                                  headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(sent) as response:
        assert response.status == 201
    mockgraph_server.assert_called("POST", "/app/onlineMeetings", times=1)
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel of this checkout; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: a build writes build/ and *.egg-info into its source, and two test workers
    # building in the checkout at once would trip over each other's files.
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("mockgraph", "fixtures"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(work), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = work.glob("mockgraph-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], check=True, capture_output=True, text=True)
    # This venv's dependencies, seen last (after the wheel) and without its editable mockgraph finder:
    # a path listed in a .pth file is added to sys.path, but its own .pth files are not run.
    Path(site.stdout.strip(), "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))} | {"PYTHONUNBUFFERED": "1"}


def test_the_wheel_is_what_gets_imported(installed, tmp_path):
    """The fresh venv imports mockgraph from the wheel, and finds the bundled fixtures inside it."""
    probe = "import mockgraph, mockgraph.fixturefile as f; print(mockgraph.__file__); print(f.bundled_fixtures())"
    out = subprocess.run([installed / "python", "-c", probe], cwd=tmp_path, env=_clean_env(), check=True, capture_output=True, text=True)
    module, fixtures = out.stdout.splitlines()
    assert Path(module).is_relative_to(installed.parent), module
    assert Path(fixtures).is_relative_to(installed.parent), fixtures
    assert any(Path(fixtures).rglob("*.json"))


def test_readme_pytest_example_passes_from_the_wheel(installed, tmp_path):
    """The README's example, in a project with no fixtures and no configuration, gets its 201."""
    (tmp_path / "test_readme.py").write_text(README_TEST)
    result = subprocess.run(
        [installed / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme.py"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_serve_with_no_fixtures_folder_serves_the_bundled_ones(installed, tmp_path):
    """`mockgraph serve` from an empty folder says it serves the bundled fixtures, answers, and stops on SIGTERM."""
    argv = [installed / "mockgraph", "serve", "--port", "0"]  # the port only: 8080 may be taken on a CI machine
    with serve_process(argv, cwd=tmp_path, env=_clean_env()) as (process, url):
        with urllib.request.urlopen(url + "/_mockgraph/health", timeout=10) as response:
            assert response.status == 200
            assert json.load(response)["fixtures"] > 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "serving the bundled fixtures" in process.stderr.read()
