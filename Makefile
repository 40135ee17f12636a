# One Makefile, used the same way locally and in CI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PEOPLE ?= 20000
SCENARIO ?= civil

.PHONY: help setup demo test lint typecheck unit bench clean browser java screenshots

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "seamline needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv and install seamline with its dev tools

demo: setup  ## generate the demo workspace (SCENARIO=civil|us-ui|billing) and run the whole pipeline on it
	$(BIN)/seamline demo demo-workspace --scenario $(SCENARIO) --people $(PEOPLE) --force
	$(BIN)/seamline run demo-workspace

lint: setup  ## ruff lint and format check; the import contract (lint-imports, pyproject.toml)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: setup  ## mypy --strict on src/
	$(BIN)/mypy

unit: setup  ## the pytest suite alone
	$(BIN)/pytest -q

browser:  ## install Debian's chromium for the browser tests where it is missing (apt-get)
	@command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	      || echo "could not install chromium; the browser tests will say so"; \
	  else echo "chromium is missing: install it (apt-get install chromium) for the browser tests"; fi; }

java:  ## install a Java runtime for the Spark engine's tests where it is missing (apt-get)
	@command -v java >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing a Java runtime for the Spark engine's tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless) >/dev/null 2>&1 \
	      || echo "could not install Java; the Spark tests will say so"; \
	  else echo "java is missing: install Java 17 or newer (apt-get install default-jre-headless) for the Spark tests"; fi; }

test: lint typecheck browser java unit  ## everything CI runs: lint, types, the whole test suite

bench: setup  ## run the benchmarks in bench/ (seamline against its baselines, same run)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

screenshots: setup  ## regenerate docs/screenshots/*.png (every UI page at 1280x800; needs chromium)
	$(BIN)/python tests/ui/screenshots.py docs/screenshots

clean:  ## remove the virtualenv, caches and the demo workspace
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-workspace
