# Two commands for a newcomer: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test setup lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# DEMO_LANG=zh|en picks the sample session; unset: $$LIVELAB_LANG, else the system locale.
demo: $(STAMP)
	$(BIN)/livelab demo $(if $(DEMO_LANG),--lang $(DEMO_LANG))

test: $(STAMP)
	$(BIN)/python -m pytest

# ruff, mypy (configured in pyproject.toml) and the import contracts ([tool.importlinter]).
LINTERS := ruff==0.17.6 mypy==2.4.1 types-PyYAML import-linter==2.17

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet $(LINTERS)
	$(BIN)/ruff check src plugins tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist
	find . -name .livelab -type d -prune -exec rm -rf {} +
