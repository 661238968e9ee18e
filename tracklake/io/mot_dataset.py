"""A labelled dataset in MOTChallenge layout: one folder per sequence.

```
DATASET/
  TUD-Campus/
    seqinfo.ini          [Sequence] name, frameRate, seqLength, imWidth, imHeight, imDir, imExt
    gt/gt.txt            the ground truth (MOT15 or MOT17 format)
    img1/000001.jpg ...  the frames, or
    TUD-Campus.mp4       a video file named after the sequence
```

A sequence is a ``VideoRef`` whose ``video_id`` is the sequence's folder name and whose path is
its video file, or the sequence folder itself when it holds frames (``io.image_sequence``
decodes it). DATASET may also be a single sequence folder.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracklake.types import VideoRef

SEQINFO_FILE = "seqinfo.ini"
GT_FILE = Path("gt") / "gt.txt"
# The video extensions a sequence's video file may have (``io.sources.VIDEO_EXTENSIONS``).
_SEQUENCE_VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm")


class DatasetError(ValueError):
    """A folder that is not a readable MOTChallenge dataset; the message names the file."""


@dataclass(frozen=True)
class SequenceInfo:
    """What ``seqinfo.ini`` says about a sequence.

    Attributes:
        name: the sequence's name (its folder's name).
        fps: ``frameRate``.
        frames: ``seqLength``: frames in the sequence, the ground truth's 1-based frame range.
        width, height: ``imWidth``, ``imHeight`` in pixels.
        image_dir: ``imDir``, the frames' folder inside the sequence folder (``img1``).
        image_suffix: ``imExt``, the frames' file suffix (``.jpg``).
    """

    name: str
    fps: float
    frames: int
    width: int
    height: int
    image_dir: str
    image_suffix: str


def read_seqinfo(folder: str | Path) -> SequenceInfo:
    """Read ``folder/seqinfo.ini``.

    Raises:
        DatasetError: the file is missing or lacks a key; the message names it.
    """
    path = Path(folder) / SEQINFO_FILE
    parser = configparser.ConfigParser()
    if not parser.read(path):
        raise DatasetError(f"{path}: no such file")
    try:
        section = parser["Sequence"]
        return SequenceInfo(
            name=Path(folder).name,
            fps=float(section["frameRate"]),
            frames=int(section["seqLength"]),
            width=int(section.get("imWidth", "0")),
            height=int(section.get("imHeight", "0")),
            image_dir=section.get("imDir", "img1"),
            image_suffix=section.get("imExt", ".jpg"),
        )
    except (KeyError, ValueError) as error:
        raise DatasetError(f"{path}: missing or bad entry {error}") from None


@dataclass(frozen=True)
class MotSequence:
    """One labelled sequence of a dataset.

    Attributes:
        folder: the sequence folder.
        info: its ``seqinfo.ini``.
        video: its video file, or ``None`` when the frames are images.
    """

    folder: Path
    info: SequenceInfo
    video: Path | None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def gt_file(self) -> Path:
        return self.folder / GT_FILE

    def ref(self) -> VideoRef:
        """The sequence as an input of ``tracklake track``: its video, or its folder."""
        return VideoRef(self.name, str(self.video if self.video is not None else self.folder))


def is_sequence_folder(path: str | Path) -> bool:
    return (Path(path) / SEQINFO_FILE).is_file()


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a sequence folder or a folder of sequence folders."""
    path = Path(path)
    return path.is_dir() and (
        is_sequence_folder(path) or any(is_sequence_folder(child) for child in path.iterdir())
    )


def _sequence_video(folder: Path) -> Path | None:
    for suffix in _SEQUENCE_VIDEO_SUFFIXES:
        candidate = folder / f"{folder.name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def read_sequence(folder: str | Path) -> MotSequence:
    """One sequence folder; its video file is preferred to its frames when it has both.

    A folder with neither (ground truth only) can be scored but not tracked: decoding it
    fails with an error naming its missing frames.

    Raises:
        DatasetError: no readable ``seqinfo.ini``.
    """
    folder = Path(folder)
    return MotSequence(folder, read_seqinfo(folder), _sequence_video(folder))


def read_dataset(path: str | Path) -> list[MotSequence]:
    """The sequences of a dataset folder (or the one sequence of a sequence folder), by name.

    Raises:
        DatasetError: ``path`` holds no sequence folder, or one of them is unreadable.
    """
    path = Path(path)
    if is_sequence_folder(path):
        return [read_sequence(path)]
    if not path.is_dir():
        raise DatasetError(f"{path}: not a folder")
    folders = sorted(child for child in path.iterdir() if is_sequence_folder(child))
    if not folders:
        raise DatasetError(f"{path}: no sequence folder (a folder with {SEQINFO_FILE}) in it")
    return [read_sequence(folder) for folder in folders]


def read_gt_rows(gt_file: str | Path) -> np.ndarray:
    """``(N, C)`` float64 rows of a MOTChallenge ground-truth file (C is 9 or 10)."""
    try:
        rows = np.loadtxt(gt_file, delimiter=",", ndmin=2)
    except (OSError, ValueError) as error:
        raise DatasetError(f"{gt_file}: cannot read the ground truth: {error}") from None
    return rows


def gt_benchmark(gt_file: str | Path) -> str:
    """``MOT15`` or ``MOT17``: which ground-truth format ``gt_file`` holds, by its columns.

    MOT15 rows have 10 columns, ``frame,id,x,y,w,h,flag,wx,wy,wz`` (world coordinates, -1
    when unknown; every row a pedestrian); MOT16/17/20 rows have 9,
    ``frame,id,x,y,w,h,consider,class,visibility`` with class 1 a pedestrian and the others
    distractors, static persons or ignored.
    """
    columns = read_gt_rows(gt_file).shape[1]
    if columns not in (9, 10):
        raise DatasetError(
            f"{gt_file}: {columns} columns; MOTChallenge has 9 (MOT17) or 10 (MOT15)"
        )
    return "MOT15" if columns == 10 else "MOT17"
