# Haven: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: soak help dev test lint typecheck unit bench stack faults services promtool poppler chromium clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## Create or update .venv

dev: $(STAMP) ## Run the whole platform embedded (SQLite, in-memory broker) on :8080
	HAVEN_ENV=development $(BIN)/haven dev

services: $(STAMP) ## Check (or start) the PostgreSQL and RabbitMQ the tests use
	@PYTHON=$(BIN)/python scripts/ensure_services.sh

promtool: ## Install promtool (Debian package prometheus), which checks the alert rules
	@command -v promtool >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		prometheus >/dev/null; }

poppler: ## Install pdftoppm and pdftotext (Debian package poppler-utils) for the report tests
	@scripts/ensure_debian.sh poppler-utils pdftoppm pdftotext

chromium: ## Install Debian's chromium and chromium-driver (the docs-page test drives them)
	@scripts/ensure_debian.sh "chromium chromium-driver" chromium chromedriver

lint: $(STAMP) ## ruff
	$(BIN)/ruff check shared services tests bench

typecheck: $(STAMP) ## mypy
	$(BIN)/mypy

unit: $(STAMP) services promtool poppler chromium ## The test suite only
	$(BIN)/pytest --durations=30

test: lint typecheck unit ## Lint, type-check and run every test against real PostgreSQL and RabbitMQ

stack: $(STAMP) services ## Every service, relay and the gateway as separate processes (supervisord) on :8080
	HAVEN_ENV=development HAVEN_POSTGRES_POOL_SIZE=$${HAVEN_POSTGRES_POOL_SIZE:-2} $(BIN)/haven stack up

faults: $(STAMP) services ## The fault-injection suite alone: processes killed under load, recovery times
	$(BIN)/pytest -m faults -s -p no:cacheprovider

soak: $(STAMP) services ## Half an hour of the stack under load, memory per process -> bench/soak.json (not in CI)
	HAVEN_ENV=development $(BIN)/python -m bench.soak

bench: $(STAMP) services ## Measure raw baselines and the platform side by side -> bench/results.json
	HAVEN_ENV=development $(BIN)/python -m bench.run

clean: ## Remove the venv and embedded data
	rm -rf $(VENV) var

deploy-files: $(STAMP) ## Regenerate docker-compose.yml and deploy/k8s/ from services/manifest.py
	$(BIN)/haven deploy-files
