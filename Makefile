# civicdesk: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs every check.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck unit bench clean

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

test: lint typecheck
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/deadlines.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
