# Two commands on a fresh machine (see README.md):
#   make serve   run the reference broker on its embedded defaults
#   make test    run the project's tests
# Both create .venv and install the workspace into it on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv serve test docs lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml spec/pyproject.toml reference/pyproject.toml conformance/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./spec -e './reference[docker]' -e ./conformance
	$(BIN)/python -m pip install --quiet --group dev
	touch $(STAMP)

serve: venv
	$(BIN)/ivoa-eb-broker serve

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check spec reference conformance tests

clean:
	rm -rf $(VENV) site .pytest_cache .hypothesis
