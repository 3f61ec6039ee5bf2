"""Pixels of the synthetic world: an object drawn over its background, as a still image or a moving clip.

The renderer draws with OpenCV into ``uint8`` RGB arrays and is fully determined by the random generator it is
given (the generated worlds are fingerprinted, :mod:`.hashes`: any change to the draws changes every world).
"""
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np

from .world import BACKGROUNDS, COLOURS, NEUTRAL, Attributes

#: Grey range of a :data:`~.world.NEUTRAL` object on each background (one that contrasts with it).
_NEUTRAL_GREYS: Dict[str, Tuple[float, float]] = {'black': (110, 240), 'gray': (200, 250),
                                                  'white': (20, 110)}
#: Direction ``(dx, dy)`` of each motion.
_MOTION_STEP: Dict[str, Tuple[int, int]] = {'left': (-1, 0), 'right': (1, 0), 'up': (0, -1), 'down': (0, 1),
                                            'still': (0, 0)}


def _polygon(shape: str, cx: float, cy: float, r: float) -> np.ndarray:
    """Vertices of a polygonal shape centred at ``(cx, cy)`` with radius ``r``."""
    if shape == 'square':
        a = r * 0.82
        pts = [(-a, -a), (a, -a), (a, a), (-a, a)]
    elif shape == 'diamond':
        pts = [(0, -r), (r, 0), (0, r), (-r, 0)]
    elif shape == 'triangle':
        pts = [(r * np.cos(t), r * np.sin(t)) for t in np.deg2rad([-90, 30, 150])]
        pts = [(x, y + 0.15 * r) for x, y in pts]
    elif shape == 'star':
        ang = np.deg2rad(np.arange(10) * 36 - 90)
        rad = np.where(np.arange(10) % 2 == 0, r, 0.42 * r)
        pts = list(zip(rad * np.cos(ang), rad * np.sin(ang)))
    elif shape == 'cross':
        a, b = r, r * 0.34
        pts = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b), (b, a), (-b, a),
               (-b, b), (-a, b), (-a, -b), (-b, -b)]
    else:
        raise KeyError(f'Unknown shape {shape!r}')
    return np.array([(cx + x, cy + y) for x, y in pts], dtype=np.float64)


def object_radius(size: str, image_size: int) -> float:
    """Radius in pixels of a ``'small'`` or ``'large'`` object."""
    return image_size * (0.17 if size == 'small' else 0.29)


def render_frame(attrs: Attributes, center: Tuple[float, float], image_size: int,
                 rng: np.random.Generator, tint: Sequence[float] = (0., 0., 0.)) -> np.ndarray:
    """Draw one frame.

    Args:
        attrs (Attributes): The object to draw.
        center (tuple[float, float]): Object centre ``(x, y)`` in pixels.
        image_size (int): Frame side in pixels.
        rng (np.random.Generator): Source of the pixel noise.
        tint (Sequence[float]): Per-channel colour offset of the object (a clip keeps one).
            Defaults to no offset.

    Returns:
        np.ndarray: ``uint8`` RGB frame ``[image_size, image_size, 3]``.
    """
    s = image_size
    frame = np.full((s, s, 3), BACKGROUNDS[attrs.background], dtype=np.float32)
    frame += rng.normal(0., 6., size=(s, s, 1)).astype(np.float32)
    mask = np.zeros((s, s), dtype=np.uint8)
    r = object_radius(attrs.size, s)
    cx, cy = center
    shift = 4
    if attrs.shape == 'circle':
        cv2.circle(mask, (int(round(cx * 16)), int(round(cy * 16))), int(round(r * 16)),
                   255, -1, cv2.LINE_AA, shift)
    else:
        pts = np.round(_polygon(attrs.shape, cx, cy, r) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, shift)
    alpha = mask.astype(np.float32)[..., None] / 255.
    if attrs.colour == NEUTRAL:
        colour = np.full(3, rng.uniform(*_NEUTRAL_GREYS[attrs.background]), dtype=np.float32)
    else:
        colour = np.array(COLOURS[attrs.colour], dtype=np.float32)
    colour = np.clip(colour + np.asarray(tint), 0, 255)
    obj = np.broadcast_to(colour, (s, s, 3)).copy()
    if attrs.texture == 'striped':
        period = max(4, s // 10)
        stripes = ((np.arange(s)[:, None] + np.arange(s)[None, :]) // (period // 2)) % 2 == 1
        obj[stripes] *= 0.35
    frame = frame * (1. - alpha) + obj * alpha
    return np.clip(frame, 0, 255).astype(np.uint8)


def render_image(attrs: Attributes, image_size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw a single still image of an object at a random position.

    Args:
        attrs (Attributes): The object.
        image_size (int): Image side in pixels.
        rng (np.random.Generator): Random generator.

    Returns:
        np.ndarray: ``uint8`` RGB image ``[image_size, image_size, 3]``.
    """
    r = object_radius(attrs.size, image_size)
    lo, hi = r + 1, image_size - r - 1
    center = (rng.uniform(lo, hi), rng.uniform(lo, hi))
    tint = rng.normal(0., 12., size=3)
    return render_frame(attrs, center, image_size, rng, tint)


def render_video(attrs: Attributes, num_frames: int, image_size: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Draw a clip of an object moving in a straight line (or standing still).

    Args:
        attrs (Attributes): The object (its ``motion`` sets the direction).
        num_frames (int): Number of frames.
        image_size (int): Frame side in pixels.
        rng (np.random.Generator): Random generator.

    Returns:
        np.ndarray: ``uint8`` RGB frames ``[num_frames, image_size, image_size, 3]``.
    """
    r = object_radius(attrs.size, image_size)
    lo, hi = r + 1, image_size - r - 1
    dx, dy = _MOTION_STEP[attrs.motion]
    travel = (hi - lo) * rng.uniform(0.5, 1.0)
    start = []
    for d in (dx, dy):
        if d > 0:
            start.append(rng.uniform(lo, hi - travel))
        elif d < 0:
            start.append(rng.uniform(lo + travel, hi))
        else:
            start.append(rng.uniform(lo, hi))
    tint = rng.normal(0., 12., size=3)
    frames = []
    for t in range(num_frames):
        f = t / max(1, num_frames - 1)
        center = (start[0] + dx * travel * f, start[1] + dy * travel * f)
        frames.append(render_frame(attrs, center, image_size, rng, tint))
    return np.stack(frames)
