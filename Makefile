# The two commands a new user needs: `make run` and `make test`.
# Everything else is installed on demand: uv (from PyPI, into .tools/) when
# it is not on PATH, Python 3.13 and the locked packages, and Debian's
# chromium for the browser tests.

SHELL := /bin/bash
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python
# `make test` also runs the suite on PostgreSQL when it answers here;
# REQUIRE_POSTGRES=1 (set by .ci/run) makes a missing server a failure.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
REQUIRE_POSTGRES ?= 0
CHROMIUM ?= /usr/bin/chromium
# DejaVu Sans, embedded in every PDF; the portal reads the same variable
# (and LICENCE_FONT_DIR, its earlier name, when PDF_FONT_DIR is not set).
PDF_FONT_DIR ?= $(or $(LICENCE_FONT_DIR),/usr/share/fonts/truetype/dejavu)
PDF_FONTS := $(PDF_FONT_DIR)/DejaVuSans.ttf $(PDF_FONT_DIR)/DejaVuSans-Bold.ttf

.PHONY: run serve test install lint pytest-sqlite pytest-postgres chromium fonts axe bench clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

.venv/.synced: uv.lock pyproject.toml | $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen
	touch $@

install: .venv/.synced

# The demo's webhook receivers may be on this machine (OUTGOING_WEBHOOKS_ALLOW_PRIVATE).
run: export OUTGOING_WEBHOOKS_ALLOW_PRIVATE ?= true
# The demo signs its licences with a self-signed certificate made on first start
# (.demo/ is ignored by git) unless LICENCE_SIGNING_P12 names a real one.
DEMO_P12 := .demo/licence-signing.p12
DEMO_P12_PASSWORD := demo

run: install fonts
	$(PY) manage.py migrate --no-input
	@if [ -z "$$LICENCE_SIGNING_P12" ]; then \
	  $(PY) manage.py demo_signing_certificate $(DEMO_P12) --password $(DEMO_P12_PASSWORD) && \
	  export LICENCE_SIGNING_P12=$(DEMO_P12) LICENCE_SIGNING_P12_PASSWORD=$(DEMO_P12_PASSWORD); \
	fi; \
	$(PY) manage.py seed_demo && \
	echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl+C to stop)" && \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production-style on this machine (docs/deploy.md): DEBUG off over plain http
# on 127.0.0.1:$(PORT), static collected, gunicorn and the task worker; Ctrl+C stops both.
serve: install fonts
	PORT=$(PORT) bash deploy/serve.sh

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q chromium >/dev/null || \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; \
	fi

fonts:
	@if ! ls $(PDF_FONTS) >/dev/null 2>&1; then \
	  echo "Installing Debian's fonts-dejavu-core for the PDFs"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q fonts-dejavu-core >/dev/null || \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q fonts-dejavu-core; }; \
	  ls $(PDF_FONTS) >/dev/null || \
	  { echo "PDF_FONT_DIR=$(PDF_FONT_DIR) lacks DejaVu Sans: point it at the fonts" >&2; exit 1; }; \
	fi

# axe-core, which the browser tests run in each page, from the npm package pinned
# in package-lock.json (node and npm come with the system, node_modules/ does not).
AXE := node_modules/axe-core/axe.min.js

$(AXE): package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

axe: $(AXE)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

pytest-sqlite: install chromium fonts $(AXE)
	env -u DATABASE_URL $(PY) -m pytest

pytest-postgres: install chromium fonts $(AXE)
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(TEST_DATABASE_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== pytest on PostgreSQL ($(TEST_DATABASE_URL))"; \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest; \
	elif [ "$(REQUIRE_POSTGRES)" = 1 ]; then \
	  echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but $(TEST_DATABASE_URL) does not answer" >&2; exit 1; \
	else \
	  echo "== PostgreSQL not reachable at $(TEST_DATABASE_URL): skipped (set REQUIRE_POSTGRES=1 to fail instead)"; \
	fi

test: lint pytest-sqlite pytest-postgres

clean:
	rm -rf .venv .tools node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache

# Performance figures (PostgreSQL on 127.0.0.1 required; docs/benchmarks.md):
# one JSON line per figure, each beside a baseline measured in the same run;
# exits 1 when a figure misses its target.
bench: install fonts
	@$(PY) -m bench.run
