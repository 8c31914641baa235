# Two commands on a fresh machine: `make demo` (install, then check the sample photos)
# and `make test` (install, then lint and run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install services demo test benchmark

$(BIN)/mediacheck: pyproject.toml packaging/dlib-shim/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ./packaging/dlib-shim -e '.[test]'
	touch $@

install: $(BIN)/mediacheck

# Real peers the tests talk to (needs root for apt): WordPress on the local MariaDB.
services:
	bash tests/services/wordpress_setup.sh

demo: install
	$(BIN)/mediacheck check sample_media/events --gallery sample_media/people \
		--consents sample_media/consents.csv --out out

test: install services
	$(BIN)/ruff check .
	$(BIN)/pytest

benchmark: install
	$(BIN)/python benchmarks/photo_check.py
	$(BIN)/python benchmarks/import_school.py
