# Shift-PW sparse CNN engine: setup, regression, demo.  `make help` lists targets.
SIM     ?= icarus
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
BUILD   := build
# pytest-xdist workers for the regression (2 cores on CI)
JOBS    ?= 2
# random layers for `make soak`
N       ?= 1000
SEED    ?= 1
CONFIG  ?= small
# extra pytest arguments, e.g. make test PYTEST_ARGS="-k iss -x"
PYTEST_ARGS ?=
export SIM

.DEFAULT_GOAL := test
.PHONY: help setup iverilog test test-models test-verilator-subset ci lint synth soak bench demo train clean

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'
	@echo "  variables: SIM=icarus|verilator  JOBS=$(JOBS)  N=$(N) SEED=$(SEED) CONFIG=$(CONFIG)  WAVES=1  PYTEST_ARGS=..."

setup: $(STAMP) iverilog ## create .venv with pinned requirements; install Icarus if missing

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

iverilog:
	@command -v iverilog >/dev/null 2>&1 || scripts/apt-install.sh iverilog

test: setup ## default regression on $(SIM): models, block benches, system benches (small + chip), coverage
	@mkdir -p $(BUILD)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-$(SIM).xml
	$(PY) scripts/coverage_check.py

test-models: setup ## golden-model, compiler and ISS tests only
	$(PY) -m pytest models/tests $(PYTEST_ARGS)

test-verilator-subset: setup ## the Verilator part of CI: system benches, both configs
	@mkdir -p $(BUILD)
	SIM=verilator $(PY) -m pytest -n $(JOBS) verif/system $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-verilator-subset.xml

ci: test test-verilator-subset lint ## what .ci/run runs

lint: setup ## Verilator --lint-only -Wall and iverilog -g2005 on every hdl/*.v
	scripts/lint.sh

synth: setup ## yosys synthesis of the chip top: no latches, no loops; cell counts -> docs/synthesis.md
	scripts/synth.sh all

soak: setup ## N random layers through the RTL vs the golden model (CONFIG, SEED; not in CI)
	$(PY) -m verif.soak --n $(N) --seed $(SEED) --config $(CONFIG) --sim $(SIM)

bench: setup ## performance benchmark on the RTL -> docs/performance.md and plots
	$(PY) -m bench.perf

# Verilator by default: the 450 test images are 3.2 M cycles, 10-20 s on
# Verilator, 17-21 minutes on Icarus (docs/performance.md, P4).
DEMO_SIM ?= verilator
demo: setup ## main job: the sparse INT4 digits model through the RTL, checked, with a report
	$(PY) -m verif.demo --sim $(DEMO_SIM)

train: setup ## re-train the digits models (FP, gradual pruning, INT4 DQ) -> models/trained/
	$(PY) -m models.nn train

clean: ## remove build outputs (keeps .venv)
	rm -rf $(BUILD) .pytest_cache .hypothesis
