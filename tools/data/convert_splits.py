"""Convert the canonical split and label files into MMAction2 annotation files and class-name files.

Reads the published files exactly as they are (CRLF line endings, missing final newlines, quoted names,
the ``<youtube_id>.mp4, <label>`` K400 variant) and writes, under ``--out`` (default ``data``):

* ``labels/<name>.txt``: every ``labels/*.csv`` as one class name per line, plus
  ``labels/<dataset>_b2n_all_labels.txt`` (base names then novel names) for each base-to-novel dataset;
* ``splits/...`` and ``anchors/...``: every list as an MMAction2 ``VideoDataset`` annotation file
  (``path label``), same relative path as in the source tree, plus
  ``splits/base2novel_splits/<dataset>_splits/base_novel_val.txt``: base_val + novel_val in the all-class
  index space (novel labels shifted by the number of base classes), the one-pass base-to-novel test set.

Video paths follow ``--layout``:

* ``mmaction`` (default): MMAction2's data preparation layout, relative to the config's ``data_prefix``:
  HMDB51 ``<class_name>/<file>`` (under ``data/hmdb51/videos``), UCF101 ``<ClassName>/<file>``
  (``data/ucf101/videos``), SSv2 ``<file>`` (``data/sthv2/videos``), Kinetics
  ``videos_{train,val}/<class_name>/<file>`` (``data/kinetics400``, ``data/kinetics600``), with spaces in
  class names replaced by ``_`` (MMAction2's ``rename_classnames.sh``); lists without class information
  (the anchor list, ``k400_splits_ga2_variant``) keep their paths;
* ``listed``: the paths exactly as listed.

Labels are checked against the matching class-name file (the file and line of a bad label are named).
With ``--check``, every video is looked up under its data root (``--video-root dataset=DIR`` overrides the
defaults above); missing videos are counted per list and written to ``<list>.missing.txt``, and
``--drop-missing`` leaves them out of the annotation files, so that a run never fails mid-training on a
missing file.

Example:
    python tools/data/convert_splits.py --src ../shared/data --out data --check
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from ga2clip_mmaction.datasets.split_files import VideoEntry, read_video_list
from ga2clip_mmaction.utils.io import read_class_names
from ga2clip_mmaction.data_prep.split_layout import (B2N_LABELS, DEFAULT_VIDEO_ROOTS, ListSpec, describe,
                                                    layout_path)


def check_labels(entries: Sequence[VideoEntry], num_classes: int, source: str) -> None:
    """Raise on a label outside ``[0, num_classes)`` (naming file and line)."""
    for e in entries:
        if not 0 <= e.label < num_classes:
            raise ValueError(f'{source}:{e.lineno}: label {e.label} out of range for {num_classes} classes')


def write_lines(path: str, lines: Sequence[str]) -> None:
    """Write lines with LF endings and a final newline (creating folders)."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(f'{line}\n' for line in lines))


def convert_list(src_root: str, spec: ListSpec, layout: str) -> List[Tuple[str, int]]:
    """Read one source list and return its ``(path, label)`` annotation rows.

    Args:
        src_root (str): Source root (``shared/data``).
        spec (ListSpec): The list.
        layout (str): ``'mmaction'`` or ``'listed'``.

    Returns:
        list[tuple[str, int]]: The rows in list order.
    """
    source = osp.join(src_root, spec.rel_path)
    entries = read_video_list(source)
    names = None
    if spec.label_file is not None:
        names = read_class_names(osp.join(src_root, 'labels', spec.label_file))
        check_labels(entries, len(names), source)
    return [(layout_path(e, spec, names, layout), e.label) for e in entries]


def find_missing(rows: Sequence[Tuple[str, int]], video_root: str) -> List[str]:
    """Paths of ``rows`` with no file under ``video_root``."""
    return [path for path, _ in rows if not osp.isfile(osp.join(video_root, path))]


def source_lists(src_root: str) -> List[str]:
    """Relative paths of every list file under ``splits/`` and ``anchors/``, sorted."""
    found = []
    for top in ('splits', 'anchors'):
        for dirpath, _, files in os.walk(osp.join(src_root, top)):
            for f in files:
                if f.endswith('.txt'):
                    found.append(osp.relpath(osp.join(dirpath, f), src_root).replace(os.sep, '/'))
    return sorted(found)


def convert_labels(src_root: str, out_root: str) -> Dict[str, str]:
    """Write every class-name file as plain text, plus the all-class lists of base-to-novel.

    Args:
        src_root (str): Source root.
        out_root (str): Output root.

    Returns:
        dict[str, str]: Output file -> number of names, as text (for the report).
    """
    written = {}
    label_dir = osp.join(src_root, 'labels')
    for f in sorted(os.listdir(label_dir)):
        if f.endswith('.csv'):
            names = read_class_names(osp.join(label_dir, f))
            out = osp.join(out_root, 'labels', f[:-4] + '.txt')
            write_lines(out, names)
            written[out] = str(len(names))
    for _, (dataset, base, novel) in B2N_LABELS.items():
        names = (read_class_names(osp.join(label_dir, base)) +
                 read_class_names(osp.join(label_dir, novel)))
        out = osp.join(out_root, 'labels', f'{dataset}_b2n_all_labels.txt')
        write_lines(out, names)
        written[out] = str(len(names))
    return written


def base_novel_rows(src_root: str, folder: str, layout: str) -> Optional[List[Tuple[str, int]]]:
    """base_val + novel_val of a base-to-novel folder, novel labels shifted by the base class count."""
    rel = f'splits/base2novel_splits/{folder}'
    base_val, novel_val = f'{rel}/base_val.txt', f'{rel}/novel_val.txt'
    if not (osp.isfile(osp.join(src_root, base_val)) and osp.isfile(osp.join(src_root, novel_val))):
        return None
    base_spec = describe(base_val)
    num_base = len(read_class_names(osp.join(src_root, 'labels', base_spec.label_file)))
    rows = convert_list(src_root, base_spec, layout)
    rows += [(p, label + num_base) for p, label in convert_list(src_root, describe(novel_val), layout)]
    return rows


def parse_roots(items: Sequence[str]) -> Dict[str, str]:
    """``dataset=DIR`` items -> dict, over the defaults."""
    roots = dict(DEFAULT_VIDEO_ROOTS)
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or key not in roots:
            raise ValueError(f'--video-root {item!r}: expected one of {sorted(roots)} = DIR')
        roots[key] = value
    return roots


def run(src_root: str, out_root: str, layout: str = 'mmaction', check: bool = False,
        video_roots: Optional[Dict[str, str]] = None, drop_missing: bool = False) -> Dict[str, dict]:
    """Convert the whole source tree.

    Args:
        src_root (str): Source root (the folder holding ``splits/``, ``labels/``, ``anchors/``).
        out_root (str): Output root.
        layout (str): ``'mmaction'`` or ``'listed'``. Defaults to ``'mmaction'``.
        check (bool): Look the videos up under their data roots. Defaults to False.
        video_roots (dict, optional): Dataset key -> data root. Defaults to :data:`DEFAULT_VIDEO_ROOTS`.
        drop_missing (bool): Leave missing videos out (with ``check``). Defaults to False.

    Returns:
        dict[str, dict]: Per written annotation file: ``videos`` and, with ``check``, ``missing`` counts.
    """
    if layout not in ('mmaction', 'listed'):
        raise ValueError(f'layout must be mmaction or listed, got {layout!r}')
    video_roots = video_roots or dict(DEFAULT_VIDEO_ROOTS)
    jobs = []
    for rel in source_lists(src_root):
        spec = describe(rel)
        jobs.append((rel, spec.dataset, convert_list(src_root, spec, layout)))
    b2n_dir = osp.join(src_root, 'splits', 'base2novel_splits')
    for folder in sorted(os.listdir(b2n_dir)):
        rows = base_novel_rows(src_root, folder, layout)
        if rows is not None:
            rel = f'splits/base2novel_splits/{folder}/base_novel_val.txt'
            jobs.append((rel, describe(f'splits/base2novel_splits/{folder}/base_val.txt').dataset, rows))
    report: Dict[str, dict] = {}
    for rel, dataset, rows in jobs:
        out = osp.join(out_root, rel)
        entry = dict(videos=len(rows))
        if check:
            missing = find_missing(rows, video_roots[dataset])
            entry['missing'] = len(missing)
            entry['video_root'] = video_roots[dataset]
            missing_file = out[:-4] + '.missing.txt'
            if missing:
                write_lines(missing_file, missing)
            elif osp.isfile(missing_file):
                os.remove(missing_file)
            if drop_missing and missing:
                gone = set(missing)
                rows = [r for r in rows if r[0] not in gone]
        write_lines(out, [f'{path} {label}' for path, label in rows])
        report[out] = entry
    convert_labels(src_root, out_root)
    return report


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--src', required=True,
                        help='canonical data folder (holding splits/, labels/, anchors/)')
    parser.add_argument('--out', default='data', help='output root')
    parser.add_argument('--layout', choices=['mmaction', 'listed'], default='mmaction')
    parser.add_argument('--check', action='store_true', help='report videos missing under the data roots')
    parser.add_argument('--video-root', action='append', default=[], metavar='DATASET=DIR',
                        help=f'data root of a dataset (defaults: {DEFAULT_VIDEO_ROOTS})')
    parser.add_argument('--drop-missing', action='store_true',
                        help='leave missing videos out of the annotation files (with --check)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion and print a report; returns the exit status."""
    args = parse_args(argv)
    report = run(args.src, args.out, args.layout, args.check, parse_roots(args.video_root),
                 args.drop_missing)
    total_missing = 0
    for out, entry in report.items():
        line = f'{out}: {entry["videos"]} videos'
        if args.check:
            total_missing += entry['missing']
            line += f', {entry["missing"]} missing under {entry["video_root"]}'
            if entry['missing']:
                line += f' (list: {out[:-4]}.missing.txt{"; dropped" if args.drop_missing else ""})'
        print(line)
    print(f'Wrote {len(report)} annotation files and the class-name files under {args.out}/labels')
    if args.check and total_missing:
        print(f'WARNING: {total_missing} listed videos are missing; training or testing on those lists '
              'would fail when it reaches them (use --drop-missing or fetch the videos).')
    return 0


if __name__ == '__main__':
    sys.exit(main())
