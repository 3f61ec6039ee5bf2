# Step 1 of the recipes, the hard-prompt stage: a prompt model whose layer-0 text context becomes the hard prompt of
# the later runs (tools/data/extract_hard_prompt.py). IVLP prompts only (no coupling, no hard prompt, no anchor
# term) from OpenAI CLIP (the model base's starting weights), the closed-set protocol with the base-to-novel
# schedule (./closed_set.py). The run config sets the class list and the lists.
_base_ = ['./closed_set.py', '../schedules/ga2clip_b2n_12e.py']

model = dict(cls_head=dict(coupling='none', hard_prompt=None, anchor_loss=None))
