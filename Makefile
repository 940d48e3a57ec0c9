# Zhijian — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_PORT ?= 54329
HOST ?= 127.0.0.1:8000
export DJANGO_SETTINGS_MODULE := zhijian.settings

.PHONY: run serve test venv test-deps demo test-sqlite test-postgres test-shifted test-browser bench bench-load clean

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
	$(PY) manage.py complaints_train --default > /dev/null &  # the classifier fits while serving
	@echo "Serving Zhijian at http://$(HOST)/ (background jobs: worker; monthly credit grading: credit_schedule)"
	$(PY) manage.py worker --no-reload & w=$$!; \
	  $(PY) manage.py credit_schedule --every 3600 & s=$$!; \
	  trap "kill $$w $$s 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST)

## make serve: production mode (PostgreSQL, gunicorn, WhiteNoise, worker and scheduler processes)
serve: $(VENV)/.base
	HOST=$(HOST) scripts/serve.sh

## make test: the whole suite on PostgreSQL with the browser tests (today's clock), and on SQLite
## with the clock moved (test-sqlite, the same SQLite pass at today's clock, is there to run by hand)
# Both passes share one cache of the classifier models that are pure functions of the bundled
# data, so such a model is fitted once per machine, not once per pass.
test: export ZHIJIAN_CLASSIFIER_CACHE = $(CURDIR)/var/cache/classifier
test: $(VENV)/.test
	scripts/test-deps.sh
	ZHIJIAN_PG_PORT=$(PG_PORT) scripts/pg.sh start
	@mkdir -p var/log
	@echo "=== the shifted pass runs beside the PostgreSQL pass (two cores); its log follows at the end"
	ZHIJIAN_VAR_DIR=$(CURDIR)/var/shifted $(MAKE) --no-print-directory test-shifted > var/log/test-shifted.log 2>&1 & s=$$!; \
	  $(MAKE) --no-print-directory test-postgres; p=$$?; \
	  wait $$s; r=$$?; cat var/log/test-shifted.log; \
	  ZHIJIAN_PG_PORT=$(PG_PORT) scripts/pg.sh stop; \
	  echo "PostgreSQL pass: exit $$p; shifted pass: exit $$r"; [ $$p -eq 0 ] && [ $$r -eq 0 ]

test-sqlite:
	@echo "=== test suite on SQLite ==="
	ZHIJIAN_DB=sqlite $(PY) -m pytest -q --durations=20 -m "not browser and not production" $(PYTEST_ARGS)

# The page-text walk (marker walk) reads what templates print, whatever the engine: it runs in the
# shifted pass only, which has time to spare beside this one.
test-postgres:
	@echo "=== test suite on PostgreSQL (with browser tests) ==="
	ZHIJIAN_DB=postgres PGHOST=127.0.0.1 PGPORT=$(PG_PORT) PGUSER=postgres \
	  $(PY) -m pytest -q --durations=20 -m "not walk" $(PYTEST_ARGS)

# The clock moved: the suite again on SQLite under libfaketime, on the first Saturday at least
# 400 days ahead (a year the holiday package does not know yet, and a day that is no working
# day). The clock only moves forward: a test that reads the wall clock where it should not, or
# whose fixed dates go stale, fails here. FAKETIME_DONT_FAKE_MONOTONIC keeps timeouts real.
# The Spark engine's tests are left out: the JVM does not run under libfaketime, and they are
# engine-equality tests with pinned dates (the DuckDB side runs here); so are the few tests that sleep or
# wait on a subprocess with a timeout (marker no_faketime): libfaketime breaks that wait at times;
# and the tests of the style-held-out classifier (marker trains_model): a full fit reads no clock
# and takes a minute.
SHIFT ?= +$(shell $(PYTHON) -c 'import datetime as d; t=d.date.today(); n=400; n += (5 - (t + d.timedelta(n)).weekday()) % 7; print(n)')d
test-shifted:
	@echo "=== test suite on SQLite with the clock moved ($(SHIFT)) ==="
	@command -v faketime >/dev/null || { echo "MISSING: faketime (apt-get install faketime)" >&2; exit 1; }
	FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$(SHIFT)" env ZHIJIAN_DB=sqlite \
	  $(PY) -m pytest -q --durations=20 -m "not browser and not production and not no_faketime and not trains_model" -k "not spark" -p no:randomly $(PYTEST_ARGS)

bench: $(VENV)/.test
	$(PY) bench/import_enterprises.py
	$(PY) bench/signals.py

## make bench-load: gunicorn on a throw-away PostgreSQL under locust (docs/performance.md; not part of make test)
bench-load: $(VENV)/.test
	$(PY) bench/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
