# civicdesk: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs every check.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck unit bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/civicdesk serve --demo-if-empty

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy --strict domain application

unit: install
	$(BIN)/pytest tests/unit -q

test: lint typecheck browser
	$(BIN)/pytest -q -n 2

# Debian's chromium, for the status page's accessibility test and the accountability report's
# rendering test (tests/e2e). Needs root; left to those tests to report when it cannot be
# installed (they skip, or fail under CI=true).
browser:
	-@command -v chromium >/dev/null 2>&1 || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# Every benchmark, on SQLite (export CIVICDESK_DATABASE_URL for the deadline benchmark on
# PostgreSQL; bench/queues.py --database postgres and bench/rebuild.py --database postgres
# take theirs from it too; bench/commands.py, commands over HTTP, runs only with PostgreSQL and
# needs Debian's wrk). About 25 minutes; bench/README.md has the figures and options.
bench: install
	$(BIN)/python bench/deadlines.py
	$(BIN)/python bench/queues.py
	$(BIN)/python bench/rebuild.py --database sqlite
	@if [ -n "$$CIVICDESK_DATABASE_URL$$CIVICDESK_TEST_DATABASE_URL" ]; then \
		$(BIN)/python bench/commands.py; \
	else echo "bench/commands.py skipped: it needs PostgreSQL (CIVICDESK_DATABASE_URL) and wrk"; fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
