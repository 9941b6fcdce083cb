# Two commands a newcomer needs: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install index run test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

index: install
	$(BIN)/dossier index corpus --index $(INDEX)

run: index
	$(BIN)/dossier serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache build *.egg-info
