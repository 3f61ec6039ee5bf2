"""Seed the model's random draws of every training step by (seed, rank, iteration)."""
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmaction.registry import HOOKS

from ...utils.randomness import STREAM_MODEL_STEP, derive_seed, seed_global_generators


@HOOKS.register_module()
class ResumableRandomnessHook(Hook):
    """Make the random state of each training step a function of ``(seed, rank, iteration)``.

    Without it the random state at a step depends on the process' history: a run resumed from a checkpoint
    starts from a freshly seeded generator and diverges from the uninterrupted run (dropout and drop-path
    masks differ). With it, before each training iteration, Python's, numpy's and torch's global generators
    are seeded from ``(seed, rank, iteration)``: a resume is exact and every rank draws its own masks. The hook
    only seeds; it hands the model nothing. The one computation all ranks must draw alike, the class-prompt text
    encoding sharded across ranks (:mod:`~ga2clip_mmaction.models.heads.text_sharding`), takes its seed from the
    head's own step count, which the checkpoint carries (``PromptCouplingHead.shared_text_step``).

    The data side needs no hook: :class:`~ga2clip_mmaction.datasets.samplers.SeededBatchSampler` and
    ``AnchorBatchSampler`` tag each index with ``(seed, rank, epoch, position)``, from which
    :class:`~ga2clip_mmaction.datasets.RobustVideoDataset` seeds its pipeline, and ``DefaultSampler`` shuffles by
    ``seed + epoch``. ``seed`` is the runner's (``randomness.seed`` or ``--seed``). Declared in
    ``configs/_base_/default_runtime.py`` (``default_hooks.randomness``). Its only stage is
    ``before_train_iter``, so its order relative to ``DistSamplerSeedHook`` (``before_train_epoch``) does not
    matter.

    Args:
        seed (int, optional): Seed to use instead of the runner's. Defaults to None.
    """
    priority = 'NORMAL'

    def __init__(self, seed=None) -> None:
        self.seed = seed

    def _seed(self, runner) -> int:
        """The run's seed, equal on every rank (MMEngine's ``diff_rank_seed`` adds the rank to ``runner.seed``;
        the rank enters the streams here instead)."""
        if self.seed is not None:
            return int(self.seed)
        seed = runner.seed
        if seed is None:
            return 0
        if (getattr(runner, '_randomness_cfg', None) or {}).get('diff_rank_seed', False):
            seed -= get_rank()
        return int(seed)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        seed, step = self._seed(runner), int(runner.iter)
        seed_global_generators(derive_seed(STREAM_MODEL_STEP, seed, get_rank(), step))
