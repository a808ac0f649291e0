# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements

.PHONY: venv demo test clean verify

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	cp requirements.txt $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python -m sandbox plan

test: venv
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache

# Post-deploy verification of a Pulumi stack: `make verify STACK=dev`.
STACK ?= dev
verify: venv
	$(BIN)/python -m verify --stack $(STACK)
