# Two commands do all the set-up on a bare machine:
#   make run   install, migrate, load demo data once, start Opora on http://127.0.0.1:8000
#   make test  install, lint, type-check, check migrations, run the suite on SQLite and PostgreSQL

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Two test processes: the machines have two cores.
PYTEST_ARGS ?= -n 2

.PHONY: install run test lint typecheck migrations-check test-sqlite test-postgres clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) node_modules/.installed messages

run: install
	$(BIN)/opora migrate --noinput --verbosity 0
	$(BIN)/opora demo
	OPORA_MONITORING_ALLOW_PRIVATE=true $(BIN)/opora serve

test: install lint typecheck migrations-check test-sqlite test-postgres fuzz-smoke

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src tests

migrations-check: install
	OPORA_DATA_DIR=$$(mktemp -d) $(BIN)/opora makemigrations --check --dry-run

test-sqlite: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	scripts/with-postgres $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache

# --- Mutation testing (docs/mutation.md): not part of `make test`, it takes a while ---
# MUTATION_MODULES: some of sla, selectors, threading, actions, opening, replies, transitions (default: all).
MUTATION_MODULES ?=
mutation: install
	$(BIN)/python scripts/mutation/run.py --jobs 2 $(MUTATION_MODULES)

.PHONY: mutation

# --- API fuzzing (scripts/fuzz.py): every operation as anonymous, customer and agent ---
FUZZ_EXAMPLES ?= 20
fuzz: install
	$(BIN)/python scripts/fuzz.py --examples $(FUZZ_EXAMPLES)

# In `make test`: the same run with few examples per operation.
fuzz-smoke: install
	$(BIN)/python scripts/fuzz.py --examples 3

.PHONY: fuzz fuzz-smoke

# --- Benchmarks (bench/RESULTS.md): one command each from a fresh clone ---
.PHONY: bench-load bench-generate bench-peer bench-cost bench-channels
bench-load: install
	$(BIN)/python bench/load.py

bench-generate: install
	$(BIN)/python bench/generate.py

bench-peer: install
	$(BIN)/python bench/peer_django_helpdesk.py

bench-cost: install
	scripts/with-postgres $(BIN)/python bench/request_cost.py

bench-channels: install
	$(BIN)/python bench/messengers.py

# --- Web pages: npm libraries (htmx) and compiled translations ---
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; \
	else npm install --silent --no-audit --no-fund; fi
	@touch $(NODE_STAMP)

# .po -> .mo with Babel: no gettext tools or root needed; .mo files stay out of git.
messages: $(STAMP)
	@$(BIN)/python scripts/compile-messages

.PHONY: messages

# Developer step: strings marked for translation that a .po lacks (needs GNU gettext).
untranslated: $(STAMP)
	@scripts/ensure-debian-packages gettext
	@$(BIN)/python scripts/untranslated-messages

.PHONY: untranslated
