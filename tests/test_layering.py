"""The package's layers import downwards only: utils, structures < datasets, evaluation, synthetic < models < engine;
and models/ takes the data side's metainfo keys from structures, never from datasets/.

Walks every import statement of the package (absolute and relative, top-level and inside functions) with
``ast``; tools/ and tests/ sit above everything and are not checked.
"""
import ast
import os
import os.path as osp

from tests.conftest import REPO_ROOT

PACKAGE = 'ga2clip_mmaction'
LAYERS = {'utils': 0, 'structures': 0, 'datasets': 1, 'evaluation': 1, 'synthetic': 1, 'models': 2, 'engine': 3}


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


def upward_imports(root: str) -> list:
    """``(file, imported module)`` pairs where a lower layer imports a higher one."""
    found = []
    for folder, _, files in os.walk(osp.join(root, PACKAGE)):
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            parts = osp.relpath(path, root)[:-3].split(os.sep)  # package, layer, ..., module
            if len(parts) < 3 or parts[1] not in LAYERS:
                continue
            for module in _imported_modules(path, parts):
                target = module.split('.')
                if len(target) > 1 and target[0] == PACKAGE and LAYERS.get(target[1], -1) > LAYERS[parts[1]]:
                    found.append((osp.relpath(path, root), module))
                    break
    return found


def test_no_layer_imports_a_higher_one():
    assert upward_imports(REPO_ROOT) == []


def test_the_walk_sees_an_upward_import(tmp_path):
    """The check itself can fail: a utils module importing models, relatively from inside a function."""
    utils = tmp_path / PACKAGE / 'utils'
    utils.mkdir(parents=True)
    (utils / 'bad.py').write_text('def f():\n    from ..models.heads import PromptCouplingHead\n')
    (utils / 'good.py').write_text('from .io import read_class_names\n')
    assert upward_imports(str(tmp_path)) == [(osp.join(PACKAGE, 'utils', 'bad.py'), f'{PACKAGE}.models.heads')]


def test_models_do_not_import_datasets():
    """The metainfo keys both sides share live in ``ga2clip_mmaction.structures`` (as MMAction2's ``structures``)."""
    found = []
    for folder, _, files in os.walk(osp.join(REPO_ROOT, PACKAGE, 'models')):
        for name in (n for n in sorted(files) if n.endswith('.py')):
            path = osp.join(folder, name)
            parts = osp.relpath(path, REPO_ROOT)[:-3].split(os.sep)
            found += [(name, m) for m in _imported_modules(path, parts) if m.startswith(f'{PACKAGE}.datasets')]
    assert found == []
