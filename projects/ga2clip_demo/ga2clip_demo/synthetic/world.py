"""The synthetic video world's specification: attributes, class roles, captions, habitats and nuisance draws.

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

What an object looks like in pixels is :mod:`.render`'s job.
"""
from dataclasses import dataclass, replace
from itertools import product
from typing import Dict, List, Optional, Tuple

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
ROLE_DIAGONALS: Dict[str, Tuple[int, ...]] = {
    'base': (0, 3), 'novel': (1, 4), 'stage1': (2, ), 'anchor': (5, )}
#: Generic attribute names (colours and shapes alone), used as anchor prompts.
GENERIC_ATTRIBUTES: Tuple[str, ...] = tuple(f'{c} object' for c in COLOURS) + SHAPES

_COLOUR_NAMES = tuple(COLOURS)


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
