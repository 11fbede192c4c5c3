# Two entry points, both safe on a fresh machine with only Python and the package registries:
#   make demo   set up .venv and run the main job on the embedded default corpus (results/)
#   make test   set up .venv and run the test suite
# torch is installed first, pinned to a CPU build (TORCH=...), so that resolving `torch>=2.3`
# afterwards installs nothing more instead of pulling a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
OUT ?= results
# Real data beside the checkout (read in place, never copied): with it, tiktoken encodings load offline.
SHARED ?= $(or $(TOKEFF_SHARED),../shared)
ifneq ($(wildcard $(SHARED)/tokenizers/tiktoken),)
export TIKTOKEN_CACHE_DIR ?= $(abspath $(SHARED)/tokenizers/tiktoken)
endif

.PHONY: demo test setup reports known-from-shared clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: setup
	$(PY) -m tokeff analyze --train --out $(OUT)

test: setup
	$(PY) -m pytest -q

# Known corpora placed by hand from the shared folder when it is there (checked against the
# manifest's SHA-256 on load, as a download would be), so `make reports` runs offline.
CACHE ?= $(or $(TOKEFF_CACHE),$(HOME)/.cache/tokeff)
known-from-shared:
	@if [ -d $(SHARED)/corpora/gutenberg_en ]; then mkdir -p $(CACHE)/corpora/gutenberg-en && \
	  cp -n $(SHARED)/corpora/gutenberg_en/pg*.txt $(CACHE)/corpora/gutenberg-en/; fi

# The example reports in reports/ (tables and figures only; trained tokenizer files are left out).
reports: setup known-from-shared
	$(PY) -m tokeff analyze --train --out reports/default --no-progress
	$(PY) -m tokeff analyze --corpus parallel:$(SHARED)/corpora/ntrex128 --tokenizer bytes --tokenizer tiktoken:gpt2 \
	  --tokenizer tiktoken:cl100k_base --tokenizer tiktoken:o200k_base --tokenizer train:bpe:8192 \
	  --tokenizer train:hf-bpe:8192 --tokenizer train:spm-unigram:8192 --train --out reports/ntrex128 --no-progress
	$(PY) -m tokeff analyze --train --loss ce,label-smoothing:0.1,z-loss:1e-4 --seeds 3 --out reports/losses --no-progress
	$(PY) -m tokeff study --corpus known:gutenberg-en --preset cpu --out reports/study --no-progress
	$(PY) -m tokeff study --corpus known:gutenberg-en --preset cpu --budgets 1e12,4e12,1.6e13 --out reports/study-scaling --no-progress
	$(PY) -m tokeff probe arithmetic --loss ce,focal:2 --seeds 3 --out reports/probe --no-progress
	rm -rf reports/*/tokenizers reports/*/checkpoints

clean:
	rm -rf $(VENV) $(OUT)
