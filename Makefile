# The README's commands. Each target sets up .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= runs/demo

.PHONY: demo test lint format clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# llama-cpp-python compiles llama.cpp from source the first time (about 5 minutes on 2 cores).
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing rolegraph with the embedded model (the first time compiles llama.cpp: ~5 min)"
	CMAKE_BUILD_PARALLEL_LEVEL=$${CMAKE_BUILD_PARALLEL_LEVEL:-4} $(BIN)/python -m pip install --quiet -e ".[local,dev,viz,export,eval,embed,ray,seed]"
	# TRL's data utilities, for the export tests only, without torch (153 MB instead of 5.9 GB)
	$(BIN)/python -m pip install --quiet --no-deps "trl==1.16.0" "transformers==5.24.0" \
		"safetensors==0.8.0" "tokenizers==0.23.3" "regex==2026.11.19"
	@touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(BIN)/rolegraph run scenarios/support_outage.yaml --out $(DEMO_OUT)
	@echo
	@echo "Dialogues written by the embedded model are in $(DEMO_OUT)/:"
	@ls -1 $(DEMO_OUT)
	@echo "Look at one:  head -n 1 $(DEMO_OUT)/accepted.jsonl $(DEMO_OUT)/rejected.jsonl"

# The page tests (report, visualize) drive headless Chromium: Debian's package, installed
# here when it is missing and we may (root with apt-get); otherwise they say why they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the page tests (about a minute)"; \
	    apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null 2>&1 \
	         && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } \
	    || echo "could not install chromium: the page tests will be skipped"; \
	  else \
	    echo "chromium is not installed (apt-get install chromium): the page tests will be skipped"; \
	  fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) runs build *.egg-info
