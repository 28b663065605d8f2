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

# The browser test drives Debian's chromium (Playwright cannot download browsers here); CJK fonts for screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei; }

run: install
	$(BIN)/python app.py

test: install browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m rag bench --llm-backends extractive local

.PHONY: install browser run test bench
