# The two commands a new user runs: `make demo` and `make test`.
# Both build their own virtual environment first (pinned dependencies from pyproject.toml).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: demo test test-fast serve worker beat bench lint fmt venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing pinned dependencies into $(VENV) (first run takes a minute)"
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# The whole daily pipeline on the embedded default: SQLite, in-process tasks,
# .eml outbox, offline summarizer unless OPENAI_API_KEY is set, sample corpus.
# DEBUG=1 here and in `serve` only: everywhere else DEBUG is off unless set.
demo: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput -v 0
	DEBUG=1 $(PY) manage.py demo $(DEMO_ARGS)

# Runs on PostgreSQL when one answers on 127.0.0.1:5432 (always in CI), else SQLite.
test: $(STAMP)
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		echo "==> tests on PostgreSQL ($(PG_TEST_URL))"; export DATABASE_URL=$(PG_TEST_URL); \
	else echo "==> tests on $${DATABASE_URL:-SQLite}"; fi; \
	$(PY) -m pytest $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory lint

# The edit loop: everything but the browser, subprocess, real-worker and whole-
# pipeline tests (marked `slow`), on SQLite, on both cores, in about a minute.
# `make test` runs them all; `make test-fast PYTEST_ARGS=--lf` only the last failures.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser" -n 2 -q $(PYTEST_ARGS)

# Style, and the import contracts of docs/architecture.md (pyproject.toml).
lint: $(STAMP)
	@echo "==> lint"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

serve: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput -v 0
	DEBUG=1 $(PY) manage.py load_defaults
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker -Q celery,ingest,email -l info

beat: $(STAMP)
	$(VENV)/bin/celery -A config beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler

bench: $(STAMP)
	$(PY) -m bench.ingest
	$(PY) -m bench.tokens
	$(PY) -m bench.editions
	$(PY) -m bench.papers_tokens
	$(PY) -m bench.fanout
	$(PY) -m bench.web
	$(PY) -m bench.editorial
	$(PY) -m bench.llm_input
	$(PY) -m bench.classifier
	$(PY) -m bench.stories
	$(PY) -m bench.imports
