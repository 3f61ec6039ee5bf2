"""tools/data/make_codec_corpus.py: the codec settings asked for (size, fps, frame count, a GOP longer than the
clip so only frame 0 is a keyframe, B-frames for H.264, VP9 in webm) and moving content."""
import os.path as osp

import av
import decord
import numpy as np

from tools.data.make_codec_corpus import CORPUS, main


def test_corpus_entries_have_the_codec_settings(tmp_path):
    main([str(tmp_path), '--seconds', '1', '--only', 'h264_340x256', 'vp9_426x240'])
    for name, codec_name in (('h264_340x256', 'h264'), ('vp9_426x240', 'vp9')):
        ext, _, width, height, fps, gop, _ = CORPUS[name]
        path = osp.join(str(tmp_path), f'{name}.{ext}')
        with av.open(path) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == codec_name
            assert stream.codec_context.pix_fmt == 'yuv420p'
            packets = [p for p in container.demux(stream) if p.size]
        assert sum(p.is_keyframe for p in packets) == 1 and gop == 250  # GOP longer than the 1 s clip
        if codec_name == 'h264':  # B-frames: decoding order differs from presentation order
            assert [p.pts for p in packets] != sorted(p.pts for p in packets)
        reader = decord.VideoReader(path, num_threads=1)
        assert len(reader) == fps and reader[0].shape == (height, width, 3)
        frames = reader.get_batch([0, 1, fps - 1]).asnumpy().astype(int)
        assert np.abs(frames[0] - frames[1]).mean() > 3  # it moves
        assert frames.std() > 30  # textured
