"""Multi-view testing: ``clips x crops`` test pipelines and a config rewriter.

A view is one temporal clip (:class:`SegmentClips`) under one spatial crop (MMAction2's
``CenterCrop`` / ``ThreeCrop`` / ``TenCrop``). ``FormatShape('NCTHW')`` stacks the
``clips * crops`` views of a sample, and :class:`GA2CLIPRecognizer` averages them
(``view_average``: ``'feature'`` as released, ``'score'`` or ``'prob'``). The released test is
``1x1``; ``2x1``, ``3x1`` and ``4x3`` are the usual richer settings.

Three ways to use it:

* build a pipeline: ``build_test_pipeline(num_frames=32, num_clips=4, num_crops=3)``;
* rewrite a loaded config (what ``tools/eval_zero_shot.py --views`` and ``tools/infer.py
  --views`` do): ``apply_test_views(cfg, '4x3')``;
* edit a config by hand: ``dict(type='SegmentClips', num_segments=32, num_clips=4)`` in place
  of ``SegmentSample(test_mode=True)``, ``ThreeCrop`` in place of ``CenterCrop``.
"""
import copy
from typing import List, Optional, Tuple, Union

CROPS = {1: 'CenterCrop', 3: 'ThreeCrop', 10: 'TenCrop'}
_SAMPLERS = ('SegmentSample', 'SegmentClips')


def parse_views(views: Union[str, Tuple[int, int]]) -> Tuple[int, int]:
    """``'4x3'`` -> ``(4, 3)`` (clips, crops).

    Args:
        views (str | tuple[int, int]): ``'<clips>x<crops>'`` or a pair.

    Returns:
        tuple[int, int]: ``(num_clips, num_crops)``.

    Raises:
        ValueError: Malformed, non-positive clips, or a crop count other than 1, 3, 10.
    """
    if isinstance(views, str):
        parts = views.lower().split('x')
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f'views must look like "4x3" (clips x crops), got {views!r}')
        views = (int(parts[0]), int(parts[1]))
    num_clips, num_crops = views
    if num_clips < 1:
        raise ValueError(f'views: the number of clips must be >= 1, got {num_clips}')
    if num_crops not in CROPS:
        raise ValueError(f'views: the number of crops must be one of {sorted(CROPS)}, '
                         f'got {num_crops}')
    return num_clips, num_crops


def build_test_pipeline(num_frames: int = 32,
                  num_clips: int = 1,
                  num_crops: int = 1,
                  scale: int = 256,
                  crop_size: int = 224) -> List[dict]:
    """The released test pipeline with ``num_clips x num_crops`` views.

    Decord decoding, :class:`SegmentClips`, short side resized to ``scale``, the crop(s),
    ``FormatShape('NCTHW')``, ``PackActionInputs``. ``1x1`` takes each segment's first frame
    and a center crop, as the released code does.

    Args:
        num_frames (int): Frames per clip (segments). Defaults to 32.
        num_clips (int): Temporal clips. Defaults to 1.
        num_crops (int): Spatial crops: 1 (center), 3 (three along the long side, after
            resizing the short side to ``crop_size``) or 10 (corners and center, and their
            flips). Defaults to 1.
        scale (int): Short side after resizing. Defaults to 256.
        crop_size (int): Crop side. Defaults to 224.

    Returns:
        list[dict]: Transform configs.
    """
    num_clips, num_crops = parse_views((num_clips, num_crops))
    return [
        dict(type='DecordInit'),
        dict(type='SegmentClips', num_segments=num_frames, num_clips=num_clips),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, scale)),
        *_crop_step(num_crops, crop_size),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]


def _crop_step(num_crops: int, crop_size: int) -> List[dict]:
    """The crop transform(s); ``ThreeCrop`` needs the short side resized to the crop size."""
    step = [dict(type=CROPS[num_crops], crop_size=crop_size)]
    if num_crops == 3:
        step.insert(0, dict(type='Resize', scale=(-1, crop_size)))
    return step


def apply_views_to_pipeline(pipeline: List[dict],
                            views: Union[str, Tuple[int, int]],
                            crop_size: Optional[int] = None) -> List[dict]:
    """Return a copy of a test pipeline that produces ``clips x crops`` views.

    ``SegmentSample(test_mode=True)`` / ``SegmentClips`` become ``SegmentClips(num_clips=...)``;
    MMAction2's ``SampleFrames`` / ``UniformSample`` get ``num_clips``. An existing
    ``CenterCrop`` / ``ThreeCrop`` / ``TenCrop`` is replaced by the requested one (same
    ``crop_size``); without one, the crop is added after the last ``Resize`` (needs
    ``crop_size``) unless a single crop is requested. ``ThreeCrop`` (three crops along the
    long side, MMAction2's convention) comes with a ``Resize`` of the short side to the crop
    size just before it.

    Args:
        pipeline (list[dict]): Transform configs of a test pipeline.
        views (str | tuple[int, int]): ``'4x3'`` or ``(clips, crops)``.
        crop_size (int, optional): Crop side when the pipeline has no crop. Defaults to None.

    Returns:
        list[dict]: The new pipeline.

    Raises:
        ValueError: No sampler, a training-mode sampler, or a crop is needed without a size.
    """
    num_clips, num_crops = parse_views(views)
    pipeline = copy.deepcopy(list(pipeline))
    types = [t.get('type') for t in pipeline]
    samplers = [i for i, t in enumerate(types) if t in _SAMPLERS + ('SampleFrames', 'UniformSample')]
    if len(samplers) != 1:
        raise ValueError(f'apply views: expected one frame sampler in the test pipeline, got {types}')
    i = samplers[0]
    sampler = pipeline[i]
    if sampler['type'] in _SAMPLERS:
        if sampler['type'] == 'SegmentSample' and not sampler.get('test_mode', False):
            raise ValueError('apply views: SegmentSample must have test_mode=True in a test pipeline')
        pipeline[i] = dict(type='SegmentClips', num_segments=sampler.get('num_segments', 32),
                           num_clips=num_clips)
    else:
        pipeline[i] = dict(sampler, num_clips=num_clips)
    crops = [i for i, t in enumerate(types) if t in CROPS.values()]
    if len(crops) > 1:
        raise ValueError(f'apply views: expected at most one crop in the test pipeline, got {types}')
    if crops:
        i = crops[0]
        size = pipeline[i]['crop_size']
        start = i - 1 if i > 0 and pipeline[i - 1:i + 1] == _crop_step(3, size) else i
        pipeline[start:i + 1] = _crop_step(num_crops, size)
    elif num_crops > 1:
        if crop_size is None:
            raise ValueError('apply views: the pipeline has no crop; pass crop_size')
        resizes = [i for i, t in enumerate(types) if t == 'Resize']
        at = resizes[-1] + 1 if resizes else samplers[0] + 2
        pipeline[at:at] = _crop_step(num_crops, crop_size)
    return pipeline


def apply_test_views(cfg, views: Union[str, Tuple[int, int]], crop_size: Optional[int] = None):
    """Switch a config's test pipeline(s) to ``clips x crops`` views, in place.

    Rewrites ``cfg.test_dataloader.dataset.pipeline`` (and the ``pipeline`` of every dataset
    of a ``datasets`` list, e.g. ``ConcatDataset``) with :func:`apply_views_to_pipeline`, and
    ``cfg.test_pipeline`` when the config defines one.

    Args:
        cfg (mmengine.Config): A loaded config.
        views (str | tuple[int, int]): ``'4x3'`` or ``(clips, crops)``.
        crop_size (int, optional): Crop side when the pipeline has no crop. Defaults to None.

    Returns:
        mmengine.Config: ``cfg``.

    Raises:
        KeyError: The config has no test dataloader with a dataset pipeline.
    """
    datasets = []
    stack = [cfg.get('test_dataloader', {}).get('dataset')] if cfg.get('test_dataloader') else []
    while stack:
        dataset = stack.pop()
        if dataset is None:
            continue
        if 'pipeline' in dataset:
            datasets.append(dataset)
        stack += list(dataset.get('datasets', [])) + [dataset.get('dataset')]
    if not datasets:
        raise KeyError('apply views: the config has no test_dataloader.dataset.pipeline')
    for dataset in datasets:
        dataset.pipeline = apply_views_to_pipeline(dataset.pipeline, views, crop_size)
    if 'test_pipeline' in cfg:
        cfg.test_pipeline = apply_views_to_pipeline(cfg.test_pipeline, views, crop_size)
    return cfg
