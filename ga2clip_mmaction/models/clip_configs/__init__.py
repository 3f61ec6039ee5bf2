"""open_clip model configs shipped with the package (JSON, registered by file name).

``GA2-Tiny-Random``: a 64-wide, 2-layer CLIP on 32 px images for tests (random weights).
"""
import os.path as osp

CONFIG_DIR = osp.dirname(osp.abspath(__file__))


def register() -> None:
    """Register every ``*.json`` of this folder with open_clip (idempotent)."""
    import open_clip
    from open_clip.factory import _MODEL_CONFIG_PATHS
    if not any(osp.abspath(str(p)) == CONFIG_DIR for p in _MODEL_CONFIG_PATHS):
        open_clip.add_model_config(CONFIG_DIR)
