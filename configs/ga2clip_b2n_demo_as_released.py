# GA2-CLIP as released, on the embedded demo: the hard prompt + coupling, with the released anchor term as the
# release ships it (mode='official' with the one-name list ['else']).
#
# With one anchor name the released term adds the same constant to every logit of a row, so cross-entropy and its
# gradient ignore it (AnchorLoss.is_inert; building it is refused unless allow_inert=True), so this config says
# plainly what trains: no anchor term and no anchor clips (as the released recipes' _base_/protocols/b2n.py does).
# What trains is what the released code trains: the deep prompts, the stage-1 hard prompt coupled by concat_mlp, and
# no anchor effect (the components the ablation's "hard prompt alone" trains). The primary comparison of the
# confirmatory study (docs/results/plan_confirmatory.md) is this config against configs/ga2clip_b2n_demo_ivlp.py.
_base_ = ['./ga2clip_b2n_demo.py']

model = dict(cls_head=dict(anchor_loss=None))
train_dataloader = dict(batch_sampler=dict(num_anchors=0))
