# The Spine harness. `make conformance` and `make test` do all the set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TARGET ?= local
PYTEST_ARGS ?=

.PHONY: help setup system-packages conformance test up clean

help:
	@echo "make conformance [TARGET=local|compose|remote]  run the conformance suites"
	@echo "make test                                       the harness's own tests, then conformance on local"
	@echo "make up                                         start the local Spine until Ctrl-C"

setup: $(VENV)/.installed system-packages

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

system-packages:
	@bash tools/install-system-packages.sh

conformance: setup
	$(PY) -m pytest conformance --target $(TARGET) $(PYTEST_ARGS)

test: setup
	$(PY) -m pytest tests $(PYTEST_ARGS)
	$(MAKE) --no-print-directory conformance TARGET=local

up: setup
	$(PY) -m spine_harness up

clean:
	rm -rf $(VENV) .spine reports .benchmarks
