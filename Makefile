# Two entry points for a fresh machine: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: serve start stop test seed openapi lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

## serve: install, load the seed data into SQLite (instance/), serve on 127.0.0.1:8000
serve: $(BIN)/.installed
	$(BIN)/newsfacts seed
	$(BIN)/newsfacts serve

## start: like serve, in the background (log instance/serve.log); returns once it answers
start: $(BIN)/.installed
	$(BIN)/newsfacts seed
	@mkdir -p instance
	@nohup $(BIN)/newsfacts serve > instance/serve.log 2>&1 & echo $$! > instance/serve.pid
	@for i in $$(seq 100); do \
	  $(BIN)/python -c "import urllib.request as u; u.urlopen('http://$${NEWSFACTS_BIND:-127.0.0.1:8000}/readyz')" 2>/dev/null \
	    && echo "serving on http://$${NEWSFACTS_BIND:-127.0.0.1:8000} (make stop to stop)" && exit 0; \
	  sleep 0.1; \
	done; cat instance/serve.log; exit 1

## stop: stop what `make start` started (gunicorn's quick shutdown), and wait until it has
stop:
	@if [ -f instance/serve.pid ]; then \
	  pid=$$(cat instance/serve.pid); kill -INT $$pid 2>/dev/null; \
	  while kill -0 $$pid 2>/dev/null; do sleep 0.1; done; \
	  rm instance/serve.pid; echo stopped; \
	fi

## test: lint, then the whole suite (PostgreSQL too when NEWSFACTS_TEST_POSTGRES_URL is set)
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

seed: $(BIN)/.installed
	$(BIN)/newsfacts seed

openapi: $(BIN)/.installed
	$(BIN)/newsfacts openapi
