#!/usr/bin/env bash
# Wheels for the GPU check machine (CPython 3.12, manylinux x86_64, torch already there), into the git-ignored .whl/:
# the binary wheels listed in .dev_scripts/gpu_wheels.txt and mmcv-lite built from its sdist (pure Python); then the
# wheel check prints the total (limit 60 MiB). Needs PyPI and the set-up .venv (`make setup`). See
# docs/performance.md; .dev_scripts/gpu_check.sh installs them on the GPU machine.
#   .dev_scripts/gpu_wheels.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || { echo "gpu_wheels.sh: no $PY (run make setup)" >&2; exit 1; }
WHL=.whl
PLATFORMS=()
for p in manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux2010 manylinux1; do
    PLATFORMS+=(--platform "${p}_x86_64")
done
rm -rf "$WHL" && mkdir -p "$WHL"
grep -v -e '^#' -e '^mmcv' .dev_scripts/gpu_wheels.txt | xargs "$PY" -m pip download -q --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp "${PLATFORMS[@]}" -d "$WHL"
MMCV_VERSION="$(sed -n 's/^mmcv-lite==//p' requirements/constraints.txt)"
"$PY" -m pip download -q --no-deps --no-binary=:all: --no-build-isolation -d "$WHL/sdist" "mmcv-lite==$MMCV_VERSION"
MMCV_WITH_OPS=0 "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$WHL" "$WHL"/sdist/mmcv*
rm -rf "$WHL/sdist"
"$PY" .dev_scripts/gpu_check.py wheels "$WHL" --limit-mib 60
