#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# One node: a free port is found by torchrun (--standalone) unless PORT is set. Multi-node: set NNODES,
# NODE_RANK, MASTER_ADDR and PORT on every node (tools/dist_rendezvous.sh). PYTHON picks the interpreter.
# GPUS is the number of processes on this node (one per GPU). CPU ranks are an explicit choice: add
# --cfg-options env_cfg.dist_cfg.backend=gloo (configs/_base_/default_runtime.py says nccl; nccl where torch
# sees no CUDA device stops before training with a message saying so).
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
TOOLS=$(dirname "$0")
# shellcheck source=tools/dist_rendezvous.sh
source "$TOOLS/dist_rendezvous.sh"
# the repository importable by the ranks (modules named in custom_imports), as in MMAction2's scripts
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"
# Preemption (PreemptionHook): torchrun forwards these signals to the ranks (SIGUSR1 added: a scheduler's
# warning signal), which finish the iteration, save it and exit; it waits up to this many seconds for them.
export TORCHELASTIC_SIGNALS_TO_HANDLE="${TORCHELASTIC_SIGNALS_TO_HANDLE:-SIGTERM,SIGINT,SIGHUP,SIGQUIT,SIGUSR1}"
export TORCH_ELASTIC_SHUTDOWN_TIMEOUT="${TORCH_ELASTIC_SHUTDOWN_TIMEOUT:-60}"
exec "${PYTHON:-python}" -m torch.distributed.run "${RDZV[@]}" --nproc_per_node="$GPUS" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "$@"
