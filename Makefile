# Two entry points for a newcomer: `make run` (install, start the app) and
# `make test` (install, run every test). Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install system-packages test-system-packages bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install system-packages
	$(PY) -m streamlit run app.py

# Debian packages: packages.txt (Graphviz, for SVG downloads) and, for the tests,
# Chromium (tests/browser). apt-get install when missing and root; otherwise a
# loud warning (no SVG download; pytest skips the browser tests).
system-packages:
	@bash .ci/ensure-system-packages

test-system-packages:
	@bash .ci/ensure-system-packages --tests

test: install test-system-packages
	$(PY) -m pytest

bench: install
	$(PY) -m mbcore bench

clean:
	rm -rf $(VENV) .pytest_cache
