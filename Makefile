# Two entry points for a fresh machine: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: serve test seed openapi lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

## serve: install, load the seed data into SQLite (instance/), serve on 127.0.0.1:8000
serve: $(BIN)/.installed
	$(BIN)/newsfacts seed
	$(BIN)/newsfacts serve

## test: lint, then the whole suite (PostgreSQL too when NEWSFACTS_TEST_POSTGRES_URL is set)
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

seed: $(BIN)/.installed
	$(BIN)/newsfacts seed

openapi: $(BIN)/.installed
	$(BIN)/newsfacts openapi
