# The two commands of the README:
#   make lab   -> sandbox services + JupyterLab on the student's workspace
#   make test  -> the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: lab test system-deps lint bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

lab: $(STAMP)
	$(BIN)/santelab lab $(LAB_ARGS)

# Servers the tests start themselves on loopback (never as system services).
system-deps:
	@bash .ci/system-deps
	@bash .ci/hub-proxy $(VENV)

# Then nbval executes every source notebook of the course (written from its .md by `course
# build`), each notebook's cells in order on one worker (--dist loadfile). Both always run.
test: $(STAMP) system-deps
	$(BIN)/santelab course build >/dev/null
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS); suite=$$?; \
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax \
		--nbval-cell-timeout=120 modules/source; notebooks=$$?; \
	exit $$(( suite || notebooks ))

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark in turn (about 25 minutes; each prints its figures and its baseline).
bench: $(STAMP) system-deps
	set -e; for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script; done
