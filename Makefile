# learnpath: `make demo` sets up and serves the demo; `make test` runs ruff and the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install install-bench demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-bench: install
	$(PY) -m pip install --quiet -e '.[dev,bench]'

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py rundemo

lint: install
	$(VENV)/bin/ruff check .

test: install lint
	$(PY) -m pytest

clean:
	rm -rf var staticfiles test-artifacts .pytest_cache
