# Every target creates the virtual environment it needs, so `make demo` and
# `make test` work on a fresh clone. PYTHON and VENV choose the interpreter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Three stamps, so that each target installs only what it needs: SPOC alone (the
# demo), then its test tools and the plugins the tests install, then the docs tools.
SPOC_STAMP := $(VENV)/.installed-spoc
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test test-installed lint docs bench clean redis-server

# SPOC in editable mode, and spoc-celery (the demo's indexer is a task): what the demo needs, nothing else.
$(SPOC_STAMP): pyproject.toml plugins/spoc-celery/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e . -e plugins/spoc-celery
	touch $(SPOC_STAMP)

$(STAMP): $(SPOC_STAMP) $(wildcard plugins/*/pyproject.toml) examples/minimal-plugin/pyproject.toml
	$(PIP) --upgrade pip
	$(PIP) -e ".[dev]"
# The first-party plugins and the minimal example, as real distributions found through their entry points.
	$(PIP) -e plugins/spoc-timing -e plugins/spoc-logging -e examples/minimal-plugin
	touch $(STAMP)

$(DOCS_STAMP): $(SPOC_STAMP)
	$(PIP) -e ".[docs]"
	touch $(DOCS_STAMP)

# spoc-celery's tests run a real Redis server (docs/scale-out.md): Debian's redis-server,
# installed here when it is missing and make runs as root; else install it or set REDIS_SERVER.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || [ -n "$$REDIS_SERVER" ] || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } || \
	echo "warning: no redis-server: spoc-celery's tests will fail (apt-get install redis-server, or set REDIS_SERVER)" >&2

demo: $(SPOC_STAMP)
	cd examples/blog && ../../$(BIN)/python main.py

test: $(STAMP) redis-server
	$(BIN)/python -m pytest

# The wheels as users get them: built, installed (not editable) into a fresh venv,
# tested from outside the source tree. CI runs it on 3.10 and 3.13.
test-installed: $(STAMP) redis-server
	.ci/installed $(PYTHON) $(BIN)/python

lint: $(STAMP)
	$(BIN)/python -m ruff check spoc tests examples plugins bench
	$(BIN)/python -m ruff format --check spoc tests examples plugins bench
	$(BIN)/python -m mypy --strict spoc
	$(BIN)/python -m mypy --strict plugins/spoc-timing/spoc_timing plugins/spoc-logging/spoc_logging \
		plugins/spoc-celery/spoc_celery examples/minimal-plugin/spoc_hello

docs: $(DOCS_STAMP)
	$(BIN)/python -m mkdocs build --strict --site-dir site

# Ratios against plain-Python floors (docs/performance.md); BENCHFLAGS=--quick for a smoke run.
# The upstream section makes its own Python 3.13 venvs under .venv-bench/ (skipped, and said so, offline).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCHFLAGS)

clean:
	rm -rf $(VENV) .venv-* site .mypy_cache .ruff_cache .pytest_cache
