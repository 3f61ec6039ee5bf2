# ViLT-CLIP (AAAI 2024; our design from its abstract, docs/vilt_clip.md) base-to-novel on Kinetics-400.
#
# The data, few-shot lists, schedule and evaluation of configs/ga2clip_b2n_k400.py, with ViLT-CLIP's parts in
# place of GA2-CLIP's: independent vision and text prompts (IVLP: coupling='none', no hard prompt, no anchor
# term), the inter-modal prompt mapping (text prompt -> additive offset of the vision prompt, every shared
# prompted layer, zero-initialised) and the hand-crafted-prompt consistency loss towards the frozen CLIP
# features of "a video of a person doing <class>." (l2 of the normalised features, weight 8.0: KgCoOp's
# weight for the same term; the abstract gives none).
#   FS_SEED=2 python tools/train.py configs/vilt_clip_b2n_k400.py   # -> work_dirs/vilt_clip_b2n_k400_s2
_base_ = ['./ga2clip_b2n_k400.py']

fs_seed = '{{$FS_SEED:1}}'  # few-shot training list fs_base_s<FS_SEED> (1, 2 or 3)

model = dict(
    cls_head=dict(coupling='none', hard_prompt=None),
    anchor_loss=None,
    prompt_mapping=dict(type='InterModalPromptMapping'),  # num_layers: all shared layers (9)
    consistency_loss=dict(type='HandcraftedConsistencyLoss', mode='l2', loss_weight=8.0,
                          template='a video of a person doing {}.'))

# The few-shot base list of the GA2-CLIP config without its anchor-set wrapper and anchor batches.
train_dataloader = dict(
    batch_sampler=None,
    dataset=dict(_delete_=True, **_base_.train_dataloader.dataset.dataset))
work_dir = f'./work_dirs/vilt_clip_b2n_k400_s{fs_seed}'
