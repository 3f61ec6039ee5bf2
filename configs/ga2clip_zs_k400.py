# GA2-CLIP zero-shot protocol, training run: all of Kinetics-400, the training of
# configs/ga2clip_k400_fully_supervised.py (anchors off, so no anchor clip can leak into an evaluation list).
# Evaluate the last checkpoint with
#   python tools/eval_zero_shot.py --checkpoint work_dirs/ga2clip_zs_k400/epoch_12.pth \
#       configs/ga2clip_zs_eval_{hmdb51,ucf101,k600}_split{1,2,3}.py
# (mean +- std over the three splits of each dataset; no published numbers).
_base_ = ['./ga2clip_k400_fully_supervised.py']
