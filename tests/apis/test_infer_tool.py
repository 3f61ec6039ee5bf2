"""ga2clip_mmaction.apis.infer_tool.collect_videos: what tools/infer.py takes as INPUT."""
import pytest

from ga2clip_mmaction.apis.infer_tool import collect_videos


def test_file_directory_and_list_file(tmp_path, monkeypatch):
    for rel in ('b/2.mp4', 'a/deep/1.AVI', 'a/0.webm', 'a/notes.txt'):
        (tmp_path / 'v' / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / 'v' / rel).write_bytes(b'x')
    root = tmp_path / 'v'
    assert collect_videos(str(root)) == [str(root / 'a' / '0.webm'), str(root / 'a' / 'deep' / '1.AVI'),
                                         str(root / 'b' / '2.mp4')]
    assert collect_videos(str(root / 'b' / '2.mp4')) == [str(root / 'b' / '2.mp4')]
    listing = root / 'list.txt'  # annotation lines, a comment, a path relative to the list's folder
    listing.write_text(f'# videos\n{root / "b" / "2.mp4"} 3\n\na/0.webm\nmissing.mp4\n')
    monkeypatch.chdir(tmp_path)
    assert collect_videos(str(listing)) == [str(root / 'b' / '2.mp4'), str(root / 'a' / '0.webm'), 'missing.mp4']
    with pytest.raises(FileNotFoundError, match='Video not found: .*nope.mp4'):
        collect_videos(str(tmp_path / 'nope.mp4'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no video files'):
        collect_videos(str(tmp_path / 'empty'))
