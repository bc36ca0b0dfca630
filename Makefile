# Two entry points for a newcomer: `make run` (install, start the app) and
# `make test` (install, run every test). Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m streamlit run app.py

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m mbcore bench

clean:
	rm -rf $(VENV) .pytest_cache
