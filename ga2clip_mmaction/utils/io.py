"""Readers for the class-name files used by heads, losses, data tools and inference."""
import csv
import os.path as osp
from typing import List, Sequence, Union


def read_class_names(path: str) -> List[str]:
    """Read class names from a label file.

    Two formats are accepted, whatever the line endings (CRLF, no final newline):

    * the canonical csv ``id,name`` with a header row, names possibly double-quoted and
      containing commas; rows must be in index order ``0, 1, ...``;
    * a plain text file with one name per line (blank lines ignored).

    Args:
        path (str): File path.

    Returns:
        list[str]: Names in index order.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A csv row is malformed or out of order (the message names file and line).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Class-name file not found: {path}')
    with open(path, newline='', encoding='utf-8') as f:
        text = f.read()
    lines = text.splitlines()
    if lines and lines[0].replace(' ', '').lower() == 'id,name':
        names: List[str] = []
        for lineno, row in enumerate(csv.reader(lines[1:]), start=2):
            if not row:
                continue
            if len(row) != 2 or not row[0].strip().isdigit():
                raise ValueError(f'{path}:{lineno}: expected `id,name`, got {row!r}')
            if int(row[0]) != len(names):
                raise ValueError(f'{path}:{lineno}: expected id {len(names)}, got {row[0]}')
            names.append(row[1].strip())
        return names
    return [line.strip() for line in lines if line.strip()]


def resolve_class_names(classnames: Union[str, Sequence[str]]) -> List[str]:
    """Accept a list of names or a path to a label file (see :func:`read_class_names`).

    Args:
        classnames (str | Sequence[str]): Names, or a file path.

    Returns:
        list[str]: The class names.

    Raises:
        ValueError: The list is empty.
    """
    names = read_class_names(classnames) if isinstance(classnames, str) else list(classnames)
    if not names:
        raise ValueError(f'No class names in {classnames!r}')
    return names
