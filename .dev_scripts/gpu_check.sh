#!/usr/bin/env bash
# The GPU check in one command (docs/performance.md, "The GPU check"):
#
#   .dev_scripts/gpu_check.sh --out DIR            # on the GPU machine: install .whl/ (gpu_wheels.sh), run parts a-d
#   .dev_scripts/gpu_check.sh --dry-run --out DIR  # anywhere: every part on the CPU at smoke size (CI runs it)
#
# Real run: installs the carried wheels with `pip install --no-index --no-deps --target` into a private folder
# (the machine's torch, numpy, opencv, pytest stay), puts it and the repository on PYTHONPATH, then runs
# `.dev_scripts/gpu_check.py run`, which gives each part its own time budget and rewrites DIR/gpu_check.{json,md} after
# every part. Dry run: no install; the Python of .venv (or $PYTHON) is used.
set -u
DRY=0
OUT=
PARTS=abcd
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --out) OUT="$2"; shift ;;
        --parts) PARTS="$2"; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "gpu_check.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$OUT" ] || { echo "gpu_check.sh: --out DIR is required" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 1
mkdir -p "$OUT"
START=$(date +%s)
if [ "$DRY" = 1 ]; then
    PY="${PYTHON:-$ROOT/.venv/bin/python}"
    [ -x "$PY" ] || PY=python3
    ARGS=(--dry-run)
else
    PY="${PYTHON:-python3}"
    SITE="${GPU_CHECK_SITE:-/tmp/gpu_check_site}"
    ARGS=()
    ls .whl/*.whl >/dev/null 2>&1 || {
        echo "gpu_check.sh: no wheels in .whl/ (run .dev_scripts/gpu_wheels.sh)" >&2; exit 1; }
    echo "[gpu_check] installing $(ls .whl/*.whl | wc -l) wheels into $SITE"
    timeout 60 "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" .whl/*.whl >"$OUT/install.log" 2>&1 || {
        echo "[gpu_check] wheel install failed (see $OUT/install.log)"; tail -5 "$OUT/install.log"; exit 1; }
    export PYTHONPATH="$SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
    echo "[gpu_check] install done in $(( $(date +%s) - START )) s"
fi
export PYTHONPATH="$ROOT:$ROOT/projects/ga2clip_demo:$ROOT/projects/ga2clip_parity${PYTHONPATH:+:$PYTHONPATH}"
"$PY" .dev_scripts/gpu_check.py run --out "$OUT" --parts "$PARTS" "${ARGS[@]}"
RC=$?
echo "[gpu_check] total $(( $(date +%s) - START )) s, exit $RC"
exit $RC
