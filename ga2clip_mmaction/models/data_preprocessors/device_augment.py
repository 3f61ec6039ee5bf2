"""Apply a device-augmentation record (resize, crop, resize, flip, grayscale) to one clip, on the clip's device.

The function emulates the CPU transforms it replaces on the same frames: MMAction2's ``RandomResizedCrop`` (a slice),
``Resize`` (``mmcv.imresize``, i.e. OpenCV ``INTER_LINEAR``: bilinear with half-pixel centres and
no antialiasing, which is ``interpolate(mode='bilinear', align_corners=False, antialias=False)``), ``Flip`` and
:class:`~ga2clip_mmaction.datasets.transforms.VideoRandomGrayscale`. Integer clips are rounded to their dtype after the
resize and after the grayscale conversion, as the uint8 CPU pipeline rounds, so the result is a clip of the input
dtype. OpenCV interpolates uint8 frames in fixed point (11-bit weights), ``interpolate`` in float32: one resize differs
by at most one level on some pixels, two resizes in a row (``resize`` then ``size``) by at most two
(``tests/models/data_preprocessors/test_device_augment_data_preprocessor.py``).
"""
from typing import Dict, Sequence

import torch
import torch.nn.functional as F

from ...structures import LUMA_RGB


def _to_frames(clip: torch.Tensor, format_shape: str) -> torch.Tensor:
    """``[B, C, H, W]`` frames of a packed clip (``NCTHW``: ``[N, C, T, H, W]``; ``NCHW``: ``[T, C, H, W]``)."""
    if format_shape == 'NCTHW':
        if clip.ndim != 5:
            raise ValueError(f'device augmentation: NCTHW clips are [N, C, T, H, W], got shape {tuple(clip.shape)}')
        n, c, t, h, w = clip.shape
        return clip.transpose(1, 2).reshape(n * t, c, h, w)
    if format_shape == 'NCHW':
        if clip.ndim != 4:
            raise ValueError(f'device augmentation: NCHW clips are [T, C, H, W], got shape {tuple(clip.shape)}')
        return clip
    raise ValueError(f'device augmentation: format_shape must be NCTHW or NCHW, got {format_shape!r}')


def _from_frames(frames: torch.Tensor, like: torch.Tensor, format_shape: str) -> torch.Tensor:
    """Inverse of :func:`_to_frames` (``like``: the packed clip, for ``N`` and ``T``)."""
    if format_shape == 'NCHW':
        return frames
    n, c, t = like.shape[:3]
    return frames.reshape(n, t, c, *frames.shape[-2:]).transpose(1, 2).contiguous()


def _round_to(frames: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Round half to even (``np.rint``) and clamp to ``dtype``'s range when ``dtype`` is an integer type."""
    if dtype.is_floating_point:
        return frames
    info = torch.iinfo(dtype)
    return frames.round().clamp(info.min, info.max)


def _check_frame(record: Dict, height: int, width: int) -> None:
    """The clip has the frame size the record was drawn on."""
    frame = tuple(int(v) for v in record.get('frame', (height, width)))
    if frame != (height, width):
        raise ValueError(f'device augmentation: the record was drawn on {frame[0]}x{frame[1]} frames, the clip has '
                         f'{height}x{width} (a transform after the *Params ones changed the frame size?)')


def _crop(x: torch.Tensor, box: Sequence[int]) -> torch.Tensor:
    """``x[..., y1:y2, x1:x2]``, the box checked against the last two dimensions."""
    height, width = x.shape[-2:]
    x1, y1, x2, y2 = (int(v) for v in box)
    if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
        raise ValueError(f'device augmentation: crop {(x1, y1, x2, y2)} outside the {height}x{width} frame')
    return x[..., y1:y2, x1:x2]


def _resize(frames: torch.Tensor, size: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    """Bilinear resize of float ``[B, C, H, W]`` frames as ``mmcv.imresize`` (rounded for integer clips)."""
    size = tuple(int(v) for v in size)
    if size == tuple(frames.shape[-2:]):
        return frames  # OpenCV copies a same-size resize exactly
    out = F.interpolate(frames, size=size, mode='bilinear', align_corners=False, antialias=False)
    return _round_to(out, dtype)


def apply_device_aug(clip: torch.Tensor, record: Dict, format_shape: str = 'NCTHW') -> torch.Tensor:
    """Resize, crop, resize, flip and gray one packed clip as its record says (see ``device_aug_record``).

    Args:
        clip (Tensor): ``[N, C, T, H, W]`` (``NCTHW``) or ``[T, C, H, W]`` (``NCHW``) RGB clip, on any device.
        record (dict): ``frame``, ``resize``, ``crop``, ``size``, ``flip``, ``flip_direction``, ``grayscale``
            (missing ones are skipped).
        format_shape (str): ``'NCTHW'`` or ``'NCHW'``. Defaults to ``'NCTHW'``.

    Returns:
        Tensor: The augmented clip, same layout, dtype and device.

    Raises:
        ValueError: Bad layout, frame size or crop box, or grayscale on a clip without 3 channels.
    """
    dtype = clip.dtype
    compute = dtype if dtype.is_floating_point else torch.float32
    _check_frame(record, *clip.shape[-2:])
    if 'resize' in record:  # whole frames first, then the crop on them
        frames = _resize(_to_frames(clip, format_shape).to(compute), record['resize'], dtype)
        if 'crop' in record:
            frames = _crop(frames, record['crop'])
    else:  # crop first: only the crop is copied and converted
        frames = _to_frames(_crop(clip, record['crop']) if 'crop' in record else clip, format_shape).to(compute)
    if 'size' in record:
        frames = _resize(frames, record['size'], dtype)
    if record.get('flip', False):
        frames = frames.flip(-1 if record.get('flip_direction', 'horizontal') == 'horizontal' else -2)
    if record.get('grayscale', False):
        if frames.shape[1] != 3:
            raise ValueError(f'device augmentation: grayscale needs 3 channels, got {frames.shape[1]}')
        luma = torch.tensor(LUMA_RGB, dtype=compute, device=frames.device).view(1, 3, 1, 1)
        frames = _round_to((frames * luma).sum(1, keepdim=True), dtype).expand(-1, 3, -1, -1)
    return _from_frames(frames.to(dtype), clip, format_shape)
