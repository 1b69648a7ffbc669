# Tasks for the template repository itself (the baked project has its own Makefile).
# Every target bootstraps .venv on its own: a fresh machine needs only python3 (3.11+)
# and make. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
# Keep in step with the uv pin in pyproject.toml (tests/test_tooling.py checks it).
UV_VERSION := 0.13.8
VENV := .venv
SYNCED := $(VENV)/.synced
# The pinned uv from .venv, also for the baked projects' `make check` (their Makefiles
# read $(UV)), so a machine without uv, or with another uv, gives the same results.
export UV := $(abspath $(VENV)/bin/uv)

OUT ?= baked
ARGS ?=
TEAM_CONFIG ?=
WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help bootstrap bake test test-fast bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(VENV)/bin/uv:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(VENV)/bin/uv pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

bootstrap: $(SYNCED) ## Create .venv from uv.lock (every other target does this first)

bake: $(SYNCED) ## Bake with default answers into $(OUT)/; override answers with ARGS="event_source=api api_auth=iam", team defaults with TEAM_CONFIG=team.yaml
	@$(VENV)/bin/python tests/bake.py --output-dir $(OUT) $(if $(TEAM_CONFIG),--config-file $(TEAM_CONFIG)) $(ARGS)

# pytest exits 5 when it ran no test; that must fail CI, not pass it quietly.
test: $(SYNCED) ## The whole template test suite, the baked projects' own `make check` included
	@rc=0; $(VENV)/bin/python -m pytest -n $(WORKERS) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-fast: $(SYNCED) ## The suite without the slow tests (no baked `make check`, no `sam build`)
	@$(MAKE) test PYTEST_ARGS='-m "not slow" $(PYTEST_ARGS)'

# Not part of `make test`: minutes of timing, and it fails only on a missed budget.
bench: $(SYNCED) ## Bake every enabled variant; cold start, warm latency, package size, budgets (BENCH_ARGS="--runs 5 --skip-check")
	@$(VENV)/bin/python benchmarks/run.py --json build/bench.json $(BENCH_ARGS)

clean: ## Remove .venv, baked/ and the pytest cache
	rm -rf $(VENV) baked .pytest_cache
