"""Issue 29 end to end on the synthetic world: a class folder -> tools/data/from_folder.py -> one short epoch of
tools/train.py -> tools/infer.py on the folder (JSON Lines, features), MMAction2's API and ours giving the same
scores, timelines of a long video and rejection calibrated on the anchor set; the shared real videos through the
same steps.

One trained model per module (:func:`trained`): a synthetic world (64 px as the tiny CLIP's pretraining, 8 frames;
12 base classes x 5 clips, 12 novel x 3, 6 anchor classes x 6), two clips of each base class as a class folder
(plus a broken file), the tiny pretrained CLIP (the demo's config) trained one epoch on one shot per class.
"""
import importlib
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT

DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_demo.py')


def _tool(name):
    return importlib.import_module(name)


def render_clip(path: str, role: str, label: int, seed: int, frames: int, size: int = 32) -> str:
    """A clip of class ``label`` of ``role`` of the synthetic world (its habitat with the world's probability)."""
    from ga2clip_demo.synthetic import render, world
    from ga2clip_demo.make_synthetic_videos import write_video
    colour, shape = world.role_pairs(role)[label]
    rng = np.random.default_rng([seed, label, 29])
    attrs = world.sample_nuisance(rng, colour, shape, habitat=world.class_habitats(role)[label], habitat_prob=0.8)
    os.makedirs(osp.dirname(path), exist_ok=True)
    write_video(path, render.render_video(attrs, frames, size, rng))
    return path


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """``(workspace, folder, out, config, checkpoint)``: the world, the class folder, from_folder's output, the
    config it wrote and the checkpoint of one epoch of tools/train.py on it.

    The module's tests run inside the workspace (the working directory is restored after the last one): the demo
    config's anchor list and hard prompt are relative paths, read by ``init_recognizer`` and ``--reject-fpr``."""
    workspace = tmp_path_factory.mktemp('own_videos')
    data = workspace / 'data' / 'synthetic'
    _tool('ga2clip_demo.make_synthetic_videos').main([
        '--out', str(data), '--frames', '8', '--size', '64', '--shots', '1', '--base-pool', '2',
        '--val-per-class', '3', '--stage1-per-class', '1', '--anchors-per-class', '6'])
    (data / 'hard_prompts').mkdir()
    torch.save({'hard_prompt': torch.randn(4, 64, generator=torch.Generator().manual_seed(0)) * 0.02},
               data / 'hard_prompts' / 'stage1_ctx.pt')
    folder = workspace / 'my_videos'
    for class_dir in sorted((data / 'videos' / 'base').iterdir()):
        # the training pool, under unique names (the anchors' leakage guard matches clips by file name)
        for video in sorted(class_dir.glob('000*.mp4')):
            target = folder / class_dir.name / f'{class_dir.name}_{video.name}'
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(video, target)
    (folder / 'red_circle' / 'broken.mp4').write_bytes(b'not a video at all')
    out = workspace / 'run'
    cwd = os.getcwd()
    os.chdir(workspace)  # the demo config's anchor set and hard prompt are relative to the workspace
    try:
        config = _tool('tools.data.from_folder').main([
            'my_videos', '--out', 'run', '--base-config', DEMO_CONFIG, '--novel-fraction', '0.25', '--shots', '1',
            '--val-fraction', '0.5', '--workers', '2'])
        _tool('tools.train').main([config, '--cfg-options', 'train_cfg.max_epochs=1',
                                   'experiment_name=own_videos_train'])
        checkpoint = osp.join(workspace, 'work_dirs', 'ga2clip_b2n_demo_my_videos', 'epoch_1.pth')
        assert osp.isfile(checkpoint)
        yield workspace, folder, out, osp.abspath(config), checkpoint
    finally:
        os.chdir(cwd)


def test_folder_train_infer_and_the_api_agree(trained, tmp_path, capsys):
    """Done when: the folder, from_folder, one epoch, tools/infer.py on the folder to JSONL, the API's scores."""
    from mmaction.apis import inference_recognizer, init_recognizer

    from ga2clip_mmaction.apis import encode_texts, encode_videos, set_classes
    workspace, folder, out, config, checkpoint = trained
    assert 'red_circle/broken.mp4' in open(out / 'bad_videos.txt').read()
    jsonl, feats = tmp_path / 'preds.jsonl', tmp_path / 'feats.npy'
    records = _tool('tools.infer').main([
        str(folder), '--config', config, '--checkpoint', checkpoint, '--class-file',
        str(out / 'labels' / 'all_labels.csv'), '--topk', '3', '--out', str(jsonl), '--save-features', str(feats),
        '--batch-size', '8', '--workers', '2'])
    lines = [json.loads(line) for line in open(jsonl)]
    assert lines == records and len(lines) == 12 * 2 + 1
    [bad] = [r for r in lines if 'error' in r]
    assert bad['video'].endswith('red_circle/broken.mp4') and 'broken.mp4' in bad['error']
    assert 'red_circle/broken.mp4: ' in capsys.readouterr().out  # listed, not fatal
    features = np.load(feats)
    assert features.shape == (25, 128) and np.isnan(features[lines.index(bad)]).all()
    good = [i for i, r in enumerate(lines) if 'error' not in r]
    assert np.allclose(np.linalg.norm(features[good], axis=1), 1, atol=1e-5)

    # MMAction2's own API on the written config and the (small) checkpoint: the same scores
    names = set_classes(init := init_recognizer(config, checkpoint, device='cpu'),
                        str(out / 'labels' / 'all_labels.csv'))
    for i in good[::16]:
        scores = inference_recognizer(init, lines[i]['video']).pred_score
        for name, prob in lines[i]['topk']:
            assert float(scores[names.index(name)]) == pytest.approx(prob, abs=2e-6)
    # ours: video features (those of --save-features) and text features in one space
    videos = [lines[i]['video'] for i in good[:3]]
    emb = encode_videos(init, videos, batch_size=2)
    assert torch.allclose(emb, torch.from_numpy(features[good[:3]]), atol=1e-5)
    text = encode_texts(init, names)
    assert text.shape == (len(names), 128)
    probs = (init.cls_head.logit_scale * emb @ text.t()).softmax(-1)
    assert torch.allclose(probs, torch.stack([inference_recognizer(init, v).pred_score for v in videos]), atol=1e-5)
    # accuracy on the folder: far above chance (1/12) with the tiny pretrained CLIP
    right = sum(r['label'] == osp.basename(osp.dirname(r['video'])).replace('_', ' ') for r in lines if 'topk' in r)
    assert right / len(good) > 0.5


def long_video(path: str, segments, fps: int = 8, size: int = 64) -> str:
    """One video of the synthetic clips ``segments`` (``(base class, seconds)``) one after the other."""
    from ga2clip_demo.synthetic import render, world
    from ga2clip_demo.make_synthetic_videos import write_video
    frames = []
    for k, (label, seconds) in enumerate(segments):
        colour, shape = world.role_pairs('base')[label]
        rng = np.random.default_rng([k, label, 290])
        attrs = world.sample_nuisance(rng, colour, shape, habitat=world.class_habitats('base')[label],
                                      habitat_prob=0.8)
        frames.append(render.render_video(attrs, int(seconds * fps), size, rng))
    write_video(path, np.concatenate(frames), fps=fps)
    return path


#: The long video: (base class, seconds); 12 s, three changes of class.
SEGMENTS = [(0, 4), (5, 3), (9, 5)]
#: Mean temporal IoU the merged segments must reach. With 1 s windows every 0.5 s a window that straddles a change
#: of class may go either way, so each boundary can move by up to half a window (0.5 s) even when every
#: single-class window is right; a 3 s segment with both boundaries 0.5 s off has IoU 2/3 = 0.67 (shrunk) or
#: 3/4 (shifted), the 4 s and 5 s ones more. So 0.6 accepts boundary slop and fails a timeline that loses or
#: misplaces a segment (one segment wrong already caps the mean at 0.67, two at 0.33).
MIN_TIMELINE_IOU = 0.6


def test_timeline_of_a_long_video(trained, tmp_path, capsys):
    from ga2clip_mmaction.apis.timeline import temporal_iou
    from ga2clip_demo.synthetic import world
    _, _, _, config, checkpoint = trained
    names = [f'{c} {s}' for c, s in world.role_pairs('base')]
    video = long_video(str(tmp_path / 'long.mp4'), SEGMENTS)
    out, srt = tmp_path / 'timeline.json', tmp_path / 'timeline.srt'
    result = _tool('tools.infer').main([
        video, '--config', config, '--checkpoint', checkpoint, '--classes', ','.join(names), '--timeline',
        '--window', '1', '--stride', '0.5', '--out', str(out), '--srt', str(srt), '--workers', '2'])
    assert json.load(open(out)) == json.loads(json.dumps(result))
    assert result['duration'] == 12 and len(result['windows']) == 23
    assert [w['start'] for w in result['windows']] == [0.5 * i for i in range(23)]
    segs = result['segments']
    assert segs[0]['start'] == 0 and segs[-1]['end'] == 12
    assert all(a['end'] == b['start'] and a['label'] != b['label'] for a, b in zip(segs, segs[1:]))
    truth, t = [], 0
    for label, seconds in SEGMENTS:
        truth.append(dict(label=names[label], start=t, end=t + seconds))
        t += seconds
    iou = temporal_iou(segs, truth)
    with capsys.disabled():  # the figure of the closing note
        print(f'\ntimeline: {[(s["label"], s["start"], s["end"], round(s["score"], 2)) for s in segs]}; '
              f'temporal IoU {iou:.3f}')
    assert iou >= MIN_TIMELINE_IOU
    blocks = open(srt).read().split('\n\n')
    assert len(blocks) == len(segs) and blocks[0].startswith('1\n00:00:00,000 --> ')
    printed = capsys.readouterr().out
    assert f'{len(segs)} segments' in printed


#: Rejection on the synthetic world: known = clips of the 12 base classes with the 12 base names as the class list,
#: unknown = clips of the 12 novel classes (held out: never in the list), the threshold from the config's anchor
#: set (36 clips of 6 other classes) at a 5 % anchor false-accept rate.
#: The unknowns are near the knowns: every novel class is a new pairing of a colour and a shape that both occur in
#: the list ("red square" next to "red circle" and "blue square"), so no score separates them perfectly (measured
#: on this run: AUROC 0.74 max cosine, 0.78 max softmax, 0.73 energy; 36 + 36 clips, so about +-0.06; a 32 px world
#: gave 0.67 / 0.56 / 0.68). The bounds are what that supports: max cosine (the default --reject-score) and energy
#: rank known above unknown better than chance (AUROC > 0.5), and the threshold accepts at most a quarter of the
#: unknowns (measured 0.03; a threshold at the wrong end of the anchors accepted 0.89) and fewer unknowns than
#: knowns.
MIN_AUROC, MAX_UNKNOWN_FALSE_ACCEPT = 0.5, 0.25


def test_rejection_calibrated_on_the_anchor_set(trained, tmp_path, capsys):
    from ga2clip_mmaction.apis import build_model, encode_texts
    from ga2clip_mmaction.apis.rejection import SCORES, auroc, known_score
    from ga2clip_demo.synthetic import world
    workspace, _, _, config, checkpoint = trained
    videos = workspace / 'data' / 'synthetic' / 'videos'
    known = sorted(str(p) for p in (videos / 'base').glob('*/1*.mp4'))
    unknown = sorted(str(p) for p in (videos / 'novel').glob('*/1*.mp4'))
    n = len(known)
    assert n == len(unknown) == 36
    names = [f'{c} {s}' for c, s in world.role_pairs('base')]
    listing, feats = tmp_path / 'clips.txt', tmp_path / 'clips.npy'
    listing.write_text('\n'.join(known + unknown) + '\n')
    cwd = os.getcwd()
    os.chdir(workspace)  # the anchor list is relative to the workspace
    try:
        records = _tool('tools.infer').main([
            str(listing), '--config', config, '--checkpoint', checkpoint, '--classes', ','.join(names),
            '--reject-fpr', '0.05', '--workers', '2', '--batch-size', '16', '--save-features', str(feats)])
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out
    assert 'accepts 0.05 of the 36 anchor clips' in printed
    accepted = [r['accepted'] for r in records]
    assert all((r['label'] == 'none of the classes') != r['accepted'] for r in records)
    false_accept, true_accept = sum(accepted[n:]) / n, sum(accepted[:n]) / n

    model = build_model(config, checkpoint)
    cosine = torch.from_numpy(np.load(feats)) @ encode_texts(model, names).t()
    assert [r['known_score'] for r in records] == pytest.approx(cosine.max(1).values.tolist(), abs=1e-5)
    scale = float(model.cls_head.logit_scale)
    aurocs = {}
    for kind in SCORES:
        values = known_score(cosine, scale, kind).tolist()
        aurocs[kind] = round(auroc(values[:n], values[n:]), 3)
    with capsys.disabled():  # the figures of the closing note
        print(f'\nrejection: AUROC known vs unknown {aurocs}; at the anchor-calibrated 5 % threshold (max cosine): '
              f'false-accept rate on the unknowns {false_accept:.3f}, known accepted {true_accept:.3f}')
    assert aurocs['cosine'] > MIN_AUROC and aurocs['energy'] > MIN_AUROC
    assert false_accept <= MAX_UNKNOWN_FALSE_ACCEPT
    assert true_accept > false_accept


#: The six real clips of ../shared/videos as three made-up classes (the tiny CLIP knows no real class: the test
#: checks that every step runs and writes well-formed output, not accuracy).
REAL = {'kinetics_clip': ['demo.mp4', 'test.mp4'], 'indoor_people': ['ntu_sample.avi', 'test.avi'],
        'street_scene': ['spatiotemporal.mp4', 'structuralize.mp4']}


def test_shared_real_videos(trained, shared_path, tmp_path, capsys):
    from mmaction.apis import inference_recognizer, init_recognizer

    from ga2clip_mmaction.apis import encode_videos, set_classes
    _, _, _, _, checkpoint = trained
    folder = tmp_path / 'real'
    for name, files in REAL.items():
        (folder / name).mkdir(parents=True)
        for f in files:
            shutil.copy(shared_path('videos', f), folder / name / f)
    # 1. from_folder: every real clip probes fine, a config is written
    config = _tool('tools.data.from_folder').main([
        str(folder), '--out', str(tmp_path / 'run'), '--base-config', DEMO_CONFIG, '--novel-fraction', '0.34',
        '--val-fraction', '0.5', '--workers', '2'])
    printed = capsys.readouterr().out
    assert 'unreadable' not in printed and 'too few' not in printed
    lists = {n: open(tmp_path / 'run' / 'splits' / f'{n}.txt').read().split() for n in
             ('base_train', 'base_val', 'novel_val')}
    assert sorted(sum((v[::2] for v in lists.values()), [])) == sorted(
        f'{c}/{f}' for c, files in REAL.items() for f in files)
    names = [c.replace('_', ' ') for c in REAL]
    # 3. tools/infer.py on the folder (the synthetic model on the real folder's config: the same architecture)
    jsonl, feats = tmp_path / 'real.jsonl', tmp_path / 'real.npy'
    records = _tool('tools.infer').main([
        str(folder), '--config', config, '--checkpoint', checkpoint, '--classes', ','.join(names), '--out',
        str(jsonl), '--save-features', str(feats), '--workers', '2', '--batch-size', '3'])
    assert [json.loads(line) for line in open(jsonl)] == records and len(records) == 6
    for r in records:
        assert [n for n, _ in r['topk']] and {n for n, _ in r['topk']} <= set(names) and r['label'] in names
        assert sum(p for _, p in r['topk']) == pytest.approx(1, abs=1e-5)
    assert np.load(feats).shape == (6, 128) and np.isfinite(np.load(feats)).all()
    # 2. the API on the same videos: the same scores, features of unit length
    model = init_recognizer(config, checkpoint, device='cpu')
    set_classes(model, names)
    [ntu] = [r for r in records if r['video'].endswith('ntu_sample.avi')]  # 1920x1080
    score = inference_recognizer(model, ntu['video']).pred_score
    assert [float(score[names.index(n)]) for n, _ in ntu['topk']] == pytest.approx([p for _, p in ntu['topk']],
                                                                                   abs=2e-6)
    emb = encode_videos(model, [ntu['video']])
    assert torch.allclose(emb, torch.from_numpy(np.load(feats)[records.index(ntu)])[None], atol=1e-5)
    # 4. the timeline of the longest clip (demo.mp4: 280 frames at 28 fps)
    result = _tool('tools.infer').main([
        str(folder / 'kinetics_clip' / 'demo.mp4'), '--config', config, '--checkpoint', checkpoint, '--classes',
        ','.join(names), '--timeline', '--window', '2', '--stride', '1', '--srt', str(tmp_path / 'demo.srt'),
        '--workers', '2'])
    assert result['duration'] == 10 and [(w['start'], w['end']) for w in result['windows']] == [
        (float(s), float(s + 2)) for s in range(9)]
    segs = result['segments']
    assert segs[0]['start'] == 0 and segs[-1]['end'] == 10 and all(s['label'] in names for s in segs)
    assert all(a['end'] == b['start'] for a, b in zip(segs, segs[1:]))
    assert open(tmp_path / 'demo.srt').read().count(' --> ') == len(segs)


def test_readme_python_example_runs(trained, capsys):
    """The README's Python example ("Your own videos"), its config, checkpoint and videos swapped for this module's."""
    import re
    _, folder, _, config, checkpoint = trained
    text = open(osp.join(REPO_ROOT, 'README.md'), encoding='utf-8').read()
    code = text.split('**Python.**', 1)[1].split('```python\n', 1)[1].split('```', 1)[0]
    videos = [str(folder / 'red_circle' / 'red_circle_0000.mp4'), str(folder / 'blue_square' / 'blue_square_0000.mp4')]
    for name, value in (('config', config), ('checkpoint', checkpoint), ('videos', videos)):
        code, count = re.subn(rf'^{name} = .*$', f'{name} = {value!r}', code, flags=re.M)
        assert count == 1, name
    scope = {}
    exec(compile(code, 'README.md', 'exec'), scope)
    printed = capsys.readouterr().out.splitlines()
    probs = eval(next(line for line in printed if line.startswith('{')))
    assert list(probs) == ['red circle', 'blue square', 'green star'] and sum(probs.values()) == pytest.approx(1)
    assert scope['video_features'].shape == (2, 128) and scope['text_features'].shape == (3, 128)
    cosine = scope['video_features'] @ scope['text_features'].T
    assert (cosine.argmax(1) == torch.tensor([0, 1])).all()  # each clip closest to its own class
