# Sourced by tools/dist_train.sh and tools/dist_test.sh: torchrun's rendezvous options in RDZV.
# One node and no PORT: torchrun's standalone rendezvous, which binds a free local port itself (two jobs on one
# machine never clash, and nothing picks a port that another process can take first). Otherwise the static
# rendezvous of NNODES, NODE_RANK, MASTER_ADDR and PORT (default 29500), the same on every node.
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
if [ "$NNODES" = 1 ] && [ -z "${PORT:-}" ]; then
    RDZV=(--standalone)
else
    RDZV=(--nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" --master_port="${PORT:-29500}")
fi
