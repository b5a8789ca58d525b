# Two commands on a fresh machine (see README.md):
#   make serve   run the reference broker on its embedded defaults
#   make test    run the project's tests
# Both create .venv and install the workspace into it on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv serve test docs wd lint clean bench-docs bench-memory

venv: $(STAMP)

$(STAMP): pyproject.toml spec/pyproject.toml reference/pyproject.toml conformance/pyproject.toml \
          client/pyproject.toml cli/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./spec -e './reference[docker,postgresql]' -e ./conformance -e ./client -e ./cli
	$(BIN)/python -m pip install --quiet --group dev
	touch $(STAMP)

serve: venv
	$(BIN)/ivoa-eb-broker serve

test: venv
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The rendered specification, in site/: mermaid fetched from npm (once), the reference broker's
# answers to the examples, a real run of a federation (three sites and a head) and its
# conformance verdicts recorded in build/, then mkdocs.
docs: venv
	bash scripts/docs/fetch_mermaid.sh
	$(BIN)/python scripts/docs/capture_answers.py
	$(BIN)/python scripts/docs/capture_federation.py
	$(BIN)/python scripts/docs/run_conformance.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The performance page's figures (docs/performance.md includes the file): a real run of the
# benchmark on this machine, then the scale-out mode when EB_TEST_POSTGRES_URL is set.
BENCH_ARGS ?= --requests 200
bench-docs: venv
	$(BIN)/python benchmarks/bench_requests.py $(BENCH_ARGS) --markdown benchmarks/results/figures.md
	if [ -n "$$EB_TEST_POSTGRES_URL" ]; then \
	  $(BIN)/python benchmarks/bench_requests.py --workers 2 --sizes 10000 $(BENCH_ARGS) \
	    --markdown benchmarks/results/scale-out.md; fi

# The broker's memory after 10k and 100k requests (about 20 minutes): benchmarks/results/memory.md
bench-memory: venv
	$(BIN)/python benchmarks/bench_requests.py --memory 10000,100000 \
	  --markdown benchmarks/results/memory.md

# The Working Draft as one document, HTML and PDF, in build/wd/ (PDF by headless chromium).
wd: venv
	bash scripts/docs/fetch_mermaid.sh
	$(BIN)/python scripts/wd/build.py --pdf

lint: venv
	$(BIN)/ruff check spec reference conformance client cli tests docs/hooks scripts benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) site .pytest_cache .hypothesis
