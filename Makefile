# ga2clip_mmaction: one-command setup, tests and demo.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.setup-stamp
DEMO := projects/ga2clip_demo
PARITY := projects/ga2clip_parity

.PHONY: setup test demo clean

setup: $(STAMP)

# Re-run the install only when the dependency declarations change (idempotent). The method package and, editable
# beside it, the demo's and the parity harness's packages (projects/, not in the method's wheel).
$(STAMP): setup.py $(DEMO)/setup.py $(PARITY)/setup.py requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip>=23.1"
	$(PIP) install -q -c requirements/constraints.txt -e ".[lite,tests,stats]" \
		-e "$(DEMO)[plots]" -e $(PARITY)
	$(PY) -c "import ga2clip_mmaction, ga2clip_demo, ga2clip_parity, mmaction.models, open_clip, decord; print('ga2clip_mmaction environment OK')"
	touch $(STAMP)

# Two pytest-xdist workers (one per core of the 2-core CI machine); whole files go to one worker, so a module's
# fixtures (a trained demo, a 2-rank run) are built once. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests

demo: setup
	$(PY) $(DEMO)/tools/run_demo.py

clean:
	rm -rf $(VENV) work_dirs

# Developer tooling (not part of the README's commands) lives in .dev_scripts/: the GPU check's wheels
# (.dev_scripts/gpu_wheels.sh) and the check itself (.dev_scripts/gpu_check.sh); see docs/performance.md.
