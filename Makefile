# Zhijian — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_PORT ?= 54329
HOST ?= 127.0.0.1:8000
export DJANGO_SETTINGS_MODULE := zhijian.settings

.PHONY: run test venv test-deps demo test-sqlite test-postgres test-browser bench clean

$(VENV)/.base: requirements/base.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements/base.txt
	$(PIP) install -q --no-deps -e .
	touch $@

$(VENV)/.test: requirements/test.txt requirements/spark.txt $(VENV)/.base
	$(PIP) install -q -r requirements/test.txt
	touch $@

venv: $(VENV)/.base

## make run: migrate the embedded SQLite database, load reference and demo data, serve on :8000
run: $(VENV)/.base
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_reference
	$(PY) manage.py setup_demo
	@echo "Serving Zhijian at http://$(HOST)/ (background jobs: db_worker; monthly credit grading: credit_schedule)"
	$(PY) manage.py db_worker --no-reload & w=$$!; \
	  $(PY) manage.py credit_schedule --every 3600 & s=$$!; \
	  trap "kill $$w $$s 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST)

## make test: the whole suite on SQLite and on PostgreSQL, plus the browser tests
test: $(VENV)/.test
	scripts/test-deps.sh
	ZHIJIAN_PG_PORT=$(PG_PORT) scripts/pg.sh start
	$(MAKE) --no-print-directory test-sqlite test-postgres; rc=$$?; \
	  ZHIJIAN_PG_PORT=$(PG_PORT) scripts/pg.sh stop; exit $$rc

test-sqlite:
	@echo "=== test suite on SQLite ==="
	ZHIJIAN_DB=sqlite $(PY) -m pytest -q -m "not browser" $(PYTEST_ARGS)

test-postgres:
	@echo "=== test suite on PostgreSQL (with browser tests) ==="
	ZHIJIAN_DB=postgres PGHOST=127.0.0.1 PGPORT=$(PG_PORT) PGUSER=postgres \
	  $(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(VENV)/.test
	$(PY) bench/import_enterprises.py

clean:
	rm -rf $(VENV) var
