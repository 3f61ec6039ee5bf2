"""Open-vocabulary inference: score videos against any list of class names (CPU by default).

INPUT is a video file, a directory (every video below it) or a list file (``.txt``/``.lst``: one video per line,
a trailing ``label`` of an annotation line ignored, relative paths resolved against the current directory, then
the list's). The model is built from the config and the checkpoint loaded strictly over it (secure loading, as
every entry point); the head is switched to the given class names and the config's test pipeline runs on each
video, decoded in ``--workers`` processes, ``--batch-size`` videos at a time. The checkpoint is the source of
truth: a self-contained checkpoint needs none of the weight files the config names (CLIP weights, hard prompt); a
small one (only the trained parameters, the default of training) takes the frozen CLIP weights from the config's
``clip.weights`` and is refused if they are not the ones it was trained with.

One video prints its top-k (a bad one is an error); several print one line each and list the bad ones at the end
(not fatal). ``--out F.jsonl`` writes one JSON line per video: ``{"video", "topk": [[name, score], ...]}`` (or
``{"video", "error"}``); ``--save-features F.npy`` the ``[N, D]`` L2-normalised video features (NaN rows for bad
videos; the order of ``--out``).

``--timeline --window S --stride S`` scores sliding windows of one video (class text encoded once) and merges them
into segments ``(label, start, end, score)``: printed, in ``--out`` as JSON and with ``--srt`` as subtitles.

``--reject-fpr 0.05`` calibrates a threshold on the config's anchor set (irrelevant videos): at most 5 % of anchor
clips score above it; a video (or window) at or below it is "none of the classes" (``--reject-score``: max cosine,
max softmax or energy).

Example:
    python tools/infer.py demo.mp4 --config configs/ga2clip_b2n_k400.py \\
        --checkpoint work_dirs/b2n_k400/epoch_12.pth --classes "arm wrestling,juggling balls,typing"
    python tools/infer.py videos/ --config CFG --checkpoint CKPT --class-file labels.csv --out preds.jsonl
    python tools/infer.py long.mp4 --config CFG --checkpoint CKPT --classes "a,b" --timeline --window 2 --stride 1
"""
import argparse
import os

from mmengine.config import DictAction

from ga2clip_mmaction.apis.infer_tool import run


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Top-k classes of videos for any class list')
    parser.add_argument('video', help='a video file, a directory of videos, or a list file (.txt/.lst)')
    parser.add_argument('--config', required=True, help='model/test config file')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file')
    names = parser.add_mutually_exclusive_group(required=True)
    names.add_argument('--classes', help='comma-separated class names, e.g. "run,jump,swim"')
    names.add_argument('--class-file', help='class-name file: `id,name` csv or one name per line')
    parser.add_argument('--topk', type=int, default=5, help='how many classes to print / write')
    parser.add_argument('--views', default=None,
                        help='test views "<clips>x<crops>", e.g. 4x3 (default: the config\'s)')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument('--batch-size', type=int, default=8, help='videos (or windows) per batch')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='decoding processes (0: decode in this process)')
    parser.add_argument('--out', help='JSON Lines of the videos (with --timeline: the timeline as JSON)')
    parser.add_argument('--save-features', help='.npy file for the [N, D] video features')
    parser.add_argument('--timeline', action='store_true', help='segments of one long video (sliding windows)')
    parser.add_argument('--window', type=float, default=2.0, help='--timeline: window length in seconds')
    parser.add_argument('--stride', type=float, default=1.0, help='--timeline: seconds between windows')
    parser.add_argument('--srt', help='--timeline: also write the segments as SubRip subtitles')
    parser.add_argument('--reject-fpr', type=float, default=None,
                        help='reject videos below the score at which this fraction of the anchor clips of the '
                        'config is accepted, e.g. 0.05')
    parser.add_argument('--reject-score', default='cosine', choices=('cosine', 'softmax', 'energy'),
                        help='the score --reject-fpr thresholds (default: max cosine)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. key=value')
    return parser.parse_args(argv)


def main(argv=None):
    """Print (and write) the predictions.

    Returns:
        For one video: list[tuple[str, float]], the printed top-k ``(class name, probability)``; for several:
        list[dict], the records of ``--out``; with ``--timeline``: the timeline dict.
    """
    return run(parse_args(argv))


if __name__ == '__main__':
    main()
