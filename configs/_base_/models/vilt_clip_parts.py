# ViLT-CLIP's parts (AAAI 2024; our design from its abstract, docs/vilt_clip.md), merged into a GA2-CLIP recipe's
# model by configs/vilt_clip_b2n_*.py (`model = _base_.vilt_clip_model`): independent vision and text prompts
# (IVLP: coupling='none', no hard prompt, no anchor term), the inter-modal prompt mapping (text prompt ->
# additive offset of the vision prompt, every shared prompted layer, zero-initialised) and the hand-crafted-prompt
# consistency loss towards the frozen CLIP features of "a video of a person doing <class>." (l2 of the normalised
# features, weight 8.0: KgCoOp's weight for the same term; the abstract gives none).
vilt_clip_model = dict(
    type='ViLTCLIPRecognizer',
    cls_head=dict(coupling='none', hard_prompt=None, anchor_loss=None,
                  consistency_loss=dict(type='HandcraftedConsistencyLoss', mode='l2', loss_weight=8.0,
                                        template='a video of a person doing {}.')),
    prompt_mapping=dict(type='InterModalPromptMapping'))  # num_layers: all shared layers
