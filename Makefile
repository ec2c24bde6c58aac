# Two commands for a newcomer: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test setup lint bench clean messages catalogs

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# DEMO_LANG=zh|en picks the sample session; unset: $$LIVELAB_LANG, else the system locale.
demo: messages
	$(BIN)/livelab demo $(if $(DEMO_LANG),--lang $(DEMO_LANG))

test: messages
	$(BIN)/python -m pytest

# After adding or changing a translatable string: extract the strings of livelab and of each
# plugin and merge them into its zh_CN catalog, then fill in the new msgstr lines.
DOMAINS := src/livelab:livelab $(foreach p,pace coverage presence ops,plugins/livelab_$(p):livelab_$(p))
catalogs: $(STAMP)
	@for d in $(DOMAINS); do dir=$${d%%:*}; dom=$${d##*:}; \
	  $(BIN)/pybabel -q extract --no-location --omit-header --sort-output --no-default-keywords \
	    -F babel.cfg -k _ -k N_ -k M:2 -o $$dir/locale/$$dom.pot $$dir && \
	  { [ $$dom != livelab ] || $(BIN)/python hatch_build.py --add-cli-help $$dir/locale/$$dom.pot; } && \
	  $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --width 100 \
	    -D $$dom -l zh_CN -i $$dir/locale/$$dom.pot -d $$dir/locale && \
	  rm $$dir/locale/$$dom.pot || exit 1; done
	@# click's own words ("Usage:", its errors), from the installed click
	@$(BIN)/pybabel -q extract --no-location --omit-header --sort-output \
	    -o src/livelab/locale/click.pot $$($(BIN)/python -c 'import click, os; print(os.path.dirname(click.__file__))') && \
	  $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --width 100 \
	    -D click -l zh_CN -i src/livelab/locale/click.pot -d src/livelab/locale --init-missing && \
	  rm src/livelab/locale/click.pot
	@sed -i '/Report-Msgid-Bugs-To/d' $$(find src plugins -name '*.po')
	@grep -c '^msgstr ""$$' $$(find src plugins -name '*.po') | grep -v ':1$$' || true

# The gettext catalogs: .po (in git) → .mo (built; the install does it too).
messages: $(STAMP)
	$(BIN)/python hatch_build.py >/dev/null

# ruff, mypy (configured in pyproject.toml) and the import contracts ([tool.importlinter]).
LINTERS := ruff==0.17.6 mypy==2.4.1 types-PyYAML types-openpyxl import-linter==2.17

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet $(LINTERS)
	$(BIN)/ruff check src plugins tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist
	find . -name .livelab -type d -prune -exec rm -rf {} +
