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

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check src plugins tests benchmarks

clean:
	rm -rf $(VENV) build dist
	find . -name .livelab -type d -prune -exec rm -rf {} +
