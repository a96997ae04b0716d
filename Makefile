# Aisle: every set-up step is a target here; `make run` and `make test` do them all.
# Each step is skipped when its inputs did not change (scripts/when-changed keeps a
# SHA-256 stamp inside the step's output).

SHELL := /bin/bash
.DEFAULT_GOAL := help
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

# Rasa 3.6 needs Python 3.10; actions, catalog and gateway run on Python 3.11.
PYTHON310 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python) $(shell command -v python3.10))
PYTHON311 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11.*/bin/python) $(shell command -v python3.11))

APP_VENV := .venv
RASA_VENV := .venv-rasa
APP_PY := $(APP_VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
WHEN_CHANGED := scripts/when-changed
PRODUCTS := var/demo/products.jsonl

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run run-production test install system-packages app-env rasa-env data index train validate \
        check lint lock clean clean-data distclean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: install data index train ## Install, seed the demo shop, index, train, then start the whole assistant
	$(APP_PY) -m aisle.stack

REPLICAS ?= 2
GATEWAYS ?= 2
run-production: install data index train ## The production profile: REPLICAS Rasa + action servers, GATEWAYS gateways, on PostgreSQL and Redis
	$(APP_PY) -m aisle.production --replicas $(REPLICAS) --gateways $(GATEWAYS)

test: install data index train ## Install everything, then run every test
	$(APP_PY) -m pytest

install: system-packages app-env rasa-env ## Install system packages and both Python environments

system-packages: ## Debian's Chromium for the browser tests
	@if [ -x /usr/bin/chromium ]; then echo "chromium: installed"; exit 0; fi
	if [ "$$(id -u)" != 0 ]; then echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi
	echo "Installing Chromium from Debian ..."
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

app-env: ## Python 3.11 environment: actions, catalog, gateway, tests
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: install it (pyenv install 3.11) or set PYTHON311=" >&2; exit 1; }
	$(WHEN_CHANGED) $(APP_VENV)/.aisle-stamp pyproject.toml requirements/app.lock -- \
	  scripts/make-venv $(PYTHON311) $(APP_VENV) app,dev requirements/app.lock

rasa-env: ## Python 3.10 environment: Rasa 3.6
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it (pyenv install 3.10.13) or set PYTHON310=" >&2; exit 1; }
	$(WHEN_CHANGED) $(RASA_VENV)/.aisle-stamp requirements/rasa.lock -- \
	  scripts/make-venv $(PYTHON310) $(RASA_VENV) rasa requirements/rasa.lock

data: app-env ## Create the demo shop database (SQLite) and export its products
	@$(WHEN_CHANGED) var/demo/.aisle-stamp aisle/demo aisle/models.py aisle/migrations -- \
	  bash -c 'rm -f var/shop.db && $(APP_PY) -m aisle seed'

index: data ## Build the catalog's semantic index from the product export
	@$(WHEN_CHANGED) var/index/.aisle-stamp $(PRODUCTS) catalog -- \
	  $(APP_PY) -m catalog build --products $(PRODUCTS) --out var/index

train: rasa-env ## Train the Rasa model when config.yml, domain.yml or data/ changed
	@$(WHEN_CHANGED) models/.aisle-stamp config.yml domain.yml data -- \
	  $(RASA) train --fixed-model-name aisle --out models

validate: rasa-env app-env ## Check the training data, domain and tests (rasa data validate + our checks)
	$(RASA) data validate
	$(APP_PY) -m aisle.content_check

lint: app-env ## Formatting, lint and types
	$(APP_VENV)/bin/ruff format --check .
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/mypy

check: lint test ## Everything CI cares about

lock: ## Re-pin both environments from what is installed now (after changing pyproject.toml)
	$(APP_PY) -m pip freeze --exclude-editable > requirements/app.lock
	$(RASA_VENV)/bin/pip freeze --exclude-editable > requirements/rasa.lock

clean-data: ## Delete the demo shop, index and conversation stores (rebuilt by make run)
	rm -rf var

clean: clean-data ## Also delete trained models
	rm -rf models .pytest_cache

distclean: clean ## Also delete both Python environments
	rm -rf $(APP_VENV) $(RASA_VENV)
