# Fieldfriends — `make run` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development defaults; production sets these in the environment (README).
export DEBUG ?= 1

# First Python >= 3.12 that actually runs (pyenv shims may exist but refuse to run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.14 \
	$$(ls -rd $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null) python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	>/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: help venv run serve worker migrate demo test lint format bench load clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.12 not found on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed ## Create .venv and install dependencies

migrate: venv ## Apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## Load demo data (idempotent)
	$(PY) manage.py seed_demo

run: demo ## Set up everything and serve on 127.0.0.1:8000 with the background worker
	@echo "Serving on http://$(HOST):$(PORT)/ (demo logins in README)"
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py db_worker --interval 1 & \
	$(PY) manage.py run_scheduler & \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: venv ## Run the background worker only
	$(PY) manage.py db_worker

lint: venv ## ruff check + format check + migrations check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: venv ## Reformat and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint ## Lint, then run the whole test suite
	$(VENV)/bin/pytest -n 2

BENCH_SUITES ?= matching supply economics
bench: venv ## Benchmarks: medians and ratios against naive baselines (BENCH_SUITES)
	for suite in $(BENCH_SUITES); do $(PY) -m benchmarks --suite $$suite || exit 1; done

load: venv ## HTTP load test: gunicorn + Locust, LOAD_SECONDS (default 60), own database
	$(PY) -m benchmarks.load

clean: ## Remove the venv and local database
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache
