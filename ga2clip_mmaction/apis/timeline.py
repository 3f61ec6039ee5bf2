"""When does what happen in a long video: sliding windows scored against the class list, merged into segments."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from .video_loader import ClipItem

NONE_LABEL = 'none of the classes'


class Window(NamedTuple):
    """A window of a video.

    Attributes:
        start_frame (int): First frame.
        num_frames (int): Frames in the window.
        start (float): Start in seconds.
        end (float): End in seconds.
    """
    start_frame: int
    num_frames: int
    start: float
    end: float


def video_length(path: str) -> Tuple[int, float]:
    """``(frames, frames per second)`` of a video (decord).

    Raises:
        ValueError: The video reports no frame rate.
    """
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    fps = float(reader.get_avg_fps())
    if not fps > 0:
        raise ValueError(f'{path}: the video reports no frame rate ({fps})')
    return len(reader), fps


def sliding_windows(num_frames: int, fps: float, window: float, stride: float) -> List[Window]:
    """Windows of ``window`` seconds every ``stride`` seconds covering the whole video.

    The last window ends at the video's end (it may overlap the one before more than ``stride``); a video
    shorter than a window is one window.

    Args:
        num_frames (int): Frames of the video.
        fps (float): Frames per second.
        window (float): Window length in seconds.
        stride (float): Seconds between window starts.

    Returns:
        list[Window]: The windows, in time order.

    Raises:
        ValueError: A length that is not positive, or no frames.
    """
    if not (window > 0 and stride > 0):
        raise ValueError(f'--window and --stride must be > 0 seconds, got {window} and {stride}')
    if num_frames < 1:
        raise ValueError('the video has no frames')
    size = max(1, min(num_frames, round(window * fps)))
    step = max(1, round(stride * fps))
    starts = list(range(0, num_frames - size + 1, step))
    if starts[-1] + size < num_frames:
        starts.append(num_frames - size)
    return [Window(s, size, s / fps, (s + size) / fps) for s in starts]


def window_items(path: str, windows: Sequence[Window]) -> List[ClipItem]:
    """The :class:`ClipItem` s of a video's windows (for :func:`~ga2clip_mmaction.apis.score_clips`)."""
    return [ClipItem(path, w.start_frame, w.num_frames) for w in windows]


def merge_segments(windows: Sequence[Window], labels: Sequence[str], scores: Sequence[float],
                   duration: float) -> List[Dict[str, object]]:
    """Segments ``(class, start, end, score)`` from per-window labels.

    Each window speaks for the time nearer its centre than any other window's centre (the first from 0, the last
    to ``duration``); runs of the same label are merged, their score the mean of their windows' scores.

    Args:
        windows (Sequence[Window]): The windows, in time order.
        labels (Sequence[str]): Label of each window.
        scores (Sequence[float]): Score of each window's label.
        duration (float): Video length in seconds.

    Returns:
        list[dict]: ``{'label', 'start', 'end', 'score'}`` in time order, covering ``[0, duration]``.
    """
    centres = [(w.start + w.end) / 2 for w in windows]
    bounds = [0.0] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [duration]
    segments: List[Dict[str, object]] = []
    run: List[float] = []
    for i, (label, score) in enumerate(zip(labels, scores)):
        if segments and segments[-1]['label'] == label:
            segments[-1]['end'] = bounds[i + 1]
            run.append(float(score))
        else:
            if segments:
                segments[-1]['score'] = sum(run) / len(run)
            segments.append(dict(label=label, start=bounds[i], end=bounds[i + 1], score=0.0))
            run = [float(score)]
    if segments:
        segments[-1]['score'] = sum(run) / len(run)
    for seg in segments:
        seg['start'], seg['end'], seg['score'] = round(seg['start'], 3), round(seg['end'], 3), round(
            seg['score'], 6)
    return segments


def temporal_iou(predicted: Sequence[Dict[str, object]], truth: Sequence[Dict[str, object]]) -> float:
    """Mean over the true segments of the IoU (in time) between the segment and the predicted time of its class.

    Args:
        predicted (Sequence[dict]): ``{'label', 'start', 'end'}`` segments.
        truth (Sequence[dict]): The true segments (one label may occur several times).

    Returns:
        float: In ``[0, 1]``.
    """
    ious = []
    for t in truth:
        same = [(p['start'], p['end']) for p in predicted if p['label'] == t['label']]
        inter = sum(max(0.0, min(e, t['end']) - max(s, t['start'])) for s, e in same)
        # the predicted time of the class outside this true segment counts in the union (clipped to its
        # neighbourhood: the other true segments of the same label are not held against it)
        others = [(o['start'], o['end']) for o in truth if o is not t and o['label'] == t['label']]
        outside = 0.0
        for s, e in same:
            part = max(0.0, e - s) - max(0.0, min(e, t['end']) - max(s, t['start']))
            part -= sum(max(0.0, min(e, oe) - max(s, os_)) for os_, oe in others)
            outside += max(0.0, part)
        union = (t['end'] - t['start']) + outside
        ious.append(inter / union if union > 0 else 0.0)
    return sum(ious) / len(ious) if ious else 0.0


def _srt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f'{h:02d}:{m:02d}:{s:02d},{ms:03d}'


def srt_text(segments: Sequence[Dict[str, object]], skip: Optional[str] = None) -> str:
    """SubRip subtitles of segments (``label (score)``); segments labelled ``skip`` are left out."""
    blocks = []
    for seg in segments:
        if skip is not None and seg['label'] == skip:
            continue
        blocks.append(f'{len(blocks) + 1}\n{_srt_time(seg["start"])} --> {_srt_time(seg["end"])}\n'
                      f'{seg["label"]} ({seg["score"]:.2f})\n')
    return '\n'.join(blocks)
