"""tools/infer.py: open-vocabulary top-k on real video files with a tiny random CLIP model."""
import importlib

import pytest
import torch

import ga2clip_mmaction  # noqa: F401


CONFIG = """
default_scope = 'mmaction'
custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)
clip = dict(arch='GA2-Tiny-Random', weights=None)
model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
    cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['train', 'names'],
                  language_ctx=2, language_depth=2, coupling='concat_mlp',
                  hard_prompt={hard_prompt!r}),
    data_preprocessor=dict(type='AnchorActionDataPreprocessor',
                           mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           format_shape='NCTHW'))
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=3, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(dataset=dict(type='VideoDataset', ann_file='', pipeline=test_pipeline))
"""
CLASSES = ['arm wrestling', 'juggling balls', 'typing', 'riding a bike', 'swimming']


def _load_tool():
    return importlib.import_module('tools.infer')


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    """A config and a checkpoint of a tiny random GA2-CLIP model (hard prompt from a file)."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    root = tmp_path_factory.mktemp('infer_model')
    hard_prompt = root / 'hard.pt'
    torch.manual_seed(0)
    torch.save({'hard_prompt': torch.randn(2, 64)}, hard_prompt)
    config = root / 'tiny.py'
    config.write_text(CONFIG.format(hard_prompt=str(hard_prompt)))
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(Config.fromfile(str(config)).model)
    # Make the prompts non-trivial so the checkpoint differs from a fresh build.
    for p in model.parameters():
        if p.requires_grad:
            p.data.normal_(0, 0.5)
    checkpoint = root / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    return str(config), str(checkpoint), str(hard_prompt)



def test_top_k_over_a_class_list(model_files, make_video, capsys):
    config, checkpoint, _ = model_files
    video = make_video('clip.mp4', num_frames=12)
    top = _load_tool().main([video, '--config', config, '--checkpoint', checkpoint,
                             '--classes', ','.join(CLASSES), '--topk', '3'])
    assert len(top) == 3
    assert {name for name, _ in top} <= set(CLASSES)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    out = capsys.readouterr().out.splitlines()
    header = [i for i, line in enumerate(out) if line.endswith('top-3 of 5 classes')]
    assert len(header) == 1
    assert out[header[0] + 1] == f'  1. {top[0][0]:<{max(len(n) for n, _ in top)}}  {top[0][1]:.4f}'
    assert len(out) == header[0] + 4


def test_all_classes_sum_to_one_and_file_equals_list(model_files, make_video, tmp_path):
    config, checkpoint, _ = model_files
    video = make_video('clip.mp4', num_frames=12)
    class_file = tmp_path / 'names.csv'
    class_file.write_bytes(b'id,name\r\n' + b'\r\n'.join(
        f'{i},{n}'.encode() for i, n in enumerate(CLASSES)))
    tool = _load_tool()
    from_file = tool.main([video, '--config', config, '--checkpoint', checkpoint,
                           '--class-file', str(class_file), '--topk', '10'])
    from_list = tool.main([video, '--config', config, '--checkpoint', checkpoint,
                           '--classes', ','.join(CLASSES), '--topk', '10'])
    assert from_file == from_list
    assert sum(p for _, p in from_file) == pytest.approx(1.0, abs=1e-5)


def test_checkpoint_is_the_source_of_truth(model_files, make_video, tmp_path):
    """A self-contained checkpoint needs none of the config's weight files (here: the hard prompt)."""
    config, checkpoint, hard_prompt = model_files
    video = make_video('clip.mp4', num_frames=12)
    args = ['--checkpoint', checkpoint, '--classes', ','.join(CLASSES)]
    tool = _load_tool()
    with_files = tool.main([video, '--config', config, *args])
    moved = tmp_path / 'config_without_files.py'
    moved.write_text(open(config).read().replace(hard_prompt, str(tmp_path / 'gone.pt')))
    alone = tool.main([video, '--config', str(moved), *args])
    assert [n for n, _ in alone] == [n for n, _ in with_files]
    assert [p for _, p in alone] == pytest.approx([p for _, p in with_files], abs=1e-6)


def test_checkpoint_loads_strictly(model_files, make_video, tmp_path):
    config, checkpoint, _ = model_files
    video = make_video('clip.mp4', num_frames=12)
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    del state['backbone.prompt']
    state['cls_head.extra'] = torch.zeros(1)
    broken = tmp_path / 'broken.pth'
    torch.save(dict(state_dict=state, meta=dict()), broken)
    with pytest.raises(RuntimeError, match=r'(?s)broken.pth does not fit the model of .*tiny.py.*'
                                           r'unexpected key.*cls_head.extra.*missing keys.*backbone.prompt'):
        _load_tool().main([video, '--config', config, '--checkpoint', str(broken), '--classes', 'a,b'])


def test_small_checkpoint_takes_the_config_clip_weights_and_checks_them(model_files, make_video, tmp_path):
    """A small checkpoint (trained parameters only) is refused when the config's CLIP weights are not the ones
    it was trained with: here the config builds a random CLIP (weights=None), a new one at every build."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    config, _, _ = model_files
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(Config.fromfile(config).model)
    from ga2clip_mmaction.utils.small_checkpoint import shrink_checkpoint
    small = tmp_path / 'small.pth'
    ckpt = dict(state_dict=model.state_dict(), meta=dict())
    assert shrink_checkpoint(model, ckpt)
    torch.save(ckpt, small)
    video = make_video('clip.mp4', num_frames=12)
    with pytest.raises(RuntimeError, match='small checkpoint.*clip.weights'):
        _load_tool().main([video, '--config', config, '--checkpoint', str(small), '--classes', 'a,b'])


@pytest.mark.parametrize('name', ['demo.mp4', 'test.avi', 'ntu_sample.avi'])
def test_shared_real_videos(model_files, shared_path, name):
    config, checkpoint, _ = model_files
    top = _load_tool().main([shared_path('videos', name), '--config', config, '--checkpoint',
                             checkpoint, '--classes', ','.join(CLASSES), '--views', '2x1'])
    assert len(top) == 5 and sum(p for _, p in top) == pytest.approx(1.0, abs=1e-5)


def test_bad_inputs(model_files, make_video, tmp_path):
    config, checkpoint, _ = model_files
    video = make_video('clip.mp4', num_frames=12)
    tool = _load_tool()
    base = ['--config', config, '--checkpoint', checkpoint]
    with pytest.raises(FileNotFoundError, match='Video not found: .*nope.mp4'):
        tool.main([str(tmp_path / 'nope.mp4'), *base, '--classes', 'a,b'])
    with pytest.raises(ValueError, match=r"given more than once: \['a'\]"):
        tool.main([video, *base, '--classes', 'a,b,a'])
    with pytest.raises(ValueError, match='no class names'):
        tool.main([video, *base, '--classes', ' , '])
    with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
        tool.main([video, '--config', config, '--checkpoint', str(tmp_path / 'x.pth'),
                   '--classes', 'a,b'])
    with pytest.raises(SystemExit):  # --classes and --class-file are exclusive
        tool.main([video, *base, '--classes', 'a', '--class-file', 'f.csv'])
