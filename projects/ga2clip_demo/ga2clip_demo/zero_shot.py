"""Zero-shot CLIP on a demo world's test set (``run_demo``): frozen towers, mean frame features, one fixed
template, scored like ``BaseNovelMetric``. One deterministic run per world, a reference, never paired."""
import logging
import os
import warnings
from typing import Dict


def zero_shot(workspace: str, config: str, template: str) -> Dict[str, float]:
    """Zero-shot CLIP on the test set of ``config`` with the prompt ``template``.

    Uses the config's model (its prompt-free image tower and frozen text tower) and test dataloader, and scores
    with the same :func:`base_novel_accuracy` as ``BaseNovelMetric``.

    Args:
        workspace (str): Folder holding ``data/synthetic`` (the config's data paths are relative to it).
        config (str): A demo config (IVLP's: no hard prompt, no anchors).
        template (str): Prompt with ``{}`` for the class name.

    Returns:
        dict[str, float]: ``b2n/base_top1``, ``b2n/novel_top1``, ``b2n/hm``, ... as the metric reports them.
    """
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import ga2clip_mmaction  # noqa: F401
    from ga2clip_mmaction.evaluation.clip_zero_shot import clip_zero_shot_scores
    from ga2clip_mmaction.evaluation.metrics.base_novel_metric import base_novel_accuracy
    from ga2clip_mmaction.utils.io import read_class_names
    from mmaction.registry import MODELS

    cwd = os.getcwd()
    os.chdir(workspace)
    root_logger = logging.getLogger()
    level = root_logger.level
    try:
        cfg = Config.fromfile(config)
        init_default_scope('mmaction')
        root_logger.setLevel(logging.ERROR)  # open_clip's "no pretrained weights" note: ours come next
        model = MODELS.build(cfg.model).eval()
        root_logger.setLevel(level)
        names = read_class_names(cfg.custom_hooks[0].test[0]) + read_class_names(cfg.custom_hooks[0].test[1])
        scores, labels = clip_zero_shot_scores(model, Runner.build_dataloader(cfg.test_dataloader), names, template)
    finally:
        root_logger.setLevel(level)
        os.chdir(cwd)
    metrics = base_novel_accuracy(scores, labels, num_base_classes=cfg.test_evaluator.num_base_classes)
    return {f'b2n/{k}': float(v) for k, v in metrics.items()}
