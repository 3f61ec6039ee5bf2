# ga2clip_mmaction: one-command setup, tests and demo.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.setup-stamp
DEMO := projects/ga2clip_demo
PARITY := projects/ga2clip_parity

.PHONY: setup test demo clean gpu-wheels

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

# Wheels for the GPU check machine (CPython 3.12, manylinux x86_64, torch already there): see
# requirements/gpu_wheels.txt and docs/performance.md. Into the git-ignored .whl/; prints the total (limit 60 MiB).
WHL := .whl
GPU_PLATFORMS := $(foreach p,manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux2010 manylinux1,--platform $(p)_x86_64)

gpu-wheels: setup
	rm -rf $(WHL) && mkdir -p $(WHL)
	grep -v -e '^#' -e '^mmcv' requirements/gpu_wheels.txt | xargs $(PIP) download -q --no-deps --only-binary=:all: \
		--python-version 3.12 --implementation cp $(GPU_PLATFORMS) -d $(WHL)
	$(PIP) download -q --no-deps --no-binary=:all: --no-build-isolation -d $(WHL)/sdist "mmcv-lite==$$(sed -n 's/^mmcv-lite==//p' requirements/constraints.txt)"
	MMCV_WITH_OPS=0 $(PIP) wheel -q --no-deps --no-build-isolation -w $(WHL) $(WHL)/sdist/mmcv*
	rm -rf $(WHL)/sdist
	$(PY) .dev_scripts/gpu_check.py wheels $(WHL) --limit-mib 60
