"""Install smoke test: the package imports in a fresh interpreter and every component it
registers resolves by name from a config under the default scope ``mmaction``."""
import os
import subprocess
import sys

import pytest
from mmengine.registry import DefaultScope, Registry

import ga2clip_mmaction
import mmaction.registry

#: (registry, type name, module) of the components the configs use (docs/design.md's table,
#: plus the temporal-pooling necks and data transforms).
EXPECTED = [
    ('MODELS', 'PromptedCLIPVision', 'models.backbones.prompted_clip_vision'),
    ('MODELS', 'PromptCouplingHead', 'models.heads.prompt_coupling_head'),
    ('MODELS', 'AnchorLoss', 'models.losses.anchor_loss'),
    ('MODELS', 'InterModalPromptMapping', 'models.mappings.inter_modal_prompt_mapping'),
    ('MODELS', 'HandcraftedConsistencyLoss', 'models.losses.handcrafted_consistency_loss'),
    ('MODELS', 'GA2CLIPRecognizer', 'models.recognizers.ga2clip'),
    ('MODELS', 'ViLTCLIPRecognizer', 'models.recognizers.vilt_clip'),
    ('MODELS', 'AnchorActionDataPreprocessor',
     'models.data_preprocessors.anchor_data_preprocessor'),
    ('MODELS', 'DeviceAugmentDataPreprocessor',
     'models.data_preprocessors.device_augment_data_preprocessor'),
    ('MODELS', 'MeanTemporalPooling', 'models.necks.mean_temporal_pooling'),
    ('MODELS', 'TemporalTransformerPooling', 'models.necks.temporal_transformer_pooling'),
    ('MODELS', 'EmbeddingProjection', 'models.necks.embedding_projection'),
    ('DATASETS', 'AnchorSetDataset', 'datasets.anchor_set'),
    ('DATA_SAMPLERS', 'AnchorBatchSampler', 'datasets.samplers.anchor_batch_sampler'),
    ('TRANSFORMS', 'RandomGrayscale', 'datasets.transforms.random_grayscale'),
    ('TRANSFORMS', 'RandomGrayscaleParams', 'datasets.transforms.random_grayscale_params'),
    ('TRANSFORMS', 'RandomResizedCropParams', 'datasets.transforms.random_resized_crop_params'),
    ('TRANSFORMS', 'FlipParams', 'datasets.transforms.flip_params'),
    ('TRANSFORMS', 'ResizeParams', 'datasets.transforms.resize_params'),
    ('TRANSFORMS', 'SegmentClips', 'datasets.transforms.segment_clips'),
    ('TRANSFORMS', 'SegmentSample', 'datasets.transforms.segment_sample'),
    ('METRICS', 'BaseNovelMetric', 'evaluation.metrics.base_novel_metric'),
    ('HOOKS', 'ClassNamesHook', 'engine.hooks.class_names_hook'),
    ('HOOKS', 'ClipVisualizationHook', 'engine.hooks.clip_visualization_hook'),
    ('DATASETS', 'RobustVideoDataset', 'datasets.robust_video_dataset'),
    ('DATASETS', 'RobustRawframeDataset', 'datasets.robust_rawframe_dataset'),
    ('DATA_SAMPLERS', 'SeededBatchSampler', 'datasets.samplers.seeded_batch_sampler'),
    ('HOOKS', 'AmpDtypeHook', 'engine.hooks.amp_dtype_hook'),
    ('HOOKS', 'BadVideoHook', 'engine.hooks.bad_video_hook'),
    ('HOOKS', 'ConfigCheckHook', 'engine.hooks.config_check_hook'),
    ('HOOKS', 'InertAnchorHook', 'engine.hooks.inert_anchor_hook'),
    ('HOOKS', 'PreemptionHook', 'engine.hooks.preemption_hook'),
    ('HOOKS', 'ResumableRandomnessHook', 'engine.hooks.resumable_randomness_hook'),
    ('HOOKS', 'SmallCheckpointHook', 'engine.hooks.small_checkpoint_hook'),
    ('HOOKS', 'SmallCheckpointRefillHook', 'engine.hooks.small_checkpoint_refill_hook'),
    ('TRANSFORMS', 'KeyframePyAVInit', 'datasets.transforms.keyframe_pyav_init'),
    ('TRANSFORMS', 'KeyframePyAVDecode', 'datasets.transforms.keyframe_pyav_decode'),
]


def registered_by_us() -> dict:
    """``{(registry name, type name): class}`` of every ga2clip_mmaction entry in mmaction's registries."""
    found = {}
    for reg_name, registry in vars(mmaction.registry).items():
        if not isinstance(registry, Registry):
            continue
        for name, cls in registry.module_dict.items():
            if getattr(cls, '__module__', '').startswith('ga2clip_mmaction'):
                found[(reg_name, name)] = cls
    return found


def test_import_in_a_fresh_interpreter():
    """The compat fixes run before anything imports mmaction.models (which fails without them)."""
    code = ('import ga2clip_mmaction, mmaction.models; '
            'print(ga2clip_mmaction.__version__)')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == ga2clip_mmaction.__version__


def test_every_registered_component_resolves_from_a_config_by_name():
    found = registered_by_us()
    assert found
    for (reg_name, name), cls in found.items():
        root = getattr(mmaction.registry, reg_name).parent  # the Runner builds from the root
        with DefaultScope.overwrite_default_scope('mmaction'):
            with root.switch_scope_and_registry(None) as registry:
                assert registry.get(name) is cls, f'{reg_name}: {name}'


def test_the_expected_list_is_every_registered_component():
    """A lost registration (a module no longer imported) and an unlisted new one both fail here."""
    assert set(registered_by_us()) == {(reg_name, name) for reg_name, name, _ in EXPECTED}


@pytest.mark.parametrize('reg_name, name, module', EXPECTED)
def test_expected_component_is_registered(reg_name, name, module):
    cls = registered_by_us().get((reg_name, name))
    assert cls is not None, f'{name} is not registered in mmaction.registry.{reg_name}'
    assert cls.__module__ == f'ga2clip_mmaction.{module}'


def test_mmcv_lite_or_full_mmcv_through_extras():
    """Neither MMCV distribution is a hard requirement (they write the same package); the extras choose one."""
    import os.path as osp
    import runpy
    from unittest import mock
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    captured = {}
    cwd = os.getcwd()
    try:  # run setup.py with setuptools.setup replaced by a recorder of its arguments
        os.chdir(root)
        with mock.patch('setuptools.setup', lambda **kwargs: captured.update(kwargs)):
            runpy.run_path(osp.join(root, 'setup.py'), run_name='__main__')
    finally:
        os.chdir(cwd)
    dist = type('Dist', (), dict(install_requires=captured['install_requires'],
                                 extras_require=captured['extras_require']))
    assert not any(r.startswith('mmcv') for r in dist.install_requires)
    from packaging.requirements import Requirement
    for extra, name in (('lite', 'mmcv-lite'), ('full', 'mmcv')):
        (req, ) = [Requirement(r) for r in dist.extras_require[extra]]
        assert (req.name, '2.1.0' in req.specifier, '2.2.0' in req.specifier) == (name, True, False)


def test_import_without_mmcv_says_what_to_install():
    code = 'import sys; sys.modules["mmcv"] = None; import ga2clip_mmaction'
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'needs MMCV (>=2.0.0, <2.2.0)' in proc.stderr and 'ga2clip_mmaction[lite]' in proc.stderr
