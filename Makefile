# The few commands a newcomer needs. Everything installs into .venv from the lock file.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
UV_VERSION := 0.13.8
SQL_PATHS := dbt_project/models dbt_project/macros dbt_project/tests

.PHONY: venv run up test test-slow test-celery lint fmt lock clean
# Two workers: the suites are CPU-bound and the machines have 2 cores.
PYTEST := $(BIN)/pytest -n 2 --dist loadfile

venv: $(STAMP)

# --compile-bytecode: CI (and this machine) set PYTHONDONTWRITEBYTECODE, so without .pyc files written at
# install every process (each Airflow task, each dbt run) recompiles Airflow, GX and pandas from source.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

## run: the whole pipeline through real Airflow on the embedded default; prints the scorecard
run: venv
	$(BIN)/parmetrics demo

## up: like run, but leaves Airflow and its UI running until Ctrl-C
up: venv
	$(BIN)/parmetrics demo --keep-running

## backfill: Airflow's own backfill of the monthly history twins, e.g. make backfill FROM=2019-01 TO=2024-12
## (embedded Airflow on .data; rerun after a crash to resume; BACKFILL_ARGS passes options)
FROM ?= 2019-01
TO ?= 2024-12
.PHONY: backfill
backfill: venv
	$(BIN)/parmetrics backfill --from $(FROM) --to $(TO) $(BACKFILL_ARGS)

## test: lint, then every test except the slow suites (under 20 minutes on 2 cores)
test: venv lint
	$(PYTEST) -m "not slow and not superset and not celery"

## test-slow: make run's path twice, the inbox watcher under standalone, eight anomalies through the DAGs
test-slow: venv
	$(PYTEST) -m slow

## test-superset: the dashboards (superset/) imported into a real Superset in its own environment, every one rendered in
## headless Chromium and checked against the published file; screenshots in .data/superset-screenshots/
SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed-$(shell cat superset/requirements.lock | cksum | cut -d' ' -f1)
.PHONY: test-superset
test-superset: venv $(SUPERSET_STAMP)
	$(BIN)/pytest -m superset tests/superset

# Superset conflicts with Airflow's dependencies: its own venv, from its own lock, with .venv's uv.
$(SUPERSET_STAMP): superset/requirements.lock | venv
	@test -x $(SUPERSET_VENV)/bin/python || $(BIN)/uv venv -q --python $(PY) $(SUPERSET_VENV)
	$(BIN)/uv pip install -q --compile-bytecode --python $(SUPERSET_VENV)/bin/python -r superset/requirements.lock
	@rm -f $(SUPERSET_VENV)/.installed-*
	@touch $@

## test-celery: the pipeline on CeleryExecutor (PostgreSQL + Redis from Debian packages, two workers) equals the embedded run
test-celery: venv
	services="$$(.ci/services.sh postgres redis)" && eval "$$services" && $(BIN)/pytest -m celery -rP tests/deploy

## soak: 50 rounds of random faults against the simulator, each checked against ground truth (exit 1 on any loss);
## SOAK_ARGS passes options, e.g. make soak SOAK_ARGS="--rounds 10 --seed 7"
.PHONY: soak
soak: venv
	nice -n 10 $(BIN)/parmetrics soak $(SOAK_ARGS)

## bench: 1M dossiers generated (cached), every stage measured (time, peak RSS), the floor checked, targets
## printed and saved under .data/bench/; BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--years 8"
.PHONY: bench
bench: venv
	nice -n 10 $(BIN)/parmetrics bench $(BENCH_ARGS)

## docs: regenerate the generated tables in docs/ (landing schemas and rules, scoring rules, marts) from the code
.PHONY: docs
docs: venv
	$(BIN)/python -m parmetrics.docs

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint $(SQL_PATHS)

## fmt: fix what the linters can
fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix $(SQL_PATHS)

## lock: re-resolve the whole dependency tree from requirements*.txt
lock: venv
	$(BIN)/uv pip compile requirements.txt requirements-dev.txt --python-version 3.11 -o requirements.lock

clean:
	rm -rf .data dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
