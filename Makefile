# Every target bootstraps what it needs: on a fresh clone `make test` and `make serve` are all the set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS   ?= ../shared/graphdocs
HOST   ?= 127.0.0.1
PORT   ?= 8080

# The bundled fixtures: the seed page and the onlineMeeting pages of the sample documentation.
FIXTURE_PAGES := $(DOCS)/app-post-onlinemeetings.md \
                 $(wildcard $(DOCS)/api-reference/*/api/*onlinemeeting*.md)

.PHONY: install test serve fixtures bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/python -m pytest

serve: install
	$(BIN)/mockgraph serve --fixtures fixtures --host $(HOST) --port $(PORT)

fixtures: install
	$(BIN)/mockgraph import --out fixtures --root $(DOCS) --clean $(FIXTURE_PAGES)

bench: install
	$(BIN)/python benchmarks/bench_replay.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
