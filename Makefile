# Two commands do all set-up on a fresh machine:  make run   /   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama.cpp is compiled at install (about 8 min on 2 cores; pip caches the wheel). A portable AVX2 build: the
# default native build uses AMX where present and segfaults there with Q4_K_M (llama.cpp #20824).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install --quiet -e '.[test]'
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
	$(BIN)/python -m pytest -q --durations=15

# The quick loop: unit tests and fast integration tests (no real embedder index, Milvus, local model or browser).
check: install
	$(BIN)/python -m pytest -q -m "not slow and not llm and not browser" --durations=15

bench: install
	$(BIN)/python -m rag bench --llm-backends extractive local

.PHONY: install browser run test check bench
