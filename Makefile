# The README's commands. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Poster QR codes and invitation SMS point at the port the portal runs on.
SITE_URL ?= http://$(HOST):$(PORT)

BENCH_SIZE ?= default

.PHONY: help run worker jobs test lint fmt messages check-messages bench cluster cluster-stop cluster-smoke drill soak vendor clean

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: the portal on SQLite with eager Celery and SMS codes on the console and in var/sms.jsonl (HOST=, PORT=)
run: $(VENV)/.runtime
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py demo_data
	DEBUG=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## worker: a Celery worker with beat (the periodic jobs) on the Redis in REDIS_URL
worker: $(VENV)/.runtime
	@test -n "$(REDIS_URL)" || { echo "make worker needs REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379/0); without Redis, use make jobs"; exit 2; }
	mkdir -p var
	DEBUG=1 $(BIN)/celery -A ashyq worker --beat --schedule var/celerybeat-schedule -l info

## jobs: run each periodic job once, in-process (check-out, status SMS, expiry warnings, retention)
jobs: $(VENV)/.runtime
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py periodic_jobs

## test: the test suite (SQLite unless DATABASE_URL is set; the Celery worker test needs REDIS_URL)
test: $(VENV)/.dev
	$(BIN)/pytest $(PYTEST_ARGS)

## lint: ruff, migrations and translations, as CI checks them
lint: $(VENV)/.dev
	mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) check-messages

## fmt: format the code and fix what ruff can
fmt: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: extract new strings into locale/ and compile the catalogues
messages: $(VENV)/.dev
	$(BIN)/python manage.py makemessages -l kk -l ru --no-location --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=var --ignore=node_modules
	$(BIN)/python manage.py compilemessages --ignore=.venv

## check-messages: fails when a string in the code has no kk or ru translation
check-messages: $(VENV)/.dev
	$(BIN)/python manage.py makemessages -l kk -l ru --no-location --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=var --ignore=node_modules
	$(BIN)/pytest -q ashyq/tests/test_translations.py

## bench: seed PostgreSQL and measure the check-in paths against the floor (BENCH_SIZE=quick|default)
bench: $(VENV)/.runtime
	$(BIN)/python -m bench.run --size $(BENCH_SIZE) $(BENCH_ARGS)

## cluster: the production topology on this machine (primary + replica, PgBouncer, two Redis, two gunicorn, worker, beat; as root)
cluster: $(VENV)/.runtime
	ops/cluster/cluster.sh start

## cluster-stop: stop everything make cluster started (its data stays in var/cluster/)
cluster-stop:
	ops/cluster/cluster.sh stop

## cluster-smoke: sign in and check in through the running cluster, then find the visit on the replica
cluster-smoke: $(VENV)/.runtime
	$(BIN)/python ops/cluster/smoke.py

## drill: fault drills under load on the rehearsal (starts it if needed; as root): fails on a lost check-in or SMS, a duplicate SMS or an error page
drill: $(VENV)/.runtime
	$(BIN)/python ops/cluster/drill.py $(DRILL_ARGS)

## soak: the rehearsal at 80 % of its measured maximum for 10 minutes (SOAK_SECONDS=): errors, worker RSS, p99 per minute
soak: $(VENV)/.runtime
	$(BIN)/python ops/cluster/soak.py

## vendor: re-copy the camera scanner's polyfill, pinned by frontend/package-lock.json, into static/vendor/ (needs npm)
vendor:
	npm ci --prefix frontend --no-audit --no-fund
	frontend/vendor.sh

## clean: remove the virtualenv, the local database and caches
clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
