# civicdesk: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs every check.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
# The exact versions (and hashes) of every dependency: requirements.lock for running civicdesk
# (the Docker image installs it), requirements-test.lock for it and the tests. `make lock`
# writes both from pyproject.toml with uv.
LOCK = requirements.lock
TEST_LOCK = requirements-test.lock
UV_VERSION = 0.13.9
COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' --quiet

.PHONY: install run test lint typecheck unit bench clean browser lock lock-upgrade

# Reinstalled whenever a lock (or pyproject.toml) changes: the locked dependencies first, then
# civicdesk itself without letting pip pick any other version.
$(STAMP): pyproject.toml $(TEST_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Development mode (--dev): tokens signed with the published development secret are accepted,
# and the server listens on 127.0.0.1 only. Never use it for a real desk.
run: install
	$(BIN)/civicdesk serve --dev --demo-if-empty

# After changing the dependencies in pyproject.toml: pins what is new, keeps every other pin.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(COMPILE) $(UPGRADE) -o $(LOCK)
	$(COMPILE) $(UPGRADE) --extra test --constraint $(LOCK) -o $(TEST_LOCK)

# Every dependency to the newest version pyproject.toml allows (then run `make test`).
lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy --strict domain application engine

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
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/report.py --database sqlite
	$(BIN)/python bench/receipt_cost.py --database sqlite --read-models
	@if [ -n "$$CIVICDESK_DATABASE_URL$$CIVICDESK_TEST_DATABASE_URL" ]; then \
		$(BIN)/python bench/commands.py; \
		$(BIN)/python bench/case_view.py; \
		$(BIN)/python bench/receipt_cost.py --database postgres --read-models; \
	else echo "bench/commands.py skipped: it needs PostgreSQL (CIVICDESK_DATABASE_URL) and wrk"; fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
