# ga2clip_mmaction: one-command setup, tests and demo.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.setup-stamp

.PHONY: setup test demo clean

setup: $(STAMP)

# Re-run the install only when the dependency declarations change (idempotent).
$(STAMP): setup.py requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=23.1"
	$(PIP) install -q -c requirements/constraints.txt -e ".[lite,tests,plots]"
	$(PY) -c "import ga2clip_mmaction, mmaction.models, open_clip, decord; print('ga2clip_mmaction environment OK')"
	touch $(STAMP)

test: setup
	$(PY) -m pytest -q tests

demo: setup
	$(PY) tools/run_demo.py

clean:
	rm -rf $(VENV) work_dirs
