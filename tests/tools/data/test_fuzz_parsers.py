"""Fuzzed parsers (hypothesis): class-name files, video/annotation lists, tools/data/convert_splits.py and
tools/data/build_anchor_set.py. Any input parses, or fails with a ValueError naming the file and the line."""
import os
import os.path as osp
import re
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ga2clip_mmaction.datasets.split_files import read_video_list
from ga2clip_mmaction.utils.io import read_class_names

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: Characters that matter to the parsers, plus anything else.
TRICKY = st.sampled_from(list('0123456789 ,\t"\r\n-_./abcXYZ') + ['\x00', '\u2028', '\x0b', 'é', '٣', '\ufeff'])
TEXT = st.lists(st.one_of(TRICKY, st.characters()), max_size=80).map(''.join)
#: Text that looks like a file of the format: a plausible header or lines, then noise.
CSV_LIKE = st.tuples(st.sampled_from(['id,name\n', 'id, name\r\n', '', 'name\n']), TEXT).map(''.join)
LIST_LIKE = st.lists(st.tuples(st.sampled_from(['a.mp4', 'x/y_000001_000011.mp4', '', 'v.mp4,']),
                               st.sampled_from([' 0', ' 1', ', 2', ' -1', '', ' 1 2', ' x']), TEXT),
                     max_size=6).map(lambda rows: '\n'.join(''.join(r) for r in rows))


def _write(data, suffix='.txt') -> str:
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, 'wb') as f:
        f.write(data.encode('utf-8', 'surrogatepass') if isinstance(data, str) else data)
    return path


def parses_or_names_line(fn, path):
    """``fn()`` returns, or raises a ValueError whose message starts with ``<path>:<line>:``."""
    try:
        return fn()
    except ValueError as err:
        assert re.match(re.escape(path) + r':\d+: ', str(err)), str(err)
        return None
    finally:
        os.remove(path)


@FUZZ
@given(st.one_of(CSV_LIKE, TEXT, st.binary(max_size=60)))
def test_class_name_files(content):
    path = _write(content)
    names = parses_or_names_line(lambda: read_class_names(path), path)
    if names is not None:
        assert all(n and n == n.strip() for n in names) and len(set(names)) == len(names)


@FUZZ
@given(st.one_of(LIST_LIKE, TEXT, st.binary(max_size=60)))
def test_video_and_annotation_lists(content):
    path = _write(content)
    entries = parses_or_names_line(lambda: read_video_list(path), path)
    for e in entries or []:
        assert e.path and isinstance(e.label, int) and e.lineno >= 1


@FUZZ
@given(list_text=st.one_of(LIST_LIKE, st.binary(max_size=60)), labels=st.one_of(CSV_LIKE, st.binary(max_size=40)))
def test_convert_splits_list_and_labels(list_text, labels):
    """A base-to-novel list and its class-name file in a canonical tree."""
    import tools.data.convert_splits as convert
    from ga2clip_mmaction.data_prep.split_layout import describe
    with tempfile.TemporaryDirectory() as root:
        rel = 'splits/base2novel_splits/hmdb_splits/base_train.txt'
        os.makedirs(osp.join(root, osp.dirname(rel)))
        os.makedirs(osp.join(root, 'labels'))
        list_file = osp.join(root, rel)
        label_file = osp.join(root, 'labels', 'hmdb_51_base_labels.csv')
        for path, data in ((list_file, list_text), (label_file, labels)):
            with open(path, 'wb') as f:
                f.write(data.encode('utf-8', 'surrogatepass') if isinstance(data, str) else data)
        try:
            rows = convert.convert_list(root, describe(rel), 'mmaction')
        except ValueError as err:
            assert re.match(f'({re.escape(list_file)}|{re.escape(label_file)}):\\d+: ', str(err)), str(err)
        else:
            assert all(isinstance(p, str) and label >= 0 for p, label in rows)


@settings(FUZZ, max_examples=20)
@given(pool_list=st.one_of(LIST_LIKE, st.binary(max_size=60)), pool_labels=CSV_LIKE, target=CSV_LIKE,
       eval_list=LIST_LIKE)
def test_build_anchor_set(pool_list, pool_labels, target, eval_list):
    import tools.data.build_anchor_set as anchors
    with tempfile.TemporaryDirectory() as root:
        files = {}
        for name, data in (('pool.txt', pool_list), ('pool_labels.csv', pool_labels), ('target.csv', target),
                           ('eval.txt', eval_list)):
            files[name] = osp.join(root, name)
            with open(files[name], 'wb') as f:
                f.write(data.encode('utf-8', 'surrogatepass') if isinstance(data, str) else data)
        try:
            report = anchors.build(files['pool.txt'], files['pool_labels.csv'], [files['target.csv']],
                                   osp.join(root, 'out', 'anchors.txt'), eval_lists=[files['eval.txt']])
        except ValueError as err:
            named = '|'.join(re.escape(p) for p in files.values())
            assert re.match(f'({named}):\\d+: ', str(err)) or re.match(
                r'build_anchor_set: (every pool class of .* is excluded|no clip of the kept classes left in )',
                str(err)), str(err)
        else:
            assert report['clips']['selected'] >= 1
            assert len(read_video_list(osp.join(root, 'out', 'anchors.txt'))) == report['clips']['selected']
