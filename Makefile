# Two entry points for a newcomer: `make run` (install, start the app) and
# `make test` (install, run every test). Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install chromium bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m streamlit run app.py

# Debian's Chromium for the browser tests (tests/browser): apt-get install when
# missing and root; otherwise a loud warning and pytest skips those tests.
chromium:
	@bash .ci/ensure-chromium

test: install chromium
	$(PY) -m pytest

bench: install
	$(PY) -m mbcore bench

clean:
	rm -rf $(VENV) .pytest_cache
