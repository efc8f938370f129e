# Every target bootstraps what it needs: on a fresh clone `make test` and `make serve` are all the set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS   ?= ../shared/graphdocs
HOST   ?= 127.0.0.1
PORT   ?= 8080

# The pages the bundled fixtures come from are listed once, in fixtures/PAGES.
FIXTURE_PAGES = $(wildcard $(addprefix $(DOCS)/,$(shell grep -v '^\#' fixtures/PAGES)))

.PHONY: install check test fuzz serve fixtures bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test,compat]'
	touch $(STAMP)

# Compiled once here, not at every start: where PYTHONDONTWRITEBYTECODE is set (as on these
# machines) nothing caches mockgraph's bytecode, an editable install compiles none, and every
# `mockgraph serve` compiled all of it again (0.15-0.25 s of a start; BENCHMARKS.md, start-up).
# Up to date, this is a quick look at the files' times.
install: $(STAMP)
	$(BIN)/python -m compileall -q mockgraph

# The HTML report is tested in Debian's Chromium, installed here where it is missing (as root, as on CI).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The habits that keep the code clean: formatting, lint and types, before every test run.
check: install
	$(BIN)/ruff format --check mockgraph
	$(BIN)/ruff check mockgraph
	$(BIN)/mypy

test: install check $(CHROMIUM)
	$(BIN)/python -m pytest
	$(BIN)/mockgraph verify --quiet fixtures

# Issue 11's fuzz test for a minute instead of a few seconds; MOCKGRAPH_FUZZ_SEED=N tries another seed.
fuzz: install
	MOCKGRAPH_FUZZ_SECONDS=$${MOCKGRAPH_FUZZ_SECONDS:-60} $(BIN)/python -m pytest -q tests/test_fuzz.py

serve: install
	$(BIN)/mockgraph serve --fixtures fixtures --host $(HOST) --port $(PORT)

fixtures: install
	$(BIN)/mockgraph import --out fixtures --root $(DOCS) --clean $(FIXTURE_PAGES)

bench: install
	$(BIN)/python benchmarks/bench_replay.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_plugin.py
	$(BIN)/python benchmarks/bench_forward.py
	$(BIN)/python benchmarks/bench_protocol.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_permissions.py
	$(BIN)/python benchmarks/bench_state.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache mockgraph/__pycache__
