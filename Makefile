# Partner Portal: `make run` serves the portal on its embedded defaults, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where `make test` looks for PostgreSQL; .ci/run insists on it (REQUIRE_POSTGRES=true).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/portal
REQUIRE_POSTGRES ?= false
PORT ?= 8000

.PHONY: help setup setup-browser run test lint typecheck migrations-check pytest pytest-postgres clean

help:
	@echo "make run    serve the portal on http://127.0.0.1:$(PORT)/ (sandbox, SQLite, demo data)"
	@echo "make test   lint, type-check and run the whole test suite (SQLite, then PostgreSQL)"

$(STAMP): pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# The browser tests (tests/e2e) drive Debian's Chromium: Playwright's own download does not work
# here. Installed with apt when missing and apt is usable (root); otherwise say what to do.
CHROMIUM := /usr/bin/chromium
setup-browser:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "The browser tests need Chromium at $(CHROMIUM)." >&2; \
		echo "Install it as root: apt-get update && apt-get install -y chromium" >&2; \
		echo "(or: sudo apt-get install chromium). Then run make test again." >&2; \
		exit 1; \
	fi

run: setup
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py migrate --noinput --verbosity 0 --database sandbox
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py sandbox_seed
	$(PY) manage.py portal_demo_user --port $(PORT)
	@scripts/run-portal $(PY) $(PORT)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: setup
	$(PY) -m mypy .

migrations-check: setup
	$(PY) manage.py makemigrations --check --dry-run

pytest: setup setup-browser
	$(PY) -m pytest -n 2 -p no:cacheprovider

pytest-postgres: setup setup-browser
	@if $(PY) scripts/postgres-ready "$(TEST_POSTGRES_URL)"; then \
		echo "Running the suite again on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		DATABASE_URL="$(TEST_POSTGRES_URL)" $(PY) -m pytest -n 2 -p no:cacheprovider; \
	elif [ "$(REQUIRE_POSTGRES)" = "true" ]; then \
		echo "PostgreSQL is required but does not answer at $(TEST_POSTGRES_URL)." >&2; exit 1; \
	else \
		echo "Skipping the PostgreSQL run: nothing answers at $(TEST_POSTGRES_URL)."; \
	fi

test: lint typecheck migrations-check pytest pytest-postgres

clean:
	rm -rf $(VENV) var
