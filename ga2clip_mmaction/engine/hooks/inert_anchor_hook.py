"""Stop drawing anchor clips when the model's anchor term is inert (the released one-name setting)."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmaction.registry import HOOKS


@HOOKS.register_module()
class InertAnchorHook(Hook):
    """Apply the model's anchor decision to the training batch sampler, and log it once.

    There is one decision, the model's: ``GA2CLIPRecognizer.anchor_term_skipped`` (from
    ``AnchorLoss.skipped``: the released anchor term, ``mode='official'`` with one anchor name, adds a constant
    to every logit of a row and has exactly zero gradient, so by default it is left out; ``anchor_loss.
    skip_inert=False`` computes it as released). The config states whether anchors are on (``model.anchor_loss``
    with ``AnchorSetDataset`` + ``AnchorBatchSampler``) or off (``model.anchor_loss=None`` and no anchor clips;
    ``ConfigCheckHook`` refuses a config that says one half of each). When the model skips the term, this hook
    sets the sampler's ``num_anchors`` to 0, so no anchor clip is decoded for nothing. The main indices are
    unchanged (anchors are drawn from their own generator). Models or samplers without these attributes are
    left alone.
    """

    priority = 'LOW'

    def before_train(self, runner) -> None:
        """Log the anchor decision; turn the anchor stream off if the model does not use it."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        anchor_loss = getattr(model, 'anchor_loss', None)
        batch_sampler = getattr(runner.train_dataloader, 'batch_sampler', None)
        clips = int(getattr(batch_sampler, 'num_anchors', 0) or 0)
        if anchor_loss is None:
            return
        if not getattr(model, 'anchor_term_skipped', False):
            print_log(f'Anchors on: anchor term mode={anchor_loss.mode!r}, {clips} anchor clip(s) per batch.',
                      logger='current')
            return
        if clips > 0:
            batch_sampler.num_anchors = 0
        print_log('Anchors skipped: the anchor term (mode "official", one anchor name) is inert, a constant per '
                  f'logit row, so it is not computed and no anchor clips are drawn (num_anchors {clips} -> 0). '
                  'Set model.anchor_loss.skip_inert=False for the released computation.', logger='current')
