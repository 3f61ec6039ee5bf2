"""A test-only MMEngine hook that records, per rank, what a training run did.

Configs of the launcher tests add it with
``custom_imports = dict(imports=['ga2clip_mmaction', 'tests.helpers.run_recorder'])`` (the repository root on
``PYTHONPATH``) and ``custom_hooks = [dict(type='RunRecorderHook')]``. At the end of training each rank writes
``<work_dir>/records/rank<R>.json`` with

* ``batches``: per epoch, the dataset indices of every batch this rank loaded (main samples, then anchors; read
  from the loader's own batch sampler after ``DistSamplerSeedHook`` set the epoch, so exactly what was drawn);
* ``losses``: per iteration, the logged losses of this rank (``loss``, ``loss_cls``);
* ``text_classes``: for every gradient-enabled text-tower call on class prompts, the class indices this rank
  encoded (other prompts, e.g. the anchor names of the ``kl`` term, are left out);
* ``hard_prompt_sha256``: digest of the head's hard-prompt buffer before and after training.
"""
import hashlib
import json
import os.path as osp
from typing import Dict, List

import torch
from mmaction.registry import HOOKS
from mmengine.utils import mkdir_or_exist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def _digest(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.detach().cpu().contiguous().numpy().tobytes()).hexdigest()


@HOOKS.register_module()
class RunRecorderHook(Hook):
    """Record batches, losses, text-tower rows and the hard prompt of each rank (tests only)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.record: Dict = dict(batches={}, losses=[], text_classes=[])

    def _head(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.cls_head

    def before_train(self, runner) -> None:
        head = self._head(runner)
        self.record.update(rank=runner.rank, world_size=runner.world_size,
                           hard_prompt_sha256_before=_digest(head.prompt_learner.hard_prompt))
        encode = head.encode_prompted_tokens
        calls: List[List[int]] = self.record['text_classes']

        def counted(tokens, *args, **kwargs):
            if torch.is_grad_enabled():
                classes = head.class_tokens
                match = (tokens[:, None, :] == classes[None]).all(-1)  # [n, C]
                if match.any(1).all():
                    calls.append([int(i) for i in match.float().argmax(1)])
            return encode(tokens, *args, **kwargs)

        head.encode_prompted_tokens = counted  # instance attribute: the head's own calls go through it

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_dataloader
        self.record['num_main'] = loader.dataset.num_main
        self.record['batches'][str(runner.epoch)] = [list(map(int, b)) for b in loader.batch_sampler]

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.record['losses'].append(dict(iter=runner.iter, **{
            k: float(v) for k, v in (outputs or {}).items() if k.startswith('loss')}))

    def after_train(self, runner) -> None:
        head = self._head(runner)
        self.record['hard_prompt_sha256_after'] = _digest(head.prompt_learner.hard_prompt)
        out_dir = osp.join(runner.work_dir, 'records')
        mkdir_or_exist(out_dir)
        with open(osp.join(out_dir, f'rank{runner.rank}.json'), 'w') as f:
            json.dump(self.record, f)
