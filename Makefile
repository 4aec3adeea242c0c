# Two commands are promised on a fresh machine: `make test` and `make demo`.
# Both create .venv when missing and install the project into it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck unit browser contract load-gate chaos-gate bench clean models

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,load,verify]'
	@touch $(STAMP)

test: lint typecheck unit contract load-gate chaos-gate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The typed billing wire models, generated from contracts/billing-adapter.openapi.yaml, and the
# Pub/Sub API stubs from Salesforce's pubsub_api.proto (checked in; a test fails when they are stale).
models: $(STAMP)
	$(BIN)/python -m contracts.generate
	$(BIN)/python -m contracts.salesforce_pubsub.generate

# pytest-xdist: the unit suite and the contract gates each run on PYTEST_WORKERS processes (CI has
# 2 cores; `make unit PYTEST_WORKERS=0` runs in one process). tests/conftest.py keeps each file on
# one worker, the timing-sensitive gates on one worker together, and starts the longest first.
PYTEST_WORKERS ?= 2
XDIST = -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder

# Everything but the contract gates (`make contract` runs those), so `make test` runs each test once.
unit: $(STAMP) browser
	$(BIN)/pytest -m "not contract" $(XDIST)

# The web console's browser tests need Debian's Chromium (`apt-get install -y chromium`; .ci/run
# installs it). Without it `make test` stops here and says so, unless Q2C_SKIP_BROWSER_TESTS=1.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || test "$$Q2C_SKIP_BROWSER_TESTS" = 1 || { \
		echo "make test: no browser at $(CHROMIUM): install it with 'apt-get install -y chromium'," \
		"or set Q2C_SKIP_BROWSER_TESTS=1 to skip the web console's browser tests on purpose." >&2; exit 1; }

# The contract gate: schemathesis (all phases, all checks, seeded) against each server on a free
# port: the Salesforce subset, the billing simulator (and q2c verify against it), the integration
# core, the control planes: every test marked `contract`. The seed is derived from the commit, so
# each commit explores new cases; each gate prints it: `Q2C_FUZZ_SEED=<seed> make contract`
# replays a failure.
contract: $(STAMP)
	$(BIN)/pytest -m contract $(XDIST)

# The CI load gate (about 30 s): each scenario briefly, against a fresh system on free ports;
# exit 3 names the breached gate (loadtests/gates.yaml). Reports in $(LOAD_REPORTS)/<scenario>.
LOAD_REPORTS ?= reports/load-gate
load-gate: $(STAMP)
	$(BIN)/q2c load link --report-dir $(LOAD_REPORTS)/link
	$(BIN)/q2c load invoice_sync --run-time 8s --report-dir $(LOAD_REPORTS)/invoice_sync
	$(BIN)/q2c load simulators --run-time 5s --report-dir $(LOAD_REPORTS)/simulators

# The short chaos gate (about 45 s, docs/chaos.md): the three components as processes under every
# fault family, the core SIGKILLed twice mid-flow; exit 0 only with nothing lost, nothing
# duplicated and reconcile drift 0. Report and logs in $(CHAOS_REPORTS).
CHAOS_REPORTS ?= reports/chaos-gate
chaos-gate: $(STAMP)
	$(BIN)/q2c chaos --short --report-dir $(CHAOS_REPORTS)

demo: $(STAMP)
	$(BIN)/q2c demo

clean:
	rm -rf $(VENV) .q2c .hypothesis .schemathesis
