# Bohai: `make run` starts the platform on a fresh machine; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOHAI := $(BIN)/bohai

.PHONY: run test bench setup install demo clean-db test-postgres

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Migrate, load the city's reference data and the demo data set (idempotent).
setup: install
	$(BOHAI) setup

run: setup
	BOHAI_DEBUG=1 $(BOHAI) serve

test: install
	$(BIN)/python -m pytest

test-postgres: install
	BOHAI_DATABASE_URL=$${BOHAI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bohai} $(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/run_all.py

clean-db:
	rm -f var/bohai.sqlite3 var/bohai.sqlite3-wal var/bohai.sqlite3-shm
