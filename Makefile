# Samenloket — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint unit contract integration e2e bench profile clean vendor-css

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start everything locally on embedded infrastructure with the demo region.
run: install
	$(BIN)/samenloket up --demo

## Lint, types, import boundaries, then every test suite (unit, contract, integration, e2e, browser):
## test files spread over TEST_WORKERS processes (each with its own PostgreSQL and broker; 3 on two
## cores, as much of a test is waiting on services), then the tests marked `serial` (the fault suite,
## which times faults) alone.
TEST_WORKERS ?= 3
test: install lint
	$(BIN)/python -m pytest -p no:cacheprovider -q -n $(TEST_WORKERS) --dist loadfile -m "not serial" tests
	$(BIN)/python -m pytest -p no:cacheprovider -q -m serial tests

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

unit contract integration e2e: install
	$(BIN)/python -m pytest -p no:cacheprovider -q tests/$@

bench: install
	$(BIN)/samenloket bench

## Sample every service of a running `make run` with py-spy under the bench (docs/performance.md).
profile: install
	scripts/profile.sh .samenloket

## Refresh the vendored NL Design System CSS (services/kit/web/static/vendor/) from npm. Needs Node.js;
## running and testing Samenloket does not (the built CSS is checked in).
UTRECHT_CSS   ?= @utrecht/component-library-css@9.0.4
DESIGN_TOKENS ?= @nl-design-system-unstable/voorbeeld-design-tokens@7.4.1
NPM_DIR       := build/nlds
vendor-css: install
	rm -rf $(NPM_DIR) && mkdir -p $(NPM_DIR)
	cd $(NPM_DIR) && echo '{"private": true}' > package.json && \
	  npm install --no-save --ignore-scripts --no-audit --no-fund --save-exact $(UTRECHT_CSS) $(DESIGN_TOKENS)
	$(BIN)/python -m services.kit.web.vendor $(NPM_DIR)/node_modules
	rm -rf $(NPM_DIR)

clean:
	rm -rf $(VENV) .samenloket .mypy_cache .ruff_cache
