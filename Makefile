# Two entry points for a fresh machine: `make demo` and `make test`. Everything installs into .venv
# from PyPI with the versions pinned in constraints.txt, so CI and laptops resolve the same packages.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint bench docs clean

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo's trade date is the account's own `as_of` (2021-04-21, the last day of price data); a
# rebalance never defaults it: an account without `as_of` needs --as-of.
demo: install
	$(BIN)/tailor check policies/
	$(BIN)/tailor rebalance --policy policies/clients/faith_esg_family.tailor \
	    --account examples/accounts/index_2012/account.yaml --out out/demo

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# docs/errors.md is generated from the registry of codes (core/error_codes/), docs/schemas/
# from the API's result models; tests fail when the pages and their sources differ.
docs: install
	$(BIN)/tailor codes --markdown > docs/errors.md
	$(BIN)/tailor schemas --write docs/schemas

bench: install
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis
