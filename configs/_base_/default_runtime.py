# Runtime settings shared by every config of this project (MMAction2's defaults plus our plugin).
# Inherit with `_base_ = ['../_base_/default_runtime.py']` (path relative to the inheriting config).
default_scope = 'mmaction'

# Importing the plugin applies the upstream compat fixes, installs secure checkpoint loading
# and registers our components into mmaction.registry.
custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Small checkpoints (trained parameters + fingerprint of the frozen CLIP weights, which are re-read
    # from clip.weights); full_checkpoint=True writes self-contained ones (docs/performance.md).
    checkpoint=dict(type='SmallCheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3,
                    full_checkpoint=False),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Our reliability hooks, declared here so that every way of starting a run (our tools/train.py,
    # mmaction2's own tools/train.py and tools/test.py, `mim train`, a Runner built in Python) gets the same.
    # Config checks (class lists, labels vs classes, anchors vs anchor term), once, before the first iteration.
    config_check=dict(type='ConfigCheckHook'),
    # Model randomness of each step from (seed, rank, iteration): exact resume, ranks draw their own masks.
    # (Per-sample augmentation is seeded by the train batch sampler: SeededBatchSampler/AnchorBatchSampler.)
    randomness=dict(type='ResumableRandomnessHook'),
    # Bad training videos: logged once, counted over ranks, a run above the limit stops with the list.
    bad_videos=dict(type='BadVideoHook'),
    # Applies and logs the model's anchor decision: no anchor clips are decoded when the model skips an
    # inert anchor term (released one-name setting).
    inert_anchor=dict(type='InertAnchorHook'),
    # SIGTERM / SIGUSR1 (Slurm preemption, time limit): finish the iteration on every rank, save it, point
    # last_checkpoint at it, requeue under Slurm, exit 143; --resume continues bit for bit.
    preemption=dict(type='PreemptionHook'),
    # Writes the training precision (AMP dtype) into every checkpoint; --resume under another one is refused.
    amp_dtype=dict(type='AmpDtypeHook'),
    # Refills a small checkpoint's frozen weights when it is loaded, before EMAHook reads it (strict_load=True).
    small_checkpoint_refill=dict(type='SmallCheckpointRefillHook'))
# No SyncBuffersHook (MMAction2's runtime has one): the model has no batch norm, and its buffers
# (the frozen hard prompt, token ids, masks) are equal on every rank by construction; averaging
# them every epoch would only let the hard prompt drift by float rounding (tests/tools/
# test_dist_launch.py checks it stays bit-identical under 3 ranks).

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl, MMEngine's default. On a machine where torch sees no CUDA device (CPU machines, CI) the
    # process group starts with gloo instead, decided when it starts (ga2clip_mmaction.compat), so
    # tools/dist_*.sh, tools/slurm_*.sh and mmaction2's own tools run anywhere, and a config dumped on
    # a CPU machine still runs nccl on a GPU machine.
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
