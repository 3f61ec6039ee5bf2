"""Readers for the class-name files used by heads, losses, data tools and inference."""
import csv
import os.path as osp
from typing import List, Sequence, Tuple, Union


def read_class_names(path: str) -> List[str]:
    """Read class names from a label file (see :func:`read_class_names_with_lines`).

    Args:
        path (str): File path.

    Returns:
        list[str]: Names in index order.
    """
    return [name for name, _ in read_class_names_with_lines(path)]


def read_class_names_with_lines(path: str) -> List[Tuple[str, int]]:
    """Read class names from a label file, each with its 1-based line number.

    Two formats are accepted, whatever the line endings (CRLF, no final newline):

    * the canonical csv ``id,name`` with a header row, names possibly double-quoted and
      containing commas; rows must be in index order ``0, 1, ...``;
    * a plain text file with one name per line (trailing blank lines ignored).

    A name is the class index's text, so a blank line between names (it would look like a missing class),
    an empty name and a name given twice are errors.

    Args:
        path (str): File path.

    Returns:
        list[tuple[str, int]]: ``(name, line)`` in index order.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A malformed, out-of-order, empty or repeated entry, a blank line between names, or a file
            that is not UTF-8 text (the message names file and line).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Class-name file not found: {path}')
    try:
        with open(path, newline='', encoding='utf-8') as f:
            text = f.read()
    except UnicodeDecodeError as err:
        line = text_line_of_offset(path, err.start)
        raise ValueError(f'{path}:{line}: not UTF-8 text ({err.reason})') from None
    if '\x00' in text:
        raise ValueError(f'{path}:{text[:text.index(chr(0))].count(chr(10)) + 1}: NUL byte in a class-name file')
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    named: List[tuple] = []  # (name, line number)
    if lines and lines[0].replace(' ', '').lower() == 'id,name':
        reader = csv.reader(lines[1:], strict=True)
        rows = []
        try:
            for row in reader:
                rows.append(row)
        except csv.Error as err:
            raise ValueError(f'{path}:{reader.line_num + 1}: malformed csv row ({err})') from None
        for lineno, row in enumerate(rows, start=2):
            if not row:
                raise ValueError(f'{path}:{lineno}: blank line between class names (expected `id,name`)')
            if len(row) != 2 or not row[0].strip().isdigit():
                raise ValueError(f'{path}:{lineno}: expected `id,name`, got {row!r}')
            if int(row[0]) != len(named):
                raise ValueError(f'{path}:{lineno}: expected id {len(named)}, got {row[0]}')
            named.append((row[1].strip(), lineno))
    else:
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                raise ValueError(f'{path}:{lineno}: blank line between class names (one name per line; '
                                 'the line number is the class index + 1)')
            named.append((line.strip(), lineno))
    seen = {}
    for name, lineno in named:
        if not name:
            raise ValueError(f'{path}:{lineno}: empty class name')
        if name in seen:
            raise ValueError(f'{path}:{lineno}: class name {name!r} repeats line {seen[name]}')
        seen[name] = lineno
    return named


def text_line_of_offset(path: str, offset: int) -> int:
    """1-based line number of byte ``offset`` in ``path`` (for error messages)."""
    with open(path, 'rb') as f:
        return f.read(offset).count(b'\n') + 1


def resolve_class_names(classnames: Union[str, Sequence[str]], key: str = 'classnames') -> List[str]:
    """Accept a list of names or a path to a label file (see :func:`read_class_names`).

    Args:
        classnames (str | Sequence[str]): Names, or a file path.
        key (str): Config key for error messages. Defaults to ``'classnames'``.

    Returns:
        list[str]: The class names.

    Raises:
        TypeError: ``classnames`` is None or not a name list.
        ValueError: The list is empty.
    """
    if classnames is None:
        raise TypeError(f'{key} is None: expected a class-name file (`id,name` csv or one name per line) or a '
                        'list of names')
    if isinstance(classnames, str):
        names = read_class_names(classnames)
    elif isinstance(classnames, Sequence) and all(isinstance(n, str) for n in classnames):
        names = list(classnames)
    else:
        raise TypeError(f'{key}: expected a class-name file or a list of names, got {type(classnames).__name__}')
    if not names:
        raise ValueError(f'No class names in {classnames!r}')
    return names
