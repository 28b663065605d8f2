# Two commands do all set-up on a fresh machine:  make run   /   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python app.py

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m rag bench

.PHONY: install run test bench
