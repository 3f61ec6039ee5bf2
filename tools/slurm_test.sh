#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# One srun task per GPU (MMEngine `--launcher slurm`); see tools/slurm_launch.sh.
set -euo pipefail
exec bash "$(dirname "$0")/slurm_launch.sh" test.py "$@"
