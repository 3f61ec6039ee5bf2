# GA2-CLIP as released, on the embedded demo: the hard prompt + coupling, with the released anchor term as the
# release ships it (mode='official' with the one-name list ['else']).
#
# With one anchor name the released term adds the same constant to every logit of a row, so cross-entropy and its
# gradient ignore it (AnchorLoss.is_inert): the recognizer leaves it out and InertAnchorHook draws no anchor clips.
# What trains is what the released code trains: the deep prompts, the stage-1 hard prompt coupled by concat_mlp, and
# no anchor effect (the components the ablation's "hard prompt alone" trains). The primary comparison of the
# confirmatory study (docs/results/plan_confirmatory.md) is this config against configs/ga2clip_b2n_demo_ivlp.py.
_base_ = ['./ga2clip_b2n_demo.py']

model = dict(anchor_loss=dict(mode='official', anchor_names=['else']))
