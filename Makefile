# Set-up on a fresh machine: `make demo` (the main job), `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: help demo test fuzz bench bench-peers install install-test clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

install: $(VENV)/.installed  ## create .venv and install convlayers

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	touch $@

install-test: $(VENV)/.installed-test  ## install convlayers with its test dependencies

$(VENV)/.installed-demo: $(VENV)/.installed
	$(PIP) -e '.[demo]'
	touch $@

demo: $(VENV)/.installed-demo  ## train the digits CNN, plot it, save and reload it (the main job)
	$(PY) -m convlayers demo

test: install-test  ## run the whole test suite (what CI runs)
	$(PY) -m pytest -q -n 2 --doctest-modules src tests bench

# The property tests (tests/test_properties.py) on fresh examples, in seeded rounds until FUZZ_SECONDS are spent.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 1
FUZZ_JOBS ?= 1
fuzz: install-test  ## the property tests on fresh examples for FUZZ_SECONDS
	$(PY) tests/fuzz.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --jobs $(FUZZ_JOBS)

bench: install  ## the benchmark tables (python -m bench)
	$(PY) -m bench

# TensorFlow and JAX for the benchmark's peer columns, in their own venv: never in $(VENV).
PEERS := .venv-peers
# One requirement per line, read by pip itself: no shell quoting between pyproject.toml and pip.
$(PEERS)/requirements.txt: pyproject.toml
	mkdir -p $(PEERS)
	$(PYTHON) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))' > $@

$(PEERS)/.installed: $(PEERS)/requirements.txt
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

bench-peers: $(PEERS)/.installed  ## install TensorFlow and JAX into .venv-peers for the bench's peer columns

clean:  ## remove the venvs and build outputs
	rm -rf $(VENV) $(PEERS) build *.egg-info src/*.egg-info
