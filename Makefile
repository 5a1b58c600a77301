# The two set-up commands of the README:
#   make run   - create .venv, install factions, run the forecast of the built-in iraq-2008
#   make test  - create .venv with the dev extras, then lint, format check, type check, pytest
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck pytest browser clean fuzz

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "factions needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-stamp: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-stamp: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.run-stamp

run: $(VENV)/.run-stamp
	$(BIN)/factions run

lint: $(VENV)/.dev-stamp
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.dev-stamp
	$(BIN)/mypy

# Browser tests drive Debian's chromium (never a downloaded browser). When another
# installer holds apt's lock, wait for it (up to APT_LOCK_WAIT seconds, saying so) and
# retry a failed install twice, instead of failing at once.
CHROMIUM        ?= chromium
APT_GET         ?= apt-get
APT_LOCK_WAIT   ?= 600
APT_RETRY_DELAY ?= 10
APT := $(APT_GET) -o DPkg::Lock::Timeout=$(APT_LOCK_WAIT)
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || command -v /usr/bin/$(CHROMIUM) >/dev/null 2>&1 || \
	  { echo "installing Debian's chromium for the browser tests"; \
	    echo "(if another installer holds apt's lock, apt-get waits for it, up to $(APT_LOCK_WAIT) s)"; \
	    for try in 1 2 3; do \
	      ($(APT) update -qq && $(APT) install -y -qq chromium) >/dev/null && break; \
	      [ $$try = 3 ] && { echo "could not install chromium with apt-get (3 tries)"; exit 1; }; \
	      echo "apt-get failed (try $$try of 3); retrying in $(APT_RETRY_DELAY) s"; \
	      sleep $(APT_RETRY_DELAY); \
	    done; }

pytest: $(VENV)/.dev-stamp browser
	$(BIN)/pytest

test: lint typecheck pytest

# 10,000 generated hostile inputs through the CLI (tests/robustness/fuzz.py; docs/robustness.md).
FUZZ_CASES ?= 10000
FUZZ_WORKERS ?= 2
fuzz: $(VENV)/.dev-stamp
	$(BIN)/python tests/robustness/fuzz.py --cases $(FUZZ_CASES) --workers $(FUZZ_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
