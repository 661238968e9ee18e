"""Labelled footage for tuning tests and benchmarks, made from MOT17 ground truth, no video.

``write_gt_footage`` writes a MOTChallenge dataset (the first frames of some MOT17 sequences:
``seqinfo.ini`` and ``gt/gt.txt``) and a run's saved detections for it, as
``track --save-detections`` would have written them: the pedestrians' boxes, jittered, with
scores, optionally hidden from the detector for stretches of time (occlusions), as a
tracker's buffer must bridge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tracklake.io.detection_store import DetectionFileWriter
from tracklake.io.footer import Footer
from tracklake.types import Detections, VideoStatus, VideoSummary

MOT17_PEDESTRIAN = 1


def _pedestrian_rows(gt_file: Path, frames: int) -> np.ndarray:
    """``(N, 9)`` float64: the ground truth's pedestrians to find in frames 1..``frames``."""
    truth = np.loadtxt(gt_file, delimiter=",", ndmin=2)
    kept = (truth[:, 7] == MOT17_PEDESTRIAN) & (truth[:, 6] == 1) & (truth[:, 0] <= frames)
    return truth[kept]


def _detections(
    rows: np.ndarray, frames: int, gap: int, period: int, rng: np.random.Generator
) -> list[Detections]:
    """One ``Detections`` per frame from ground-truth ``rows``: boxes jittered by 2% of their
    size, scores in [0.5, 0.95]; each pedestrian is hidden for ``gap`` frames of every
    ``period`` (at its own phase), none with ``gap`` 0."""
    phases = {track: int(rng.integers(period)) for track in np.unique(rows[:, 1])}
    phase = np.array([phases[track] for track in rows[:, 1]])
    seen = (rows[:, 0] + phase) % period >= gap
    rows = rows[seen]
    boxes = np.column_stack(
        [rows[:, 2], rows[:, 3], rows[:, 2] + rows[:, 4], rows[:, 3] + rows[:, 5]]
    )
    size = np.column_stack([rows[:, 4], rows[:, 5], rows[:, 4], rows[:, 5]])
    boxes = boxes + rng.normal(0.0, 0.02, boxes.shape) * size
    scores = rng.uniform(0.5, 0.95, len(rows))
    frame_of = rows[:, 0].astype(np.int64) - 1
    return [
        Detections(
            boxes[frame_of == frame], scores[frame_of == frame], np.zeros((frame_of == frame).sum())
        )
        for frame in range(frames)
    ]


def _write_saved(run: Path, name: str, fps: float, frames: list[Detections]) -> None:
    footer = Footer(video_id=name, vid_stride=1)
    with DetectionFileWriter(run, name, {0: "person"}, 0.25, fps, footer) as writer:
        for frame, detections in enumerate(frames):
            writer.append(frame, frame / fps, detections)
        summary = VideoSummary(
            video_id=name, path=f"{name}.mp4", status=VideoStatus.OK, error="",
            frames=len(frames), fps=fps, width=1920, height=1080,
            duration_s=len(frames) / fps, detections=sum(len(d) for d in frames), tracks=0,
            seconds=0.0, extra={},
        )  # fmt: skip
        writer.commit(Footer(summary=summary), frames=len(frames))


def write_sequence(shared_dir: Path, root: Path, name: str, frames: int, detections) -> None:
    """Write the first ``frames`` frames of MOT17 sequence ``name`` as ``root/dataset/<name>``
    (``seqinfo.ini`` and the ground truth) and ``detections`` (one ``Detections`` a frame) as
    its saved detections in ``root/run``."""
    source = shared_dir / "mot17" / name
    info = (source / "seqinfo.ini").read_text().splitlines()
    fps = float(next(line.split("=")[1] for line in info if line.startswith("frameRate")))
    folder = root / "dataset" / name
    (folder / "gt").mkdir(parents=True)
    lines = [line for line in info if not line.startswith("seqLength")]
    (folder / "seqinfo.ini").write_text("\n".join([*lines, f"seqLength={frames}"]) + "\n")
    truth = np.loadtxt(source / "gt" / "gt.txt", delimiter=",", ndmin=2)
    np.savetxt(folder / "gt" / "gt.txt", truth[truth[:, 0] <= frames], fmt="%.10g", delimiter=",")
    _write_saved(root / "run", name, fps, detections[:frames])


def write_gt_footage(
    shared_dir: Path,
    root: Path,
    sequences: dict[str, int],
    gap: int = 0,
    period: int = 100,
    seed: int = 0,
) -> tuple[Path, Path]:
    """Write ``root/dataset`` and ``root/run`` for ``sequences``, the detections made from
    the ground truth by ``_detections``.

    Args:
        shared_dir: the shared test material.
        root: the folder to write into.
        sequences: MOT17 sequence name -> frames kept from its start.
        gap, period: each pedestrian is unseen ``gap`` frames of every ``period``.
        seed: the seed of the jitter, scores and occlusion phases.

    Returns:
        the dataset folder and the run folder.
    """
    rng = np.random.default_rng(seed)
    for name, frames in sequences.items():
        rows = _pedestrian_rows(shared_dir / "mot17" / name / "gt" / "gt.txt", frames)
        write_sequence(shared_dir, root, name, frames, _detections(rows, frames, gap, period, rng))
    return root / "dataset", root / "run"
