# Shift-PW sparse CNN engine: setup, regression, demo.  `make help` lists targets.
SIM     ?= icarus
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
BUILD   := build
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k iss -x"
PYTEST_ARGS ?=

.DEFAULT_GOAL := test
.PHONY: help setup iverilog test test-models demo clean

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'
	@echo "  variables: SIM=icarus|verilator  PYTEST_ARGS=..."

setup: $(STAMP) iverilog ## create .venv with pinned requirements; install Icarus if missing

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

iverilog:
	@command -v iverilog >/dev/null 2>&1 || scripts/apt-install.sh iverilog

test: setup ## the default regression (model tests; RTL benches join as they land)
	@mkdir -p $(BUILD)
	$(PY) -m pytest $(PYTEST_ARGS) --junitxml=$(BUILD)/junit.xml

test-models: setup ## golden-model, compiler and ISS tests only
	$(PY) -m pytest models/tests $(PYTEST_ARGS)

demo: setup ## main job: random layer cases through the golden model with a report
	$(PY) -m models gen --seed 1 --config small --k 3 --out $(BUILD)/demo_case.npz
	$(PY) -m models run $(BUILD)/demo_case.npz --backend golden --config small --out $(BUILD)/demo_out.npz

clean: ## remove build outputs (keeps .venv)
	rm -rf $(BUILD) .pytest_cache .hypothesis
