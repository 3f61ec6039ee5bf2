"""MMAction2's test-time visualization for batched clips (what ``tools/test.py --show-dir`` enables)."""
from typing import Optional, Sequence

import torch
from mmaction.engine.hooks import VisualizationHook
from mmaction.registry import HOOKS


@HOOKS.register_module()
class ClipVisualizationHook(VisualizationHook):
    """``VisualizationHook`` that also draws ``NCTHW`` and ``NCHW`` inputs.

    Two fixes of MMAction2 1.2.0's hook, which fails on every test batch: it turns each input into frames with
    ``permute(1, 2, 3, 0)``, which expects one clip ``[C, T, H, W]``, while ``PackActionInputs`` gives
    ``[V, C, T, H, W]`` (views first) for 3D models and ``[T, C, H, W]`` for 2D models; and it passes
    ``show=`` to ``ActionVisualizer.add_datasample``, whose argument is ``show_frames``. This hook draws the first
    view of each sample (frames in time order) and leaves everything else to MMAction2 (``ActionVisualizer``,
    ``interval``, ``out_dir``).

    Args:
        enable (bool): Draw at all. Defaults to False.
        interval (int): Draw every ``interval``-th sample. Defaults to 5000.
        show (bool): Display the frames in a window. Defaults to False.
        out_dir (str, optional): Save the frames there. Defaults to None.
        **kwargs: Further ``ActionVisualizer.add_datasample`` arguments.
    """

    def __init__(self, enable: bool = False, interval: int = 5000, show: bool = False,
                 out_dir: Optional[str] = None, **kwargs) -> None:
        super().__init__(enable=enable, interval=interval, show=show, out_dir=out_dir, **kwargs)
        self.draw_args = {**kwargs, 'show_frames': show}

    @staticmethod
    def first_clip(video: torch.Tensor) -> torch.Tensor:
        """One clip ``[C, T, H, W]`` of a packed input.

        Args:
            video (Tensor): ``[V, C, T, H, W]`` (``NCTHW``), ``[T, C, H, W]`` (``NCHW``) or ``[C, T, H, W]``.

        Returns:
            Tensor: ``[C, T, H, W]``.
        """
        if video.dim() == 5:
            return video[0]
        if video.dim() == 4 and video.shape[1] in (1, 3) and video.shape[0] not in (1, 3):
            return video.transpose(0, 1)
        return video

    def _draw_samples(self, batch_idx: int, data_batch: dict, data_samples: Sequence, step: int = 0) -> None:
        """Draw the first clip of every ``interval``-th sample (see MMAction2's ``VisualizationHook``)."""
        if not self.enable:
            return
        batch = dict(data_batch, inputs=[self.first_clip(v) for v in data_batch['inputs']])
        super()._draw_samples(batch_idx, batch, data_samples, step)
