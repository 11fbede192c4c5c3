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

.PHONY: demo test setup bench reports clean

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

reports: setup
	$(PY) -m tokeff analyze --train --out reports/default
	$(PY) -m tokeff analyze --corpus parallel:$${TOKEFF_SHARED:-../shared}/corpora/ntrex128 --train --out reports/ntrex128

clean:
	rm -rf $(VENV) $(OUT)
