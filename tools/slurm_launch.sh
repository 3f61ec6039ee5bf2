#!/usr/bin/env bash
# Shared body of tools/slurm_train.sh and tools/slurm_test.sh (call those, not this).
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_launch.sh SCRIPT PARTITION JOB_NAME [SCRIPT arguments]
# One srun task per GPU; MMEngine's `--launcher slurm` reads SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID
# and the first host of SLURM_NODELIST (MASTER_PORT, default 29500, picks the port).
# PYTHON picks the interpreter (default: python).
set -euo pipefail
SCRIPT=$1
PARTITION=$2
JOB_NAME=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
TOOLS=$(dirname "$0")
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"
# SRUN_ARGS is split into words on purpose (e.g. SRUN_ARGS="--quotatype=auto --exclusive").
# shellcheck disable=SC2086
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "$TOOLS/$SCRIPT" "$@" --launcher slurm
