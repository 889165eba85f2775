# `make run` and `make test` each do all their own set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test lint translations catalogs clean

setup: $(STAMP) translations

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	rm -f $(VENV)/.installed-* && touch $@

# Compile the gettext catalogs (locales/*/LC_MESSAGES/messages.mo; .mo files are not committed).
translations: $(STAMP)
	$(BIN)/pybabel -q compile --statistics -d locales -D messages

# Re-extract messages after changing citizen-facing strings, then translate the bn catalog.
catalogs: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k translate:2 -o locales/messages.pot .
	$(BIN)/pybabel -q update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching

run: setup
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo-data --if-empty --citizens 2000 --seed 1
	$(BIN)/flask --app wsgi staff demo-accounts
	@echo
	@echo "Sahayata is starting on http://$(HOST):$(PORT)"
	@echo "  try: curl http://$(HOST):$(PORT)/healthz"
	@echo "       http://$(HOST):$(PORT)/staff/ (a demo account above), http://$(HOST):$(PORT)/simulator"
	@echo "       $(BIN)/flask --app wsgi registry check <NID> --lang bn"
	@echo "  (DATABASE_URL unset: SQLite in var/; REDIS_URL unset: embedded Redis, jobs run inline;"
	@echo "   bdapps screens and Kannel SMS replies go to the simulator unless their URLs are set)"
	@# In development the simulator stands in for bdapps and Kannel, and a made-up monitoring desk
	@# phone lets the Signals page open review cases (never with SECRET_KEY set).
	if [ -z "$$SECRET_KEY" ]; then \
	  export BDAPPS_USSD_SEND_URL=$${BDAPPS_USSD_SEND_URL:-http://$(HOST):$(PORT)/simulator/bdapps/send}; \
	  export KANNEL_SENDSMS_URL=$${KANNEL_SENDSMS_URL:-http://$(HOST):$(PORT)/simulator/kannel/sendsms}; \
	  export KANNEL_INBOUND_KEY=$${KANNEL_INBOUND_KEY:-development-only}; \
	  export SAHAYATA_REVIEW_PHONE=$${SAHAYATA_REVIEW_PHONE:-+8801700000000}; \
	fi; \
	exec $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile - wsgi:app

test: setup
	scripts/ensure-test-peers
	$(BIN)/python -m pytest

# Style, then the import contract in pyproject.toml (imports run downward; channels are independent).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) var .pytest_cache
