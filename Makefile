# learnpath: `make demo` sets up and serves the demo; `make test` installs what the tests need
# (Debian's chromium for the browser tests, bubblewrap for the judge's sandbox and gettext for
# the translations included) and runs ruff, mypy and the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install install-bench translations messages browser sandbox lrs demo serve test lint typecheck bench clean

# Production mode on this machine: gunicorn + Celery worker + beat against PostgreSQL and Redis.
SERVE_ENV = DEBUG=0 \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/learnpath} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
	CACHE_URL=$${CACHE_URL:-redis://127.0.0.1:6379/1} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-0} SECURE_COOKIES=$${SECURE_COOKIES:-0}

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

# The site's translations (courses/locale/) are compiled on every install with Debian's gettext
# (msgfmt); the compiled .mo files are not kept in git. `make messages` collects new texts into
# the catalogues, to be translated there.
translations: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { \
		echo "Installing Debian's gettext for the translations"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gettext >/dev/null; }
	$(PY) manage.py compilemessages -v0 --ignore '.venv*' --ignore node_modules

messages: translations
	$(PY) manage.py update_messages

install-bench: install
	$(PY) -m pip install --quiet -e '.[dev,bench]'

# pyBKT 1.4 needs numpy < 2, so the BKT baseline runs in an interpreter of its own.
BKT_VENV := .venv-bkt
$(BKT_VENV)/.installed:
	$(PYTHON) -m venv $(BKT_VENV)
	$(BKT_VENV)/bin/pip install --quiet "numpy==1.26.4" "pandas==2.2.3" "scipy==1.13.1" \
		"scikit-learn==1.5.2" "pyBKT==1.4.3"
	touch $@

# ralph, the learning record store the xAPI tests post statements to, pins its own FastAPI and
# pydantic, so it runs in an interpreter of its own (tests/ralph_lrs.py starts it). Its `lrs`
# extra lacks `requests`, which its API imports.
LRS_VENV := .venv-lrs
$(LRS_VENV)/.installed:
	$(PYTHON) -m venv $(LRS_VENV)
	$(LRS_VENV)/bin/pip install --quiet "ralph-malph[lrs]==5.1.0" "requests>=2.31,<3"
	touch $@

lrs: $(LRS_VENV)/.installed

SHARED := ../shared/datasets/kt_benchmarks
# The sequence-model benchmark on ASSISTments 2009 (5 folds), Statics 2011, Synthetic-5 v0 and
# simulated learners with sessions (the LSTM with and without its session-level layer).
bench: install-bench $(BKT_VENV)/.installed
	$(PY) -m learnpath.bench --format akt-pid --data $(SHARED)/assist2009/akt_pid \
		--prefix assist2009_pid --folds 1-5 --models all --threads 1 \
		--bkt-python $(BKT_VENV)/bin/python --out bench-out/assist
	$(PY) -m learnpath.bench --format three-line \
		--data $(SHARED)/statics2011/dkvmn/STATICS_train.csv \
		$(SHARED)/statics2011/dkvmn/STATICS_test.csv \
		--qmatrix $(SHARED)/statics2011/dkvmn/Qmatrix.csv --name statics2011 --folds 1-5 \
		--models lstm,dkt,logistic,popularity,markov,itemknn --threads 1 --out bench-out/other
	$(PY) -m learnpath.bench --format matrix \
		--data $(SHARED)/synthetic5/naive_c5_q50_s4000_v0.csv --name synthetic5_v0 --folds 1-5 \
		--models lstm,dkt,logistic,popularity,markov,itemknn --threads 1 --out bench-out/other
	$(PY) -m learnpath.scripts.simulated_log --course courses/demo/fractions_course.json \
		--learners 1000 --out bench-out/simulated.csv
	$(PY) -m learnpath.bench --format attempts-csv --data bench-out/simulated.csv \
		--name simulated_sessions --folds 1-5 --models lstm,dkt,logistic,markov,itemknn \
		--threads 1 --out bench-out/sim-plain
	$(PY) -m learnpath.bench --format attempts-csv --data bench-out/simulated.csv \
		--name simulated_sessions_layer --folds 1-5 --models lstm \
		--hyper '{"lstm": {"session_layer": 32}}' --threads 1 --out bench-out/sim-session

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --train-later
	$(PY) manage.py rundemo

serve: install
	mkdir -p var
	test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	export SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret_key)} $(SERVE_ENV) && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py collectstatic --noinput -v0 && \
	$(PY) manage.py rundemo --production

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy

# The browser tests drive Debian's chromium (never a browser Playwright downloads itself).
browser:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The judge runs programs in Debian's bubblewrap (learnpath.judge), never without it.
sandbox:
	@test -x /usr/bin/bwrap || { \
		echo "Installing Debian's bubblewrap for the judge's sandbox"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap >/dev/null; }

test: install browser sandbox lrs lint typecheck
	$(PY) -m pytest

clean:
	rm -rf var staticfiles .pytest_cache .mypy_cache
