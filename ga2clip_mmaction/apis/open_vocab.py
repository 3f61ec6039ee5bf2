"""What MMAction2's inference API lacks for an open-vocabulary model: switch the class list, video and text
features, and scores of many videos at once."""
from typing import Dict, List, NamedTuple, Sequence, Union

import torch
import torch.nn.functional as F

from ..datasets.robust_video_dataset import BadVideoError
from .model import config_test_pipeline, parse_class_names
from .video_loader import ClipItem, iter_batches


def _head(model):
    head = getattr(model, 'cls_head', None)
    if not callable(getattr(head, 'set_class_names', None)):
        raise TypeError(f'{type(head).__name__} cannot switch class names (open-vocabulary inference needs '
                        f'set_class_names)')
    return head


def set_classes(model, names: Union[str, Sequence[str]]) -> List[str]:
    """Score against another class list, without rebuilding the model.

    The class text features are encoded on first use and cached by the head until the list changes again.

    Args:
        model: A recognizer with a ``PromptCouplingHead`` (or any head with ``set_class_names``).
        names (str | Sequence[str]): Names (a list or ``"a,b,c"``) or a class-name file.

    Returns:
        list[str]: The class list now in use.

    Raises:
        ValueError: No names, or a name given twice.
    """
    import os.path as osp
    if isinstance(names, str) and osp.isfile(names):
        parsed = parse_class_names(class_file=names)
    else:
        parsed = parse_class_names(names)
    _head(model).set_class_names(parsed)
    return parsed


def encode_texts(model, names: Sequence[str]) -> torch.Tensor:
    """L2-normalised text features of class names, built into the tuned prompts like the model's classes.

    Args:
        model: A recognizer with a ``PromptCouplingHead``.
        names (Sequence[str]): Class names.

    Returns:
        Tensor: ``[C, D]`` float32.
    """
    names = parse_class_names(list(names))
    with torch.no_grad():
        return F.normalize(_head(model).encode_prompted(names).float(), dim=-1)


class VideoScores(NamedTuple):
    """Scores of videos (or windows) over the model's class list.

    Attributes:
        features (Tensor): ``[N, D]`` L2-normalised video features (test views averaged).
        probs (Tensor): ``[N, C]`` class probabilities, equal to ``pred_score`` of ``inference_recognizer``.
        cosine (Tensor): ``[N, C]`` cosine similarity of the feature with each class's text feature.
        bad (dict[int, str]): Index of each clip that could not be read -> reason (its rows are NaN).
    """
    features: torch.Tensor
    probs: torch.Tensor
    cosine: torch.Tensor
    bad: Dict[int, str]


def _merged_probs(model, head, emb: torch.Tensor) -> torch.Tensor:
    """Class probabilities ``[B, C]`` of per-view embeddings ``[B, V, D]``: the head's ``predict`` with the
    recognizer's ``view_average``, as in ``model.predict`` (so equal to ``inference_recognizer``'s
    ``pred_score``)."""
    from mmaction.structures import ActionDataSample
    samples = [ActionDataSample() for _ in range(emb.shape[0])]
    head.predict(emb.flatten(0, 1), samples, num_views=emb.shape[1],
                 view_average=getattr(model, 'view_average', 'feature'))
    return torch.stack([s.pred_score for s in samples]).float().cpu()


def score_clips(model, items: Sequence, batch_size: int = 8, workers: int = 0,
                progress: bool = False) -> VideoScores:
    """Features and class scores of videos or windows, decoded in ``workers`` processes.

    Args:
        model: A recognizer built by :func:`~ga2clip_mmaction.apis.build_model` or ``init_recognizer``
            (its ``cfg`` gives the test pipeline).
        items (Sequence[str | ClipItem]): Video paths or windows.
        batch_size (int): Clips per batch. Defaults to 8.
        workers (int): Decoding processes. Defaults to 0.
        progress (bool): A progress bar. Defaults to False.

    Returns:
        VideoScores: The scores, in the order of ``items``.
    """
    head = _head(model)
    pipeline = config_test_pipeline(model.cfg)
    n = len(items)
    features = probs = cosine = None
    bad: Dict[int, str] = {}
    for indices, emb, failed in iter_batches(model, items, pipeline, batch_size, workers, progress):
        bad.update(failed)
        if emb is None:
            continue
        with torch.no_grad():
            p = _merged_probs(model, head, emb)
            feat = F.normalize(emb.mean(dim=1).float(), dim=-1)
            cos = head.cosine(feat).float().cpu()
        if features is None:
            features = torch.full((n, feat.shape[1]), float('nan'))
            probs = torch.full((n, p.shape[1]), float('nan'))
            cosine = torch.full((n, cos.shape[1]), float('nan'))
        idx = torch.tensor(indices)
        features[idx], probs[idx], cosine[idx] = feat.cpu(), p, cos
    if features is None:  # nothing readable: the shapes still say what there is
        dim = int(head.text.text_projection.shape[1]) if hasattr(head.text, 'text_projection') else 0
        features, probs, cosine = torch.full((n, dim), float('nan')), torch.full(
            (n, head.num_classes), float('nan')), torch.full((n, head.num_classes), float('nan'))
    return VideoScores(features, probs, cosine, dict(sorted(bad.items())))


def encode_videos(model, paths: Sequence[str], batch_size: int = 8, workers: int = 0) -> torch.Tensor:
    """L2-normalised video features (the test views of each video averaged), for retrieval or clustering.

    Args:
        model: A recognizer (see :func:`score_clips`).
        paths (Sequence[str]): Video files.
        batch_size (int): Videos per batch. Defaults to 8.
        workers (int): Decoding processes. Defaults to 0.

    Returns:
        Tensor: ``[N, D]`` float32.

    Raises:
        BadVideoError: A video cannot be read (the message names it and the reason).
    """
    scores = score_clips(model, [ClipItem(p) for p in paths], batch_size, workers)
    if scores.bad:
        listed = '; '.join(f'{paths[i]}: {r}' for i, r in scores.bad.items())
        raise BadVideoError(f'cannot read {len(scores.bad)} video(s): {listed}')
    return scores.features
