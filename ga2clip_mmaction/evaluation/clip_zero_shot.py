"""Zero-shot CLIP scores: the frozen towers of a GA2-CLIP recognizer and a fixed template."""
from typing import Iterable, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F


def clip_zero_shot_scores(model: torch.nn.Module, loader: Iterable, class_names: List[str],
                          template: str = 'a video of a {}.') -> Tuple[np.ndarray, np.ndarray]:
    """Cosine scores of every test clip against ``template.format(name)`` with prompts switched off.

    Uses the recognizer's prompt-free image tower (``model.embed(..., prompts=False)``, mean frame
    feature) and its frozen text tower (``model.cls_head.text``): plain CLIP, whatever prompts the
    model has learned.

    Args:
        model (torch.nn.Module): A :class:`GA2CLIPRecognizer` (its data preprocessor is used).
        loader (Iterable): Test dataloader (MMAction2 batches).
        class_names (list[str]): Class names, in the label index order of the loader.
        template (str): Prompt template with one ``{}``. Defaults to ``'a video of a {}.'``.

    Returns:
        tuple[np.ndarray, np.ndarray]: Scores ``[N, C]`` and labels ``[N]``.
    """
    scores, labels = [], []
    model.eval()
    with torch.no_grad():
        text = F.normalize(model.cls_head.text.encode_text([template.format(n) for n in class_names]), dim=-1)
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            emb = F.normalize(model.embed(data['inputs'], prompts=False).mean(dim=1), dim=-1)
            scores.append((emb @ text.t()).float().numpy())
            labels += [int(s.gt_label) for s in data['data_samples']]
    return np.concatenate(scores), np.array(labels)
