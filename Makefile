# Two commands on a fresh machine: `make demo` (install, then check the sample photos)
# and `make test` (install, then lint and run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test benchmark

$(BIN)/mediacheck: pyproject.toml packaging/dlib-shim/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ./packaging/dlib-shim -e '.[test]'
	touch $@

install: $(BIN)/mediacheck

demo: install
	$(BIN)/mediacheck check sample_media/events --gallery sample_media/people \
		--consents sample_media/consents.csv --out out

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

benchmark: install
	$(BIN)/python benchmarks/photo_check.py
