"""The package's layers import downwards only: utils, structures < datasets, evaluation < models, data_prep < engine
< benchmark, apis; models/ takes the data side's metainfo keys from structures, never from datasets/; and the package
imports neither the tools nor the projects beside it (the demo, the parity harness).

Walks every import statement of the package (absolute and relative, top-level and inside functions) with
``ast``; tools/ and tests/ sit above everything and are not checked.
"""
import ast
import os
import os.path as osp

from tests.conftest import REPO_ROOT

PACKAGE = 'ga2clip_mmaction'
LAYERS = {'utils': 0, 'structures': 0, 'datasets': 1, 'evaluation': 1, 'models': 2, 'data_prep': 2, 'engine': 3,
          'benchmark': 4, 'apis': 4}
#: Packages beside the method that it must not import (they are not in its wheel), and the one allowed use:
#: the benchmark's ``released`` variant times the released code's step, which lives in the parity harness
#: (imported inside the function that needs it, with a message naming the project when it is missing).
OUTSIDE = ('tools', 'ga2clip_demo', 'ga2clip_parity')
ALLOWED_OUTSIDE = {(osp.join(PACKAGE, 'benchmark', 'variants.py'), 'ga2clip_parity.released_reference')}


def _imported_modules(path: str, module_parts: list) -> list:
    """Absolute dotted names of every module a file imports (``from x import y`` gives ``x`` and ``x.y``)."""
    names = []
    for node in ast.walk(ast.parse(open(path, encoding='utf-8').read(), filename=path)):
        if isinstance(node, ast.ImportFrom):
            base = '.'.join(module_parts[:len(module_parts) - node.level] + ([node.module] if node.module else [])) \
                if node.level else (node.module or '')
            names += [base] + [f'{base}.{alias.name}' for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def _python_files(root: str, *sub: str):
    """``(path, relative path, module parts)`` of every ``.py`` file under ``root/sub``, in a stable order
    (module parts: package, layer, ..., module)."""
    for folder, dirs, files in os.walk(osp.join(root, *sub)):
        dirs.sort()
        for name in sorted(f for f in files if f.endswith('.py')):
            path = osp.join(folder, name)
            rel = osp.relpath(path, root)
            yield path, rel, rel[:-3].split(os.sep)


def upward_imports(root: str) -> list:
    """``(file, imported module)`` pairs where a lower layer imports a higher one."""
    found = []
    for path, rel, parts in _python_files(root, PACKAGE):
        if len(parts) < 3 or parts[1] not in LAYERS:
            continue
        for module in _imported_modules(path, parts):
            target = module.split('.')
            if len(target) > 1 and target[0] == PACKAGE and LAYERS.get(target[1], -1) > LAYERS[parts[1]]:
                found.append((rel, module))
                break
    return found


def outside_imports(root: str) -> list:
    """``(file, imported module)`` pairs where the package imports the tools or a project beside it."""
    found = []
    for path, rel, parts in _python_files(root, PACKAGE):
        for module in _imported_modules(path, parts):
            allowed = any(rel == file and (module + '.').startswith(ok + '.') for file, ok in ALLOWED_OUTSIDE)
            if module.split('.')[0] in OUTSIDE and not allowed:
                found.append((rel, module))
                break
    return found


def _fake_package(tmp_path, layer: str, sources: dict) -> str:
    """A package tree under ``tmp_path`` with ``sources`` (file name -> text) in ``layer``; returns its root."""
    folder = tmp_path / PACKAGE / layer
    folder.mkdir(parents=True)
    for name, text in sources.items():
        (folder / name).write_text(text)
    return str(tmp_path)


def test_the_package_imports_no_tool_and_no_project():
    assert outside_imports(REPO_ROOT) == []


def test_the_outside_walk_sees_a_tool_and_a_project(tmp_path):
    root = _fake_package(tmp_path, 'models', {'a.py': 'def f():\n    from tools.data import split_layout\n',
                                              'b.py': 'from ga2clip_demo.synthetic import world\n'})
    assert outside_imports(root) == [(osp.join(PACKAGE, 'models', 'a.py'), 'tools.data'),
                                               (osp.join(PACKAGE, 'models', 'b.py'), 'ga2clip_demo.synthetic')]


def test_no_layer_imports_a_higher_one():
    assert upward_imports(REPO_ROOT) == []


def test_the_walk_sees_an_upward_import(tmp_path):
    """The check itself can fail: a utils module importing models, relatively from inside a function."""
    root = _fake_package(tmp_path, 'utils', {'bad.py': 'def f():\n    from ..models.heads import PromptCouplingHead\n',
                                             'good.py': 'from .io import read_class_names\n'})
    assert upward_imports(root) == [(osp.join(PACKAGE, 'utils', 'bad.py'), f'{PACKAGE}.models.heads')]


def test_models_do_not_import_datasets():
    """The metainfo keys both sides share live in ``ga2clip_mmaction.structures`` (as MMAction2's ``structures``)."""
    found = []
    for path, rel, parts in _python_files(REPO_ROOT, PACKAGE, 'models'):
        found += [(osp.basename(rel), m) for m in _imported_modules(path, parts) if m.startswith(f'{PACKAGE}.datasets')]
    assert found == []


def message_hub_uses(root: str, layer: str = 'models') -> list:
    """``(file, name)`` pairs where a module of ``layer`` imports or names MMEngine's ``MessageHub``."""
    found = []
    for path, rel, parts in _python_files(root, PACKAGE, layer):
        names = [m for m in _imported_modules(path, parts) if m.endswith('MessageHub')]
        for node in ast.walk(ast.parse(open(path, encoding='utf-8').read(), filename=path)):
            if isinstance(node, ast.Attribute) and node.attr == 'MessageHub':
                names.append(node.attr)
        found += [(rel, n) for n in names[:1]]
    return found


def test_models_read_nothing_from_the_message_hub():
    """The model gets what a step needs through its arguments and its own state (the sharded text encoding's seed
    comes from the head's step count), never through MMEngine's runtime side channel."""
    assert message_hub_uses(REPO_ROOT) == []


def test_the_message_hub_walk_sees_an_import_and_an_attribute(tmp_path):
    root = _fake_package(tmp_path, 'models', {
        'a.py': 'def f():\n    from mmengine.logging import MessageHub\n',
        'b.py': 'import mmengine.logging\nhub = mmengine.logging.MessageHub.get_current_instance()\n',
        'c.py': 'from mmengine.logging import MMLogger\n'})
    assert message_hub_uses(root) == [(osp.join(PACKAGE, 'models', 'a.py'), 'mmengine.logging.MessageHub'),
                                               (osp.join(PACKAGE, 'models', 'b.py'), 'MessageHub')]
