"""Inference helpers for what ``mmaction.apis`` lacks with an open-vocabulary model (imported explicitly).

``mmaction.apis.init_recognizer`` / ``inference_recognizer`` work on our configs and checkpoints as they are;
this package adds switching the class list (:func:`set_classes`), video and text features
(:func:`encode_videos`, :func:`encode_texts`), scoring many videos or windows in worker processes
(:func:`score_clips`), timelines of long videos and a rejection threshold calibrated on the anchor set.
"""
from .model import build_model, config_test_pipeline, is_small_checkpoint, parse_class_names
from .open_vocab import VideoScores, encode_texts, encode_videos, score_clips, set_classes
from .video_loader import ClipItem, VideoClips, iter_batches

__all__ = [
    'ClipItem', 'VideoClips', 'VideoScores', 'build_model', 'config_test_pipeline', 'encode_texts',
    'encode_videos', 'is_small_checkpoint', 'iter_batches', 'parse_class_names', 'score_clips', 'set_classes'
]
