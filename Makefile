# Every target creates the virtual environment it needs, so `make demo` and
# `make test` work on a fresh clone. PYTHON and VENV choose the interpreter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $(STAMP)

demo: $(STAMP)
	cd examples/blog && ../../$(BIN)/python main.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m ruff check spoc tests examples
	$(BIN)/python -m ruff format --check spoc tests examples
	$(BIN)/python -m mypy --strict spoc

docs: $(STAMP)
	$(BIN)/python -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .venv-* site .mypy_cache .ruff_cache .pytest_cache
