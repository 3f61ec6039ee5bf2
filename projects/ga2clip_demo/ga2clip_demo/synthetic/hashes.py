"""sha256 fingerprints of a generated synthetic world (what makes a world identifiable in a results file)."""
import hashlib
import os
import os.path as osp
from typing import Dict, List

#: Annotation files of a world, relative to its root (the few-shot lists, test lists, anchor list, captions).
ANNOTATION_DIRS = (osp.join('splits', 'base2novel_splits', 'synth_splits'), osp.join('splits', 'stage1_splits'),
                   'anchors')
CAPTIONS = osp.join('videos', 'captions.tsv')
LABELS = 'labels'


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: str, folder: str, suffix: str) -> List[str]:
    path = osp.join(root, folder)
    return sorted(osp.join(folder, n) for n in os.listdir(path) if n.endswith(suffix)) if osp.isdir(path) else []


def world_hashes(root: str, videos: bool = True) -> Dict[str, object]:
    """sha256 of every annotation and class-name file of a world, and one digest over its videos.

    Args:
        root (str): The world's folder (``data/synthetic``, as written by
            projects/ga2clip_demo/tools/make_synthetic_videos.py).
        videos (bool): Also hash the clips (``videos_sha256``: sha256 over the sorted ``path sha256`` lines of
            every ``.mp4``). Defaults to True.

    Returns:
        dict: ``annotations`` and ``class_names`` (``{relative path: sha256}``, POSIX separators) and, with
        ``videos``, ``videos_sha256`` and ``num_videos``.

    Raises:
        FileNotFoundError: ``root`` holds no annotation or class-name files.
    """
    annotations = [f for d in ANNOTATION_DIRS for f in _files(root, d, '.txt')]
    if osp.isfile(osp.join(root, CAPTIONS)):
        annotations.append(CAPTIONS)
    labels = _files(root, LABELS, '.csv')
    if not annotations or not labels:
        raise FileNotFoundError(f'{root}: no synthetic world here (annotation or class-name files missing)')
    posix = lambda p: p.replace(os.sep, '/')  # noqa: E731
    out: Dict[str, object] = dict(
        annotations={posix(p): sha256_file(osp.join(root, p)) for p in annotations},
        class_names={posix(p): sha256_file(osp.join(root, p)) for p in labels})
    if videos:
        lines = []
        for d, _, names in os.walk(osp.join(root, 'videos')):
            for n in names:
                if n.endswith('.mp4'):
                    path = osp.join(d, n)
                    lines.append(f'{posix(osp.relpath(path, root))} {sha256_file(path)}\n')
        out['videos_sha256'] = hashlib.sha256(''.join(sorted(lines)).encode()).hexdigest()
        out['num_videos'] = len(lines)
    return out
