#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# One node: a free port is found by torchrun (--standalone) unless PORT is set. Multi-node: set NNODES,
# NODE_RANK, MASTER_ADDR and PORT on every node (tools/dist_rendezvous.sh). PYTHON picks the interpreter.
# GPUS is the number of processes on this node (one per GPU). CPU ranks are an explicit choice: add
# --cfg-options env_cfg.dist_cfg.backend=gloo (configs/_base_/default_runtime.py says nccl; nccl where torch
# sees no CUDA device stops before training with a message saying so).
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
TOOLS=$(dirname "$0")
# shellcheck source=tools/dist_rendezvous.sh
source "$TOOLS/dist_rendezvous.sh"
# the repository importable by the ranks (modules named in custom_imports), as in MMAction2's scripts
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python}" -m torch.distributed.run "${RDZV[@]}" --nproc_per_node="$GPUS" \
    "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
