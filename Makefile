# Two commands for a fresh machine: `make run` (the app) and `make test` (every test).
# Each creates the virtual environment it needs; nothing else has to be installed first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-big suspects chromium postgresql cc clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1

# $(call debian_package,TEST,PACKAGE,WHAT): install PACKAGE with apt-get when the shell
# TEST fails (as root), else say which command to run. WHAT says what needs it.
define debian_package
	@if $(1); then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's $(2) for $(3)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	else \
		echo "Debian's $(2) is needed for $(3): run 'sudo apt-get install $(2)' and try again."; \
		exit 1; \
	fi
endef

chromium:
	$(call debian_package,[ -x /usr/bin/chromium ],chromium,the browser tests)

postgresql:
	$(call debian_package,ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1,postgresql,the PostgreSQL store's tests)

# The screens' compiled kernels (al_core/learning/native/); without a compiler the app
# keeps numpy's passes and BLAS's product, but the tests check the kernels.
cc:
	$(call debian_package,command -v cc >/dev/null 2>&1,gcc,the screens' compiled kernels)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) chromium postgresql cc lint
	$(BIN)/python -m pytest

MODAL_VENV := .venv-modal
MODAL_STAMP := $(MODAL_VENV)/.installed

$(MODAL_STAMP): benchmarks/requirements-modal.txt requirements.txt
	$(PYTHON) -m venv $(MODAL_VENV)
	$(MODAL_VENV)/bin/pip install --quiet --upgrade pip
	$(MODAL_VENV)/bin/pip install --quiet -r benchmarks/requirements-modal.txt
	touch $(MODAL_STAMP)

bench: $(STAMP) $(MODAL_STAMP) chromium cc
	$(BIN)/python -m benchmarks all results.json
	$(MODAL_VENV)/bin/python -m benchmarks engine results-modal.json
	$(BIN)/python -m benchmarks.multiclass
	$(BIN)/python -m benchmarks.text
	$(BIN)/python -m benchmarks.chart
	$(BIN)/python -m benchmarks.lookahead

# 10,000,000 rows from a file on the server (about 25 minutes; opening the file peaks at
# about 12 GB of memory, benchmarks/RESULTS.md).
bench-big: $(STAMP) chromium cc
	$(BIN)/python -m benchmarks.pool_memory
	$(BIN)/python -m benchmarks.big

suspects: $(STAMP)
	$(BIN)/python -m benchmarks.suspects --seeds 10

clean:
	rm -rf $(VENV) $(MODAL_VENV) .pytest_cache .ruff_cache
