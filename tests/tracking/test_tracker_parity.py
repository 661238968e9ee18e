"""Our trackers give Ultralytics' tracks (8.4, same detections), up to a renaming of IDs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tracking_harness import assert_same_tracks, mot17_detections, run_ours, run_ultralytics

from tracklake.tracking import TrackerConfig
from tracklake.tracking.config import TRACKER_TYPES
from tracklake.types import RECOVERED, Detections, Tracks

# Ultralytics' own defaults, except BoT-SORT and TrackTrack without camera-motion compensation.
CONFIGS = {name: TrackerConfig.of(name, gmc_method="none") for name in TRACKER_TYPES}


@pytest.mark.slow
@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
@pytest.mark.parametrize("video", ["TUD-Campus", "TUD-Stadtmitte"])
def test_same_tracks_on_yolo_detections(tud_detections, video, tracker_type):
    frames = tud_detections[video]
    assert sum(map(len, frames)) > 5 * len(frames)  # the detector found people on most frames
    config = CONFIGS[tracker_type]
    assert_same_tracks(run_ours(config, frames), run_ultralytics(config, frames))


@pytest.mark.slow
@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_same_tracks_on_a_long_dense_scene(mot17_04, tracker_type):
    config = CONFIGS[tracker_type]
    ours = run_ours(config, mot17_04)
    assert len(np.unique(np.concatenate([t.track_ids for t in ours]))) > 60  # 83 people
    assert_same_tracks(ours, run_ultralytics(config, mot17_04))


@pytest.mark.slow
@pytest.mark.parametrize("sequence", ["MOT17-05", "MOT17-13"])
@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_same_tracks_on_other_scenes(mot17_dir, sequence, tracker_type):
    """MOT17-05: small frames, people at the edges; MOT17-13: a moving camera."""
    frames = mot17_detections(mot17_dir / sequence)
    config = CONFIGS[tracker_type]
    assert_same_tracks(run_ours(config, frames), run_ultralytics(config, frames))


@pytest.mark.parametrize(
    "changes",
    [
        {"tracker_type": "ocsort", "use_byte": True, "delta_t": 5, "inertia": 0.4},
        {"tracker_type": "bytetrack", "fuse_score": False, "track_buffer": 5},
        {"tracker_type": "bytetrack", "track_buffer": 0, "match_thresh": 0.6},
        {"tracker_type": "botsort", "gmc_method": "none", "track_high_thresh": 0.5},
        {"tracker_type": "deepocsort", "use_byte": True, "delta_t": 2, "inertia": 0.3},
        {
            "tracker_type": "fasttrack",
            "occ_cover_thresh": 0.4,
            "reset_velocity_offset_occ": 2,
            "active_occ_to_lost_thresh": 3,
            "init_iou_suppress": 1.0,
            "track_buffer": 10,
        },
        {"tracker_type": "fasttrack", "enlarge_bbox_occ": 1.5, "occ_reappear_window": 5},
        {
            "tracker_type": "tracktrack",
            "gmc_method": "none",
            "lost_match_thr": 0.9,
            "min_track_len": 1,
            "penalty_p": 0.0,
        },
        {
            "tracker_type": "tracktrack",
            "gmc_method": "none",
            "track_high_thresh": 0.4,
            "tai_thr": 0.3,
            "reduce_step": 0.2,
        },
    ],
    ids=lambda changes: "-".join(f"{k}={v}" for k, v in changes.items()),
)
def test_same_tracks_with_other_settings(mot17_dir, changes):
    frames = mot17_detections(mot17_dir / "MOT17-09")
    config = TrackerConfig.of(**changes)
    assert_same_tracks(run_ours(config, frames), run_ultralytics(config, frames))


APPEARANCE_CONFIGS = {
    "botsort": {"proximity_thresh": 0.1, "appearance_thresh": 0.1},
    "deepocsort": {"proximity_thresh": 0.1, "appearance_thresh": 0.1},
    "tracktrack": {"reid_weight": 1.0},
}


@pytest.mark.parametrize("tracker_type", APPEARANCE_CONFIGS)
def test_same_tracks_with_appearance_embeddings(mot17_dir, tracker_type):
    """Random embeddings, with settings that let appearance decide matches."""
    rng = np.random.default_rng(7)
    frames = [
        Detections(d.boxes, d.scores, d.class_ids, {"embeddings": rng.normal(size=(len(d), 16))})
        for d in mot17_detections(mot17_dir / "MOT17-09")
    ]
    config = TrackerConfig.of(
        tracker_type, gmc_method="none", with_reid=True, **APPEARANCE_CONFIGS[tracker_type]
    )
    ours = run_ours(config, frames)
    assert_same_tracks(ours, run_ultralytics(config, frames))
    without = run_ours(dataclasses.replace(config, with_reid=False), frames)
    assert any(
        not np.array_equal(a.track_ids, b.track_ids) for a, b in zip(ours, without, strict=True)
    )


@pytest.mark.slow  # about 8 s a tracker: kept out of `make check`
@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_buffer_in_seconds_matches_ultralytics_buffer_in_frames(mot17_dir, tracker_type):
    """Ultralytics counts ``track_buffer`` in frames whatever the video; ours is seconds at
    30 fps, so a 15 fps video, or a 30 fps one read at ``vid_stride=2``, keeps lost tracks
    for half the frames: Ultralytics with ``track_buffer: 15``. (FastTrack: 10 and 5; on this
    sequence it gives the same tracks with a buffer of 15 frames as with 30.)"""
    frames = mot17_detections(mot17_dir / "MOT17-09")
    buffer = 10 if tracker_type == "fasttrack" else 30
    config = dataclasses.replace(CONFIGS[tracker_type], track_buffer=buffer)
    theirs = run_ultralytics(dataclasses.replace(config, track_buffer=buffer // 2), frames)
    assert_same_tracks(run_ours(config, frames, fps=15), theirs)
    assert_same_tracks(run_ours(config, frames, fps=30, vid_stride=2), theirs)
    with pytest.raises(AssertionError):
        assert_same_tracks(run_ours(config, frames, fps=30), theirs)


@pytest.mark.slow
def test_tracktrack_matches_the_recovered_set_as_ultralytics_does(mot17_04):
    """Detections a looser NMS recovered (``extras["recovered"]``; Ultralytics' ``dets_del``)
    join TrackTrack's first association at ``penalty_q``: the same tracks as Ultralytics'
    TrackTrack given the same second set. Here a random 15% of each frame's detections play
    the part of the boxes the NMS dropped."""
    from tracking_harness import UltralyticsBoxes, ultralytics_tracker

    config, rng = CONFIGS["tracktrack"], np.random.default_rng(3)
    theirs_tracker = ultralytics_tracker(config)
    ours_frames, theirs, kept_counts = [], [], []
    for detections in mot17_04[:400]:
        dropped = rng.random(len(detections)) < 0.15
        kept, recovered = detections[~dropped], detections[dropped]
        both = Detections.concatenate([kept, recovered])
        flags = np.arange(len(both)) >= len(kept)
        ours_frames.append(Detections(both.boxes, both.scores, both.class_ids, {RECOVERED: flags}))
        second = UltralyticsBoxes.of(recovered)
        dets_del = (second.xywh, second.conf, second.cls) if len(recovered) else None
        update = theirs_tracker.update(UltralyticsBoxes.of(kept), None, dets_del=dets_del)
        update = update.reshape(-1, 8)
        theirs.append(update[np.lexsort((update[:, 0], update[:, 7]))])  # -1s by x1
        kept_counts.append(len(kept))
    ours = []
    for tracks, kept in zip(run_ours(config, ours_frames), kept_counts, strict=True):
        index = np.where(tracks.detection_index < kept, tracks.detection_index, -1)  # theirs
        order = np.lexsort((tracks.boxes[:, 0], index))
        ours.append(
            Tracks(tracks.track_ids[order], tracks.boxes[order], tracks.scores[order],
                   tracks.class_ids[order], index[order])
        )  # fmt: skip
    assert sum(int((t[:, 7] == -1).sum()) for t in theirs) > 50  # recovered boxes matched
    assert_same_tracks(ours, theirs)
