# ViLT-CLIP (our design from its abstract, docs/vilt_clip.md) on the embedded demo's synthetic world.
#
# The IVLP demo baseline (configs/ga2clip_b2n_demo_ivlp.py: independent deep prompts in both towers, no hard
# prompt, no anchors, same data and schedule) plus ViLT-CLIP's inter-modal prompt mapping (every shared
# prompted layer: 3 = min(language_depth 3, vision_depth 4); 4 tokens on both sides) and its hand-crafted-prompt
# consistency loss. The synthetic world has no people in it, so the hand-crafted prompt is the demo's zero-shot
# template 'a video of a {}.' (the one the demo, projects/ga2clip_demo/tools/run_demo.py, scores zero-shot CLIP
# with) instead of the abstract's
# 'a video of a person doing {}.'. Consistency at KgCoOp's strength: the cos form (1 - cos) at 8.0, KgCoOp's
# weight for that form. (The l2 form on unit vectors is 2 (1 - cos), so l2 at 8.0, the value of
# configs/vilt_clip_b2n_{k400,hmdb51,ucf101,ssv2}.py and of this demo before issue 22, is twice KgCoOp's strength;
# projects/ga2clip_demo/tools/run_demo.py keeps it as the labelled extra row `vilt_l2_8`.)
_base_ = ['./ga2clip_b2n_demo_ivlp.py']

model = dict(
    type='ViLTCLIPRecognizer',
    prompt_mapping=dict(type='InterModalPromptMapping'),
    consistency_loss=dict(type='HandcraftedConsistencyLoss', mode='cos', loss_weight=8.0,
                          template='a video of a {}.'))
