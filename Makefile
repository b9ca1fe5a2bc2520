# Set-up on a fresh machine: `make demo` (the main job), `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test fuzz bench bench-peers install install-test clean

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
	$(PY) -m pytest -q -n 2 --doctest-modules src tests bench

# The property tests (tests/test_properties.py) on fresh examples, in seeded rounds until FUZZ_SECONDS are spent.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 1
FUZZ_JOBS ?= 1
fuzz: install-test
	$(PY) tests/fuzz.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --jobs $(FUZZ_JOBS)

bench: install
	$(PY) -m bench

# TensorFlow and JAX for the benchmark's peer columns, in their own venv: never in $(VENV).
PEERS := .venv-peers
$(PEERS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --disable-pip-version-check $$($(PYTHON) -c \
		'import tomllib; print(" ".join(repr(r) for r in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))')
	touch $@

bench-peers: $(PEERS)/.installed

clean:
	rm -rf $(VENV) $(PEERS) build *.egg-info src/*.egg-info
