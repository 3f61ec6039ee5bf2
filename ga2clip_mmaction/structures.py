"""Metainfo keys and constants that the data side writes and the model side reads (as MMAction2's ``structures``).

``datasets/`` and ``models/`` both import them from here, so neither imports the other.
"""

#: Metainfo flag of an anchor clip's data sample (set by ``AnchorSetDataset``; the anchor data preprocessor takes
#: such samples out of the batch and hands them over as ``anchor_inputs``).
IS_ANCHOR_KEY = 'is_anchor'
#: Metainfo key of a clip's device-augmentation record (written by the ``*Params`` transforms, applied by
#: ``DeviceAugmentDataPreprocessor``).
DEVICE_AUG_KEY = 'device_aug'
#: Metainfo key of the bad videos a sample stands in for (``RobustVideoDataset``; read by ``BadVideoHook``).
BAD_VIDEOS_KEY = 'bad_videos'
#: ITU-R BT.601 luma weights of R, G, B: the grayscale of ``RandomGrayscale`` and of the device augmentation.
LUMA_RGB = (0.299, 0.587, 0.114)

__all__ = ['BAD_VIDEOS_KEY', 'DEVICE_AUG_KEY', 'IS_ANCHOR_KEY', 'LUMA_RGB']
