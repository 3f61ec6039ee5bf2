"""The synthetic video world: attributes, class splits, captions and a frame renderer.

A video shows one object moving over a background. Its *class* is the composition
``"<colour> <shape>"``; size, texture, background and motion vary freely inside a class.
The 36 colour x shape pairs are cut into disjoint roles along the "diagonals" of the
colour/shape table (pair ``(c, s)`` lies on diagonal ``(s - c) mod 6``), so that every
colour and every shape occurs inside each role (a novel-only test cannot be decided
by colour or by shape alone):

* ``base`` (diagonals 0 and 3, 12 classes): prompt tuning and ``base_val``;
* ``novel`` (diagonals 1 and 4, 12 classes): ``novel_val`` only, and held out of the
  tiny CLIP's pretraining entirely (captions and images), so they are unseen compositions;
* ``stage1`` (diagonal 2, 6 classes): the disjoint class set the hard prompt is learned on;
* ``anchor`` (diagonal 5, 6 classes): the anchor videos ("unrelated classes").

The renderer draws with OpenCV into ``uint8`` RGB arrays and is fully determined by the
random generator it is given.
"""
from dataclasses import dataclass, replace
from itertools import product
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (225, 35, 35),
    'yellow': (235, 215, 35),
    'green': (35, 175, 55),
    'cyan': (40, 210, 220),
    'blue': (40, 70, 235),
    'purple': (165, 50, 210),
}
SHAPES: Tuple[str, ...] = ('circle', 'square', 'triangle', 'star', 'cross', 'diamond')
SIZES: Tuple[str, ...] = ('small', 'large')
TEXTURES: Tuple[str, ...] = ('plain', 'striped')
BACKGROUNDS: Dict[str, int] = {'black': 20, 'gray': 120, 'white': 225}
MOTIONS: Tuple[str, ...] = ('left', 'right', 'up', 'down', 'still')
#: Pseudo-colour of pretraining-only objects drawn in a grey that contrasts with the background;
#: their captions name no colour, which teaches shape words independently of colour.
NEUTRAL = 'neutral'
_NEUTRAL_GREYS: Dict[str, Tuple[float, float]] = {'black': (110, 240), 'gray': (200, 250),
                                                  'white': (20, 110)}
ROLE_DIAGONALS: Dict[str, Tuple[int, ...]] = {
    'base': (0, 3), 'novel': (1, 4), 'stage1': (2, ), 'anchor': (5, )}
#: Generic attribute names (colours and shapes alone), used as anchor prompts.
GENERIC_ATTRIBUTES: Tuple[str, ...] = tuple(f'{c} object' for c in COLOURS) + SHAPES

_COLOUR_NAMES = tuple(COLOURS)
_MOTION_STEP = {'left': (-1, 0), 'right': (1, 0), 'up': (0, -1), 'down': (0, 1), 'still': (0, 0)}


@dataclass(frozen=True)
class Attributes:
    """The attributes of one synthetic object.

    Args:
        colour (str): One of :data:`COLOURS`, or :data:`NEUTRAL` (pretraining only).
        shape (str): One of :data:`SHAPES`.
        size (str): One of :data:`SIZES`. Defaults to ``'large'``.
        texture (str): One of :data:`TEXTURES`. Defaults to ``'plain'``.
        background (str): One of :data:`BACKGROUNDS`. Defaults to ``'black'``.
        motion (str): One of :data:`MOTIONS` (videos only). Defaults to ``'still'``.
    """

    colour: str
    shape: str
    size: str = 'large'
    texture: str = 'plain'
    background: str = 'black'
    motion: str = 'still'

    @property
    def class_name(self) -> str:
        """str: The class of the object, ``"<colour> <shape>"``."""
        return f'{self.colour} {self.shape}'

    def caption(self) -> str:
        """Describe the object in one sentence (every attribute named).

        Returns:
            str: E.g. ``"a small striped red star moving left on a black background"``.
        """
        texture = '' if self.texture == 'plain' else f'{self.texture} '
        motion = ' standing still' if self.motion == 'still' else f' moving {self.motion}'
        return (f'a {self.size} {texture}{self.colour} {self.shape}{motion} '
                f'on a {self.background} background')


def parse_caption(caption: str) -> Attributes:
    """Read the attributes back from a clip caption (:meth:`Attributes.caption`).

    Args:
        caption (str): E.g. ``"a small striped red star moving left on a black background"``.

    Returns:
        Attributes: The object the caption describes.

    Raises:
        ValueError: The caption is not in the form :meth:`Attributes.caption` writes.
    """
    words = caption.split()
    try:
        striped = words[2] == 'striped'
        colour, shape = words[3:5] if striped else words[2:4]
        rest = words[5:] if striped else words[4:]
        motion = 'still' if rest[:2] == ['standing', 'still'] else rest[1]
        attrs = Attributes(colour=colour, shape=shape, size=words[1],
                           texture='striped' if striped else 'plain', background=words[-2], motion=motion)
    except (IndexError, ValueError):
        raise ValueError(f'Not a clip caption: {caption!r}') from None
    if attrs.caption() != caption:
        raise ValueError(f'Not a clip caption: {caption!r}')
    return attrs


def pair_diagonal(colour: str, shape: str) -> int:
    """Diagonal of a colour/shape pair in the 6 x 6 table.

    Args:
        colour (str): Colour name.
        shape (str): Shape name.

    Returns:
        int: ``(shape index - colour index) mod 6``.
    """
    return (SHAPES.index(shape) - _COLOUR_NAMES.index(colour)) % len(SHAPES)


def role_pairs(role: str) -> List[Tuple[str, str]]:
    """Colour/shape pairs (classes) of one role, in a fixed order.

    Args:
        role (str): ``'base'``, ``'novel'``, ``'stage1'`` or ``'anchor'``.

    Returns:
        list[tuple[str, str]]: ``(colour, shape)`` pairs ordered by diagonal, then colour.

    Raises:
        KeyError: Unknown role.
    """
    if role not in ROLE_DIAGONALS:
        raise KeyError(f'Unknown role {role!r}; expected one of {sorted(ROLE_DIAGONALS)}')
    pairs = []
    for diag in ROLE_DIAGONALS[role]:
        for ci, colour in enumerate(_COLOUR_NAMES):
            pairs.append((colour, SHAPES[(ci + diag) % len(SHAPES)]))
    return pairs


def pretrain_pairs() -> List[Tuple[str, str]]:
    """Pairs seen in pretraining: every pair except the novel ones.

    Returns:
        list[tuple[str, str]]: 24 ``(colour, shape)`` pairs.
    """
    novel = set(role_pairs('novel'))
    return [p for p in product(_COLOUR_NAMES, SHAPES) if p not in novel]


#: Caption fields, in the column order of the caption-set file.
CAPTION_FIELDS: Tuple[str, ...] = ('colour', 'shape', 'size', 'texture', 'background')
_PREFIXES: Tuple[str, ...] = ('', 'a photo of ', 'a video of ')


def pretrain_captions() -> List[Tuple[str, Dict[str, Optional[str]]]]:
    """The pretraining caption set: every caption with the attributes it asserts.

    A caption names a colour or a shape or both (never a held-out novel pair), optionally
    a size, a texture and a background; ``None`` in the constraint means "not named".
    Plain class names (``"red circle"``) and the anchor phrases of
    :data:`GENERIC_ATTRIBUTES` are included.

    Returns:
        list[tuple[str, dict]]: ``(caption, {field: value or None})`` in a fixed order.
    """
    seen = set(pretrain_pairs())
    out = []
    for colour, shape in product((None, ) + _COLOUR_NAMES, (None, ) + SHAPES):
        if colour is None and shape is None:
            continue
        if colour is not None and shape is not None and (colour, shape) not in seen:
            continue
        noun = shape if shape is not None else 'object'
        core = noun if colour is None else f'{colour} {noun}'
        base = dict(colour=colour, shape=shape, size=None, texture=None, background=None)
        out.append((core, dict(base)))
        for size, texture, bg in product((None, ) + SIZES, (None, ) + TEXTURES,
                                         (None, ) + tuple(BACKGROUNDS)):
            phrase = ' '.join([w for w in (size, texture) if w] + [core])
            if bg is not None:
                phrase = f'{phrase} on a {bg} background'
            cons = dict(base, size=size, texture=texture, background=bg)
            for prefix in _PREFIXES:
                out.append((f'{prefix}a {phrase}', cons))
    return out


def caption_matches(constraint: Dict[str, Optional[str]], attrs: Attributes) -> bool:
    """Whether a caption constraint is true of an object.

    Args:
        constraint (dict): ``{field: value or None}`` as in :func:`pretrain_captions`.
        attrs (Attributes): The object.

    Returns:
        bool: True when every named field agrees.
    """
    return all(v is None or getattr(attrs, k) == v for k, v in constraint.items())


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


#: The attributes that make up a class's *habitat* (its typical scene), in this order.
HABITAT_FIELDS: Tuple[str, ...] = ('background', 'texture', 'size')
#: Every habitat: 3 backgrounds x 2 textures x 2 sizes = 12 combinations.
HABITATS: Tuple[Tuple[str, str, str], ...] = tuple(product(BACKGROUNDS, TEXTURES, SIZES))


def class_habitats(role: str, seed: int = 0) -> List[Tuple[str, str, str]]:
    """The habitat of every class of a role (classes in :func:`role_pairs` order).

    In real video data the scene correlates with the action (swimming happens in pools, skiing on
    snow), and classes of different datasets or splits share scenes. Here each class has one
    habitat ``(background, texture, size)``; inside a role the habitats are distinct (a seeded
    permutation of :data:`HABITATS` per role), so classes of different roles share habitats.

    Args:
        role (str): ``'base'``, ``'novel'``, ``'stage1'`` or ``'anchor'``.
        seed (int): World seed. Defaults to 0.

    Returns:
        list[tuple[str, str, str]]: One habitat per class.
    """
    pairs = role_pairs(role)
    order = np.random.default_rng([seed, 500, tuple(ROLE_DIAGONALS).index(role)]).permutation(len(HABITATS))
    return [HABITATS[i] for i in order[:len(pairs)]]


def sample_nuisance(rng: np.random.Generator, colour: str, shape: str,
                    motion: bool = True, habitat: Optional[Tuple[str, str, str]] = None,
                    habitat_prob: float = 0.0) -> Attributes:
    """Draw the free attributes of an object of a given class.

    Args:
        rng (np.random.Generator): Random generator.
        colour (str): Colour name.
        shape (str): Shape name.
        motion (bool): Draw a motion too (videos). Defaults to True.
        habitat (tuple[str, str, str], optional): The class's habitat (``HABITAT_FIELDS``
            values). Defaults to None (every attribute drawn uniformly).
        habitat_prob (float): Probability that the clip shows the habitat instead of uniformly
            drawn ``HABITAT_FIELDS``. Defaults to 0.0 (no extra random draw: the same stream
            as without a habitat).

    Returns:
        Attributes: The object.
    """
    attrs = Attributes(
        colour=colour, shape=shape,
        size=SIZES[rng.integers(len(SIZES))],
        texture=TEXTURES[rng.integers(len(TEXTURES))],
        background=tuple(BACKGROUNDS)[rng.integers(len(BACKGROUNDS))],
        motion=MOTIONS[rng.integers(len(MOTIONS))] if motion else 'still')
    if habitat is not None and habitat_prob > 0 and rng.random() < habitat_prob:
        attrs = replace(attrs, **dict(zip(HABITAT_FIELDS, habitat)))
    return attrs


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
