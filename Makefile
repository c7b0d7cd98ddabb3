# Breachdesk. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The Nu Html Checker for the HTML tests (tests/web/test_html_validity.py): an exact version
# of the npm package vnu-jar, in a git-ignored folder of the project.
VNU_VERSION := 26.9.27
VNU_DIR := .vnu
export BREACHDESK_DATABASE_URL ?= sqlite:///./breachdesk.db

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the app with its test tools

vnu: ## install the HTML checker (npm vnu-jar, pinned) into .vnu/; needs npm and Java
	@bash scripts/vnu.sh $(VNU_VERSION) $(VNU_DIR)

system-deps: ## install the Debian packages for PDFs and browser tests (needs root or sudo)
	@bash scripts/system-deps.sh

migrate: install ## apply the database migrations (BREACHDESK_DATABASE_URL)
	$(BIN)/breachdesk migrate

demo: migrate ## load the demo data into the database
	$(BIN)/breachdesk demo

run: migrate ## migrate, load demo data into an empty database, serve on http://127.0.0.1:8000
	@$(BIN)/breachdesk demo --if-empty
	$(BIN)/breachdesk serve --host 127.0.0.1 --port 8000

test: install system-deps vnu ## run the whole test suite (PostgreSQL too when BREACHDESK_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q -n 2

bench: install ## benchmarks (never part of make test): writes bench/RESULTS.md; BENCH_ARGS=--quick for a short run
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install ## ruff lint and format check, mypy type check (files and settings: pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install ## update the Dutch catalogue and list untranslated messages
	$(BIN)/python tools/messages.py

clean: ## remove the virtual environment, the HTML checker and caches
	rm -rf $(VENV) $(VNU_DIR) .pytest_cache .ruff_cache .mypy_cache

.PHONY: help install system-deps vnu migrate demo run test lint format messages bench clean
