# Everything a new machine needs is Python 3.11+ and make: uv is bootstrapped into .tools/ if missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
endif
VENV := .venv
# Trust the system's certificate store (as pip does), so a site proxy's CA works out of the box.
export UV_NATIVE_TLS ?= 1
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: help setup run status test test-unit lint format bench demo reset token asyncapi clean

help:
	@echo "make run     start the broker and every service on SQLite under .data/ (Ctrl-C stops)"
	@echo "make status  per service of a running 'make run': consumer lag, outbox, dead letters, last event"
	@echo "make test    run the whole test suite (PostgreSQL if reachable, else SQLite)"
	@echo "make test-unit  only the unit tests: no database, no broker, quick"
	@echo "make lint    ruff and mypy"
	@echo "make demo    replay a synthetic half-term into a running 'make run' and print what followed"
	@echo "            (its own schools, 990101-990199 of LA 999, never yours)"
	@echo "make reset   clear what 'make run' stored under .data/ (stop it first); .venv/ is kept"
	@echo "make bench   the benchmarks (PostgreSQL needed; BENCH_SCALE=small for a quick run)"
	@echo "make token ROLE=mis SCHOOL=100001   mint a development token (ROLE=admin by default);"
	@echo "            mis, school_staff need SCHOOL=; la_officer LA=; social_worker, parent EMAIL=; admin none"
	@echo "make asyncapi  regenerate docs/asyncapi.yaml from the event models"

.tools/bin/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found " + sys.version.split()[0] + ")")'
	@echo "setup: installing uv into .tools/" >&2
	@$(PYTHON) -m venv .tools >&2 && .tools/bin/python -m pip install --quiet --disable-pip-version-check uv >&2

# Quiet on stdout, so `TOKEN=$$(make token ...)` holds the token even when the environment syncs first.
$(VENV)/.synced: uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) | $(UV)
	@echo "setup: $(UV) sync --all-packages --locked" >&2
	@$(UV) sync --all-packages --locked --quiet >&2
	@touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/python -m attendance_common.stack

status: setup
	@$(VENV)/bin/python -m attendance_common.status

test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(VENV)/bin/python -m pytest -m "not integration" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs/common/src $(wildcard services/*/src)

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks: not tests, they assert nothing; they print a table and one JSON line. Need PostgreSQL.
bench: setup
	$(VENV)/bin/python tests/bench/registers_ingest.py
	$(VENV)/bin/python tests/bench/registers_reports.py
	$(VENV)/bin/python tests/bench/event_shapes.py
	$(VENV)/bin/python tests/bench/alerts_worker.py
	$(VENV)/bin/python tests/bench/pipeline.py
	$(VENV)/bin/python tests/bench/idle.py
	$(VENV)/bin/python tests/bench/requests_flow.py
	$(VENV)/bin/python tests/bench/attendance_updates.py

# A synthetic half-term for a few schools, replayed into a running `make run` (start that first).
demo: setup
	$(VENV)/bin/python tests/demo/demo_half_term.py

# Every service's data under ATTENDANCE_DATA_DIR (.data/), not the environment: the next run starts empty.
reset: setup
	@$(VENV)/bin/python -m attendance_common.reset

# docs/asyncapi.yaml from the pydantic event models (a test fails when the committed file is stale).
asyncapi: setup
	$(VENV)/bin/python -m attendance_common.asyncapi docs/asyncapi.yaml

# The roles and what each needs are in attendance_common/devtoken.py (several schools:
# SCHOOL="100001 100002"); the command names a missing variable.
ROLE ?= admin
token: setup
	@$(VENV)/bin/attendance-token --role $(ROLE) \
		$(foreach s,$(SCHOOL),--school $(s)) $(if $(LA),--la $(LA)) $(if $(TRUST),--trust $(TRUST)) $(if $(EMAIL),--email $(EMAIL))

clean:
	rm -rf $(VENV) .tools .data .pytest_cache .mypy_cache .ruff_cache
