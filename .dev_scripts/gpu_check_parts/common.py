"""What the GPU check's parts share: the repository paths, the dry run's tiny-model overrides, JSON files.

JSON files are written atomically, so a part killed at its budget mid-write leaves the last complete file.
"""
import json
import os
import os.path as osp
from typing import List, Optional

#: The repository root (the parts run with it as their working directory).
ROOT: str = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: What the parts import from the checkout (the method package and the projects' packages), no install needed.
PYTHONPATH: tuple = (ROOT, osp.join(ROOT, 'projects', 'ga2clip_demo'), osp.join(ROOT, 'projects', 'ga2clip_parity'))
#: Tiny-model overrides of the released config for the dry run.
TINY: List[str] = ['model.backbone.vision_ctx=2', 'model.backbone.vision_depth=2', 'model.cls_head.language_ctx=2',
                   'model.cls_head.language_depth=2']
#: The released config whose model and train pipeline parts b, c and d measure.
BENCH_CONFIG: str = osp.join(ROOT, 'configs', 'ga2clip_b2n_k400.py')


def write_json(path: Optional[str], obj: object) -> None:
    """Replace ``path`` by ``obj`` as JSON, atomically (a temporary file renamed over it).

    Args:
        path (str, optional): The file; None writes nothing.
        obj (object): What to write (values JSON cannot hold are written as ``str``).
    """
    if path:
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1, default=str)
        os.replace(tmp, path)


def read_json(path: str) -> Optional[dict]:
    """Read a JSON file.

    Args:
        path (str): The file.

    Returns:
        dict | None: Its object, or None when the file is missing or not valid JSON.
    """
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
