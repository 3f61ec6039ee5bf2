#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] [SIGNAL=USR1@90] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py options]
# One srun task per GPU (MMEngine `--launcher slurm`); see tools/slurm_launch.sh.
# Preemption: srun asks Slurm for SIGUSR1 90 s before the time limit (SIGNAL, empty: none); on it (or on
# SIGTERM, Slurm's preemption) every task finishes its iteration, saves it, points last_checkpoint at it and
# exits 143 (PreemptionHook; 142 when the save did not finish within its deadline: no new checkpoint, still
# requeued). Inside an `sbatch --requeue` job rank 0 then runs `scontrol requeue $SLURM_JOB_ID`; give the job
# `--resume` so the requeued run continues from last_checkpoint.
set -euo pipefail
SIGNAL=${SIGNAL-USR1@90}
if [ -n "$SIGNAL" ]; then
    export SRUN_ARGS="--signal=$SIGNAL${SRUN_ARGS:+ $SRUN_ARGS}"
fi
exec bash "$(dirname "$0")/slurm_launch.sh" train.py "$@"
