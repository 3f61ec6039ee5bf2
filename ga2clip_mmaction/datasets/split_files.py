"""Readers for video list files (canonical split lists and MMAction2 annotation files) and video ids.

Three list formats occur in the published splits and in our annotation files; :func:`read_video_list`
reads all of them, whatever the line endings (CRLF, no final newline):

* ``relative/path label`` (ViFi-CLIP splits, MMAction2 ``VideoDataset`` annotation files);
* ``<youtube_id>.mp4, label`` (the GA2-CLIP K400 variant: a comma after the path);
* ``relative/path`` alone (unlabelled lists).

Video ids (:func:`video_id`, :func:`source_video_id`) identify the same footage across these formats; see
:func:`video_id` for the rules.
"""
import os.path as osp
import re
from typing import Iterable, List, NamedTuple, Optional, Sequence, Set

#: Kinetics clip names: ``<youtube_id>_<start:06d>_<end:06d>`` (start/end in seconds).
_KINETICS_CLIP = re.compile(r'^(?P<yt>.+)_(?P<start>\d{6})_(?P<end>\d{6})$')
#: How :class:`ClipIndex` matches clips.
MATCH_MODES = ('clip', 'video')


class VideoEntry(NamedTuple):
    """One line of a video list.

    Attributes:
        path (str): The video path as listed (relative to a data root).
        label (int): The class index, ``-1`` for unlabelled lines.
        lineno (int): 1-based line number in the file (for error messages).
    """
    path: str
    label: int
    lineno: int


def parse_video_line(line: str, source: str = '<string>', lineno: int = 0) -> Optional[VideoEntry]:
    """Parse one list line (see the module docstring for the formats).

    Args:
        line (str): The line, with or without its line ending.
        source (str): File name for error messages. Defaults to ``'<string>'``.
        lineno (int): Line number for error messages. Defaults to 0.

    Returns:
        VideoEntry | None: The entry, or ``None`` for a blank line.

    Raises:
        ValueError: More than two fields, or a label that is not an integer (names file and line).
    """
    text = line.strip()
    if not text:
        return None
    if len(text.split()) == 1 and ',' not in text:
        return VideoEntry(text, -1, lineno)
    # The label is the last field, after whitespace and/or a comma.
    match = re.match(r'^(?P<path>.+?)\s*(?:,\s*|\s+)(?P<label>\S+)$', text)
    label = match.group('label') if match else ''
    if not match or not re.fullmatch(r'-?\d+', label):
        raise ValueError(f'{source}:{lineno}: expected `path label` with an integer label, '
                         f'got {line.rstrip()!r}')
    return VideoEntry(match.group('path'), int(label), lineno)


def read_video_list(path: str) -> List[VideoEntry]:
    """Read a video list file in any of the supported formats.

    Args:
        path (str): The list file.

    Returns:
        list[VideoEntry]: One entry per non-blank line, in file order.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A malformed line or a file that is not UTF-8 text (the message names file and line).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Video list not found: {path}')
    try:
        with open(path, newline='', encoding='utf-8') as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as err:
        with open(path, 'rb') as f:
            line = f.read(err.start).count(b'\n') + 1
        raise ValueError(f'{path}:{line}: not UTF-8 text ({err.reason})') from None
    entries = []
    for lineno, line in enumerate(lines, start=1):
        entry = parse_video_line(line, path, lineno)
        if entry is not None:
            entries.append(entry)
    return entries


def video_id(path: str) -> str:
    """The clip id of a listed video: its file name without directory and extension.

    This is what identifies a clip across the list formats: ``val/0wR5jVB-WPk_000417_000427.mp4`` (K400
    splits), ``vol_13/0wR5jVB-WPk_000417_000427.mp4`` (anchor list) and
    ``abseiling/0wR5jVB-WPk_000417_000427.mp4`` (MMAction2 class folders) all have the id
    ``0wR5jVB-WPk_000417_000427``; ``74225.webm`` (SSv2) has ``74225``; HMDB and UCF names are unique
    file names already. Directories are ignored because every layout puts the same file in a different
    folder.

    Args:
        path (str): The listed path.

    Returns:
        str: The clip id.
    """
    return osp.splitext(osp.basename(path.replace('\\', '/')))[0]


def source_video_id(path: str) -> str:
    """The id of the source video a clip was cut from.

    Kinetics clips are named ``<youtube_id>_<start>_<end>``; the GA2-CLIP K400 variant names the same clip
    ``<youtube_id>.mp4``. Both map to the YouTube id. Other names (HMDB, UCF, SSv2) are returned as
    :func:`video_id` gives them.

    Args:
        path (str): The listed path.

    Returns:
        str: The source video id.
    """
    vid = video_id(path)
    match = _KINETICS_CLIP.match(vid)
    return match.group('yt') if match else vid


def has_time_span(path: str) -> bool:
    """Whether the name carries a Kinetics ``_<start>_<end>`` time span."""
    return _KINETICS_CLIP.match(video_id(path)) is not None


class ClipIndex:
    """A set of listed videos that answers "does this clip show the same footage?".

    Match modes:

    * ``'clip'``: equal clip ids (:func:`video_id`); a Kinetics name without time span
      (``<youtube_id>.mp4``) matches every clip of that YouTube video, since it cannot say which segment;
    * ``'video'``: equal source ids (:func:`source_video_id`): any two clips of one YouTube video match.

    Args:
        paths (Iterable[str]): The listed video paths.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.clip_ids: Set[str] = set()
        self.source_ids: Set[str] = set()
        self.source_ids_without_span: Set[str] = set()
        for path in paths:
            self.clip_ids.add(video_id(path))
            self.source_ids.add(source_video_id(path))
            if not has_time_span(path):
                self.source_ids_without_span.add(source_video_id(path))

    @classmethod
    def from_files(cls, list_files: Sequence[str]) -> 'ClipIndex':
        """Index the videos of list files (any format of :func:`read_video_list`).

        Args:
            list_files (Sequence[str]): The list files.

        Returns:
            ClipIndex: The index.
        """
        return cls(entry.path for f in list_files for entry in read_video_list(f))

    def contains(self, path: str, match: str = 'clip') -> bool:
        """Whether the clip at ``path`` matches a clip of the index.

        Args:
            path (str): A listed video path.
            match (str): ``'clip'`` or ``'video'`` (see the class docstring). Defaults to ``'clip'``.

        Returns:
            bool: Whether it matches.
        """
        if match not in MATCH_MODES:
            raise ValueError(f'match must be one of {MATCH_MODES}, got {match!r}')
        if match == 'video':
            return source_video_id(path) in self.source_ids
        vid = video_id(path)
        if has_time_span(path):
            return vid in self.clip_ids or source_video_id(path) in self.source_ids_without_span
        return vid in self.clip_ids or vid in self.source_ids
