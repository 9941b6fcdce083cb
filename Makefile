# Two commands a newcomer needs: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000
AXE_CORE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: install dev index run cluster test test-slow eval eval-ingest eval-dates eval-duplicates eval-turkish lint format bench bench-stream bench-cluster clean

PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

# What running needs, nothing more (`pip install -e .`).
install: $(VENV)/.installed-run

# Every extra (test, bench, eval) at once, for working on Dossier.
dev: $(VENV)/.installed-dev

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

# One stamp per extra of pyproject.toml, so `make test` after `make run` adds the
# test tools, and editing pyproject.toml reinstalls.
$(VENV)/.installed-%: pyproject.toml $(VENV)/.installed-run
	$(PIP) -e '.[$*]'
	touch $@

index: install
	$(BIN)/dossier index corpus --index $(INDEX)

run: index
	$(BIN)/dossier serve --index $(INDEX) --host $(HOST) --port $(PORT)

# A local 3-node Typesense cluster in the foreground, to try DOSSIER_BACKEND=typesense
# by hand: prints the settings to export; Ctrl-C stops every node. API ports
# CLUSTER_PORT..+2 (peering +100), data kept in CLUSTER_DATA (tests/cluster/README.md).
CLUSTER_PORT ?= 8108
CLUSTER_DATA ?= var/cluster
cluster: $(VENV)/.installed-cluster
	$(BIN)/python -m tests.cluster.harness --serve --port $(CLUSTER_PORT) --data $(CLUSTER_DATA)

# The tests also drive the bench and eval harnesses: they need every extra.
test: $(VENV)/.installed-dev $(AXE_CORE)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# axe-core for the browser tests' accessibility checks, pinned by
# tests/browser/package-lock.json. Without npm (or, outside CI, without the
# registry) those checks skip with the reason; in CI (CI set) a failure stops here.
$(AXE_CORE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) && touch $@ \
	  || { echo "npm ci failed: the accessibility checks will skip"; [ -z "$$CI" ]; }; \
	else echo "npm not found: the accessibility checks will skip"; [ -z "$$CI" ]; fi

# kill -9 loops, a full disk, a load smoke test: a few minutes; CI runs them too.
test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m slow

# TREC-style relevance evaluation: eval/multilingual, plus CACM and Cranfield
# from ../shared/data when present (COLLECTIONS=dir… for others). See eval/RESULTS.md.
eval: $(VENV)/.installed-eval
	$(BIN)/python eval/run.py $(COLLECTIONS)

# Date inference precision/recall: the dated corpora of ../shared/data with their
# dates dropped, plus the undated ones for false dates (eval/DATES.md).
eval-dates: install
	$(BIN)/python eval/dates.py

# Turkish index keys on TTC-3600 of ../shared/data: Snowball against simplemma's lemma
# tables, on judged inflected-word and category topics (eval/TURKISH.md).
eval-turkish: $(VENV)/.installed-eval
	$(BIN)/python eval/turkish.py

# Stories (near-duplicates) found on BBC News and AG News of ../shared/data, exact
# copies checked to collapse, a sample of pairs to check by eye (eval/DUPLICATES.md).
eval-duplicates: install
	$(BIN)/python eval/duplicates.py

# What the ingest infers, measured in one run: dates (eval/DATES.md), then stories
# (eval/DUPLICATES.md). Each exits non-zero when its figure falls below its bar.
eval-ingest: eval-dates eval-duplicates

# Benchmarks against plain Whoosh, SQLite FTS5 and Tantivy on ../shared/data
# (about 25 minutes; an hour on a slow 2-core VM): bench/RESULTS.md and bench/growth.png.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py

# Peak memory of `dossier index` on one multi-GB JSON Lines file (streamed):
# over an hour; GIGABYTES=2 by default, STREAM_ARGS=--gzip for a .jsonl.gz.
bench-stream: $(VENV)/.installed-bench
	$(BIN)/python bench/stream_memory.py --gigabytes $(or $(GIGABYTES),2) $(STREAM_ARGS)

# Whoosh against a fresh local 3-node Typesense cluster (issue 16): indexing rate and the
# JSON API at 1, 8 and 32 clients on ARTICLES generated articles, engines alternating
# (about 18 minutes on a loaded 2-core machine); figures for bench/RESULTS.md. Needs
# only the cluster extra. CLUSTER_BENCH_ARGS="--rounds 3 --index-runs 2" etc. (-h).
ARTICLES ?= 20000
bench-cluster: $(VENV)/.installed-cluster
	$(BIN)/python bench/cluster.py --articles $(ARTICLES) $(CLUSTER_BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache .mypy_cache build *.egg-info
