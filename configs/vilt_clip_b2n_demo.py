# ViLT-CLIP (our design from its abstract, docs/vilt_clip.md) on the embedded demo's synthetic world.
#
# The IVLP demo baseline (configs/ga2clip_b2n_demo_ivlp.py: independent deep prompts in both towers, no hard
# prompt, no anchors, same data and schedule) plus ViLT-CLIP's inter-modal prompt mapping (every shared
# prompted layer: 3 = min(language_depth 3, vision_depth 4); 4 tokens on both sides) and its hand-crafted-prompt
# consistency loss. The synthetic world has no people in it, so the hand-crafted prompt is the demo's zero-shot
# template 'a video of a {}.' (the one tools/run_demo.py scores zero-shot CLIP with) instead of the abstract's
# 'a video of a person doing {}.'. Weight 8.0 with the l2 form, as in configs/vilt_clip_b2n_*.py.
_base_ = ['./ga2clip_b2n_demo_ivlp.py']

model = dict(
    prompt_mapping=dict(type='InterModalPromptMapping'),
    consistency_loss=dict(type='HandcraftedConsistencyLoss', mode='l2', loss_weight=8.0,
                          template='a video of a {}.'))
