# Set-up on a fresh machine: `make demo` (the main job), `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test bench install install-test clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-demo: $(VENV)/.installed
	$(PIP) -e '.[demo]'
	touch $@

demo: $(VENV)/.installed-demo
	$(PY) -m convlayers demo

test: install-test
	$(PY) -m pytest -q -n 2 --doctest-modules src tests

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
