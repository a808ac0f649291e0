# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements

.PHONY: venv demo test bench clean verify

# --no-compile: pulumi-aws alone is thousands of modules; byte-compiling them all at
# install doubles the install time, while Python compiles the few a run imports.
$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	cp requirements.txt $(STAMP)

venv: $(STAMP)

# The whole story in a local emulator that enforces KMS key access.
demo: venv
	$(BIN)/python -m sandbox demo

# Figures, not tests: prints a table and writes bench/results.json.
bench: venv
	$(BIN)/python -m bench

# Static checks first (seconds), then the tests.
CHECKED := access components stack verify sandbox policy bench release __main__.py
test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(CHECKED)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2

clean:
	rm -rf $(VENV) .pytest_cache

# Post-deploy verification of a Pulumi stack: `make verify STACK=dev`.
STACK ?= dev
verify: venv
	$(BIN)/python -m verify --stack $(STACK)

# Regenerate the generated sections of docs/ (component reference, stack config and
# outputs, policy pack) from the code that owns them; tests/docs fails when they are stale.
.PHONY: docs
docs: venv
	$(BIN)/python -m docs.generate
