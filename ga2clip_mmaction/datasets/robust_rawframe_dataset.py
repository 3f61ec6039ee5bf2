"""``RobustVideoDataset`` that reads extracted JPEG frames in place of the videos of a video list."""
import os.path as osp
from typing import Dict, List, Optional

from mmengine.fileio import list_from_file
from mmaction.registry import DATASETS

from .robust_video_dataset import RobustVideoDataset

#: Rawframe annotation of every extracted video (``frame_dir total_frames label``), in the frames root.
INDEX_NAME = 'rawframes.txt'
#: MMAction2's rawframe file name template (1-based frame numbers with ``start_index=1``).
FILENAME_TMPL = 'img_{:05d}.jpg'


def default_frames_root(video_root: str) -> str:
    """Frames root of a video root: MMAction2's sibling ``rawframes`` for ``.../videos``, else ``<root>_rawframes``.

    Args:
        video_root (str): The video root (``data_prefix['video']``).

    Returns:
        str: ``data/hmdb51/rawframes`` for ``data/hmdb51/videos``; ``data/k600_anchors_rawframes`` for
        ``data/k600_anchors``.
    """
    root = video_root.rstrip('/')
    if osp.basename(root) == 'videos':
        return osp.join(osp.dirname(root), 'rawframes')
    return root + '_rawframes'


@DATASETS.register_module()
class RobustRawframeDataset(RobustVideoDataset):
    """The protocols' video lists, read from frames written by ``tools/data/extract_frames.py``.

    The annotation file and ``data_prefix`` are the video dataset's (``path label``; ``data_prefix=dict(video=R)``),
    so a config switches between videos and frames with its pipeline and dataset type only (the
    ``rawframes_*`` pipelines of ``configs/_base_/datasets/ga2clip_pipelines.py``). The frames of ``R/<path>.<ext>``
    are ``frames_root/<path>/img_{:05d}.jpg`` and their count is looked up in ``frames_root/rawframes.txt``
    (the extractor's rawframe annotation). A sample carries MMAction2's rawframe keys (``frame_dir``,
    ``total_frames``, ``filename_tmpl``, ``start_index=1``, ``modality``) for ``RawFrameDecode``; its ``filename``
    is its first frame, so a video that was not extracted is a bad video ('file not found') with
    ``RobustVideoDataset``'s policy, and frame ``k`` of the video is read from ``img_{k+1:05d}.jpg``.

    Args:
        frames_root (str, optional): Root of the frame folders; ``None`` derives it from the video root
            (:func:`default_frames_root`). Defaults to None.
        filename_tmpl (str): Frame file name template. Defaults to ``'img_{:05d}.jpg'``.
        start_index (int): Number of the first frame file. Defaults to 1.
        **kwargs: ``RobustVideoDataset`` arguments.
    """

    def __init__(self, *args, frames_root: Optional[str] = None, filename_tmpl: str = FILENAME_TMPL,
                 start_index: int = 1, **kwargs) -> None:
        self.frames_root = frames_root
        self.filename_tmpl = filename_tmpl
        super().__init__(*args, start_index=start_index, **kwargs)

    def _frame_counts(self, frames_root: str) -> Dict[str, int]:
        """``frame_dir -> total_frames`` from ``frames_root/rawframes.txt`` (empty when it is absent)."""
        index = osp.join(frames_root, INDEX_NAME)
        if not osp.isfile(index):
            return {}
        counts = {}
        for line in list_from_file(index):
            parts = line.split()
            if len(parts) >= 2:
                counts[parts[0]] = int(parts[1])
        return counts

    def load_data_list(self) -> List[dict]:
        """The video list, each entry pointed at its frame folder.

        Returns:
            list[dict]: ``VideoDataset``'s entries plus ``frame_dir`` and ``total_frames`` (0 when not extracted);
            ``filename`` is the first frame.
        """
        data_list = super().load_data_list()
        video_root = self.data_prefix.get('video') or ''
        frames_root = self.frames_root or default_frames_root(video_root)
        counts = self._frame_counts(frames_root)
        for info in data_list:
            rel = osp.splitext(osp.relpath(info['filename'], video_root) if video_root else info['filename'])[0]
            info['frame_dir'] = osp.join(frames_root, rel)
            info['total_frames'] = counts.get(rel, 0)
            info['filename'] = osp.join(info['frame_dir'], self.filename_tmpl.format(self.start_index))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """``RobustVideoDataset``'s sample plus the frame file name template."""
        info = super().get_data_info(idx)
        info['filename_tmpl'] = self.filename_tmpl
        return info
