"""MOTChallenge datasets: sequence folders, ground-truth formats, image sequences as videos."""

from __future__ import annotations

import numpy as np
import pytest
from testkit import ffmpeg, link_sequence

from tracklake.io.errors import VideoError
from tracklake.io.image_sequence import ImageSequenceDecoder, open_decoder
from tracklake.io.mot_dataset import DatasetError, gt_benchmark, read_dataset
from tracklake.io.probe import probe
from tracklake.io.sources import resolve_sources
from tracklake.io.video import VideoDecoder


@pytest.fixture(scope="module")
def image_dataset(tmp_path_factory, shared_dir):
    """TUD-Campus as a sequence folder of JPEG frames (img1/000001.jpg ...), no video."""
    root = tmp_path_factory.mktemp("images")
    folder = link_sequence(root, shared_dir, "TUD-Campus", video=False)
    (folder / "img1").mkdir()
    video = shared_dir / "videos" / "TUD-Campus.mp4"
    ffmpeg("-i", str(video), "-q:v", "2", str(folder / "img1" / "%06d.jpg"))
    return root


def test_dataset_of_videos(mot15_dataset):
    sequences = read_dataset(mot15_dataset)
    assert [s.name for s in sequences] == ["TUD-Campus", "TUD-Stadtmitte"]
    assert [(s.info.frames, s.info.fps, s.info.width) for s in sequences] == [
        (71, 25.0, 640),
        (179, 25.0, 640),
    ]
    refs = resolve_sources([str(mot15_dataset)])
    assert [(r.video_id, r.path.endswith(f"{r.video_id}.mp4")) for r in refs] == [
        ("TUD-Campus", True),
        ("TUD-Stadtmitte", True),
    ]
    # a single sequence folder is a dataset of one
    assert [s.name for s in read_dataset(mot15_dataset / "TUD-Campus")] == ["TUD-Campus"]


def test_ground_truth_formats(shared_dir):
    # TUD-Stadtmitte's MOT15 rows carry world coordinates in columns 8-10, not -1
    assert gt_benchmark(shared_dir / "mot15/TUD-Campus/gt/gt.txt") == "MOT15"
    assert gt_benchmark(shared_dir / "mot15/TUD-Stadtmitte/gt/gt.txt") == "MOT15"
    assert gt_benchmark(shared_dir / "mot17/MOT17-02/gt/gt.txt") == "MOT17"


def test_bad_datasets_name_the_folder(tmp_path, shared_dir, shared_videos):
    with pytest.raises(DatasetError, match="no sequence folder"):
        read_dataset(shared_videos)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "seqinfo.ini").write_text("[Sequence]\nname=broken\n")
    with pytest.raises(DatasetError, match=r"broken/seqinfo.ini: missing or bad entry"):
        read_dataset(tmp_path)


def test_ground_truth_only_sequences_are_scorable_not_trackable(shared_dir):
    (sequence,) = read_dataset(shared_dir / "mot15" / "TUD-Campus")
    assert sequence.video is None and sequence.ref().path == str(sequence.folder)
    with pytest.raises(VideoError, match=r"empty: no \.jpg files in img1/"):
        open_decoder(sequence.ref().path, 1)


def test_image_sequence_decodes_like_its_video(image_dataset, shared_videos):
    folder = image_dataset / "TUD-Campus"
    (ref,) = resolve_sources([str(image_dataset)])
    assert (ref.video_id, ref.path) == ("TUD-Campus", str(folder))
    decoder = open_decoder(str(folder), 1)
    assert isinstance(decoder, ImageSequenceDecoder)
    assert decoder.info.frames == 71 and decoder.info.fps == 25.0
    assert (decoder.info.width, decoder.info.height) == (640, 480)
    batches = list(decoder.batches(8, vid_stride=2))
    indices = np.concatenate([b.indices for b in batches])
    np.testing.assert_array_equal(indices, np.arange(0, 71, 2))
    np.testing.assert_allclose(np.concatenate([b.times_s for b in batches]), indices / 25.0)
    video = next(VideoDecoder(shared_videos / "TUD-Campus.mp4").batches(8, vid_stride=2))
    difference = np.abs(batches[0].frames.astype(int) - video.frames.astype(int)).mean()
    assert difference < 3  # the same pictures, up to JPEG re-encoding
    assert probe(ref).info == decoder.info
