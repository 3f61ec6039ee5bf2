"""The model index (``model-index.yml`` + ``configs/metafile_*.yml``, MMAction2's format): every entry names a config
that exists and builds, says what it starts from as the config does, and its numbers are the paper's
(``evaluation/published.py``), marked as the paper's."""
import os.path as osp
import re

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmaction.registry import MODELS

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.evaluation.published import BASE_TO_NOVEL, FEW_SHOT

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CLIP = dict(arch='GA2-Tiny-Random', weights=None)
DATASETS = {'Kinetics-400': 'k400', 'HMDB51': 'hmdb51', 'UCF101': 'ucf101', 'Something-Something V2': 'ssv2'}


def _load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def _entries():
    index = _load(osp.join(ROOT, 'model-index.yml'))
    entries = []
    for rel in index['Import']:
        meta = _load(osp.join(ROOT, rel))
        collections = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            assert model['In Collection'] in collections, (rel, model['Name'])
            entries.append(model)
    return entries


ENTRIES = _entries()


def test_index_covers_every_protocol_config_once():
    names = [e['Name'] for e in ENTRIES]
    assert len(names) == len(set(names))
    configs = {osp.basename(p)[:-3] for p in
               __import__('glob').glob(osp.join(ROOT, 'configs', '*.py')) if 'demo' not in p}
    assert set(names) == configs
    for entry in ENTRIES:
        assert entry['Config'] == f'configs/{entry["Name"]}.py'


def test_a_built_package_carries_the_index_for_mim(tmp_path):
    """``mim search`` reads ``<installed package>/.mim/model-index.yml``: building the package (what ``pip install
    .`` does) copies the index, the metafiles, every config and the tools there, and the paths inside resolve."""
    import subprocess
    import sys
    subprocess.run([sys.executable, 'setup.py', '-q', 'build_py', '--build-lib', str(tmp_path)], cwd=ROOT,
                   check=True, capture_output=True)
    mim = tmp_path / 'ga2clip_mmaction' / '.mim'
    index = _load(mim / 'model-index.yml')
    configs = [m['Config'] for rel in index['Import'] for m in _load(mim / rel)['Models']]
    assert len(configs) == len(ENTRIES) and all((mim / c).is_file() for c in configs)
    assert (mim / 'tools' / 'train.py').is_file() and not list(mim.rglob('__pycache__'))
    assert not osp.exists(osp.join(ROOT, 'ga2clip_mmaction', '.mim'))  # nothing written into the source tree


def _published(entry):
    """The paper's numbers for an entry, from published.py (None when none are published); a variant
    (``Variant Of``) has its base config's."""
    name = entry['Metadata'].get('Variant Of') or entry['Name']
    match = re.fullmatch(r'ga2clip_b2n_(k400|hmdb51|ucf101|ssv2)', name)
    if match:
        p = BASE_TO_NOVEL[match.group(1)]
        return {'Paper Base Top 1 Accuracy': p['base'], 'Paper Novel Top 1 Accuracy': p['novel'],
                'Paper HM': p['hm']}
    match = re.fullmatch(r'ga2clip_fs_(\w+)_k(\d+)', name)
    if match:
        return {'Paper Top 1 Accuracy': FEW_SHOT[match.group(1)][int(match.group(2))]}
    return None


def _config_bases(path):
    """The ``_base_`` list written in a config file."""
    import ast
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_' for t in node.targets):
            bases = ast.literal_eval(node.value)
            return [bases] if isinstance(bases, str) else list(bases)
    return []


VARIANTS = [e for e in ENTRIES if 'Variant Of' in e['Metadata']]


def test_the_config_variants_are_listed_as_variants():
    names = {e['Name'] for e in VARIANTS}
    assert {'ga2clip_b2n_k400_device_aug', 'ga2clip_b2n_hmdb51_rawframes'} <= names


@pytest.mark.parametrize('entry', VARIANTS, ids=[e['Name'] for e in VARIANTS])
def test_a_variant_inherits_its_listed_base_and_its_protocol(entry):
    """A variant is named after its base config, inherits it, and lists the same protocol and collection."""
    base_name = entry['Metadata']['Variant Of']
    assert entry['Name'].startswith(base_name + '_')
    [base] = [e for e in ENTRIES if e['Name'] == base_name]
    assert 'Variant Of' not in base['Metadata']
    assert _config_bases(osp.join(ROOT, entry['Config'])) == [f'./{base_name}.py']
    assert entry['In Collection'] == base['In Collection']
    for key in ('Protocol', 'Architecture', 'Starting Weights', 'Hard Prompt', 'Epochs', 'Batch Size',
                'Results Source'):
        assert entry['Metadata'].get(key) == base['Metadata'].get(key), key
    assert entry.get('Results') == base.get('Results')


@pytest.mark.parametrize('entry', ENTRIES, ids=[e['Name'] for e in ENTRIES])
def test_numbers_are_the_papers_and_marked_so(entry):
    expected = _published(entry)
    meta = entry['Metadata']
    if expected is None:
        assert 'Results' not in entry
        assert not meta['Results Source'].startswith('paper')
        return
    assert meta['Results Source'] == 'paper (arXiv 2511.22125, seed 1); not reproduced by this package'
    (result, ) = entry['Results']
    assert result['Metrics'] == expected
    dataset = DATASETS[result['Dataset']]
    assert f'_{dataset}' in entry['Name']


@pytest.mark.parametrize('entry', ENTRIES, ids=[e['Name'] for e in ENTRIES])
def test_config_exists_builds_and_starts_from_the_listed_weights(entry, tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, entry['Config']))
    meta = entry['Metadata']
    model = cfg.model
    weights = model.backbone.clip.weights
    assert model.cls_head.clip.weights == weights
    if weights is None:
        assert meta['Starting Weights'].startswith('every weight from the checkpoint')
    else:
        assert meta['Starting Weights'].split(' ')[0] == weights
    hard_prompt = model.cls_head.get('hard_prompt')
    assert (meta.get('Hard Prompt') or ' ').split(' ')[0] == (hard_prompt or ''), 'Hard Prompt'
    if 'train_cfg' in cfg:
        assert meta['Epochs'] == cfg.train_cfg.max_epochs
        assert meta['Batch Size'] == 8 * cfg.train_dataloader.batch_size
    # build it with the tiny random CLIP and stand-ins for the files a user prepares
    hard = tmp_path / 'hard.pt'
    torch.save({'hard_prompt': torch.randn(2, 64)}, hard)
    for part in ('backbone', 'cls_head'):
        model[part].update(clip=TINY_CLIP, grad_checkpointing=False)
    model.backbone.update(vision_ctx=2, vision_depth=2)
    model.cls_head.update(language_ctx=2, language_depth=2, classnames=['abseiling', 'zumba', 'typing'],
                          hard_prompt=str(hard) if hard_prompt else None)
    if model.cls_head.get('anchor_loss'):  # the anchor term is the head's (cls_head.anchor_loss)
        model.cls_head.anchor_loss.anchor_names = ['else']
    with DefaultScope.overwrite_default_scope('mmaction'):
        built = MODELS.build(model)
    assert type(built).__name__ == model.type and built.cls_head.num_classes == 3
