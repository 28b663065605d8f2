# Two commands do all set-up on a fresh machine:  make run   /   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama.cpp is compiled at install (about 8 min on 2 cores) for this machine's CPU class, never with AMX (the
# default native build uses AMX where present and segfaults there with Q4_K_M, llama.cpp #20824):
#  - portable: AVX2, everywhere; pip caches this wheel;
#  - avx512: where the CPU has every flag in AVX512_FLAGS (AMD Zen 4/5, Intel Sapphire Rapids and later Xeons); prefill
#    about twice as fast (docs/benchmarks.md). Its wheel is kept in a folder named after those flags, never in
#    pip's cache, so a machine without them never picks it up; the environment records the build and the flags it
#    needs (<venv>/llama-cpu), checked before llama.cpp loads (rag/llm/cpu_build.py).
# `make install LLAMA_CPU=portable` forces the portable build.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
AVX512_CMAKE_ARGS := $(LLAMA_CMAKE_ARGS) -DGGML_AVX=ON -DGGML_BMI2=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON
AVX512_FLAGS := avx2 fma f16c bmi2 avx512f avx512bw avx512vl avx512dq avx512cd avx512vbmi avx512_vnni avx512_bf16
LLAMA_CPU ?= $(shell for f in $(AVX512_FLAGS); do grep -m1 '^flags' /proc/cpuinfo | grep -qw -- "$$f" || \
  { echo portable; exit 0; }; done; echo avx512)
AVX512_WHEELS := $(HOME)/.cache/policy-rag/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(subst $() ,-,$(AVX512_FLAGS))

$(BIN)/.installed: pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	@if [ "$(LLAMA_CPU)" = avx512 ]; then \
	  echo "llama.cpp: the AVX-512 build for this CPU"; \
	  ls $(AVX512_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	    CMAKE_ARGS="$(AVX512_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip wheel --quiet --no-deps \
	      --no-cache-dir -w $(AVX512_WHEELS) llama-cpp-python==$(LLAMA_VERSION); \
	  $(BIN)/pip install --quiet $(AVX512_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl; \
	  $(BIN)/pip install --quiet --force-reinstall --no-deps $(AVX512_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl; \
	  echo "avx512 $(AVX512_FLAGS)" > $(VENV)/llama-cpu; \
	else \
	  [ -f $(VENV)/llama-cpu ] && ! grep -q "^portable" $(VENV)/llama-cpu && \
	    $(BIN)/pip uninstall --quiet -y llama-cpp-python; \
	  echo portable > $(VENV)/llama-cpu; \
	fi
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

test: install browser lint types
	$(BIN)/python -m pytest -q --durations=15

# ruff's lint (pycodestyle, pyflakes, complexity ≤ 15, ≤ 8 arguments) and format check over rag/ and app.py.
lint: install
	$(BIN)/ruff check
	$(BIN)/ruff format --check

# mypy over rag/ (pyproject.toml's [tool.mypy]): clean.
types: install
	$(BIN)/mypy

# The quick loop: lint, types, unit tests and fast integration tests (no real embedder index, Milvus, local model or browser).
check: install lint types
	$(BIN)/python -m pytest -q -m "not slow and not llm and not browser" --durations=15

bench: install
	$(BIN)/python -m rag bench --llm-backends extractive local
	$(BIN)/python -m rag bench --prompts

.PHONY: install browser run test lint types check bench
