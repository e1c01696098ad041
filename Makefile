# The two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# Test processes: one per core (pytest-xdist). Tests are dealt out one by one; a module whose
# fixtures build something shared (the package, a browser, a fuzzed stack) keeps to one process.
JOBS ?= auto

.PHONY: run test check lint web-test install clean package bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `make run` installs what serving needs; `make test` adds the test and tooling packages.
$(RUN_STAMP): requirements.txt requirements-run.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'pip<26.3'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-run.txt
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/python tools/run_local.py

LINTED := app.py chalicelib tools bench infra tests

# Lint, format and types: what `make check` and `make test` both start with.
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

test: lint web-test
	bash tools/ensure_chromium.sh
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

# The edit-test loop: lint, types and the unit tests (Python and the web page's modules).
check: lint web-test
	$(BIN)/python -m pytest -n $(JOBS) tests/unit

# The web page's pure modules (chalicelib/web/*.js) under Node's own test runner.
web-test:
	bash tools/ensure_command.sh node nodejs
	node --test tests/web/

# The CloudFormation (SAM) template of the prod stage, with the table, the scheduled
# functions, the IAM policy and the authorizer, checked by cfn-lint.
package: $(STAMP)
	$(BIN)/python -m infra.generate --stage prod --out build/merge-template.json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage prod \
		--merge-template build/merge-template.json build/package
	$(BIN)/python tools/compile_package.py build/package
	$(BIN)/cfn-lint build/package/sam.json

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache build
