# The README's commands. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

BENCH_SIZE ?= default

.PHONY: run test lint fmt messages check-messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: the portal on SQLite with eager Celery and SMS codes on the console and in var/sms.jsonl
run: $(VENV)/.runtime
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py demo_data
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the test suite (SQLite unless DATABASE_URL is set; the Celery worker test needs REDIS_URL)
test: $(VENV)/.dev
	$(BIN)/pytest $(PYTEST_ARGS)

## lint: ruff, migrations and translations, as CI checks them
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) check-messages

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

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
