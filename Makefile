# The two commands a newcomer needs:  `make demo`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint clean

$(STAMP): pyproject.toml
	@command -v java >/dev/null && command -v mvn >/dev/null || scripts/install-system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Run the main job end to end: local Kafka broker, worker, replay seeds/, print enriched records.
demo: $(STAMP)
	$(BIN)/wirestream demo

## Run every test (unit, agent, end-to-end through a real Kafka broker).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
