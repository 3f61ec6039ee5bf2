"""Stop drawing anchor clips when the model's anchor term is inert (the released one-name setting)."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmaction.registry import HOOKS


@HOOKS.register_module()
class InertAnchorHook(Hook):
    """Set the training batch sampler's ``num_anchors`` to 0 when the model skips an inert anchor term.

    The released anchor term (``AnchorLoss(mode='official')`` with one anchor name) adds a constant to every
    logit of a row and has exactly zero gradient; the recognizer leaves it out
    (``GA2CLIPRecognizer.anchor_term_skipped``, unless ``anchor_loss.skip_inert=False``). Without this hook the
    :class:`~ga2clip_mmaction.datasets.samplers.AnchorBatchSampler` would still add anchor indices to every
    batch, and each would be decoded and augmented for nothing. The main indices are unchanged (anchors are
    drawn from their own generator), so the main samples of every batch stay the same. Logs one line.
    Models or samplers without these attributes are left alone.
    """

    priority = 'LOW'

    def before_train(self, runner) -> None:
        """Turn the anchor stream off if the model does not use it."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not getattr(model, 'anchor_term_skipped', False):
            return
        batch_sampler = getattr(runner.train_dataloader, 'batch_sampler', None)
        if getattr(batch_sampler, 'num_anchors', 0) > 0:
            batch_sampler.num_anchors = 0
            print_log('InertAnchorHook: the anchor term is inert and skipped, so no anchor clips are drawn '
                      '(train_dataloader.batch_sampler.num_anchors -> 0); set model.anchor_loss.skip_inert='
                      'False for the released computation.', logger='current')
