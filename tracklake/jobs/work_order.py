"""The order a run hands its videos out in: those that cannot be opened, then longest first.

Longest first keeps the last video to finish from being a long one started late. Every video
is opened without decoding (in parallel: remote headers take a round trip each), which also
finds those that cannot be opened before any long work starts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tracklake.io.probe import probe
from tracklake.io.video_source import is_remote, source_stat
from tracklake.types import VideoRef

_OPENING_THREADS = 8


def video_length(ref: VideoRef) -> tuple[float, str]:
    """A sort key for longest-first, and why the video cannot be opened (``""`` when it can).

    Frames from the container; object size for remote files (copying them to count frames
    would cost a download).
    """
    if is_remote(ref):
        return float(source_stat(ref)[0]), ""
    result = probe(ref)
    return (float(result.info.frames), "") if result.info is not None else (0.0, result.error)


@dataclass(frozen=True)
class WorkOrder:
    """The videos in the order they are handed out, and what opening them told.

    Attributes:
        videos: those that cannot be opened first (they fail at once, with their cause,
            which ``--fail-fast`` wants to see before any long work), then longest first.
        local_frames: video id -> frame count, for local files.
        unopenable: video id -> why it cannot be opened.
    """

    videos: list[VideoRef]
    local_frames: dict[str, int]
    unopenable: dict[str, str]

    def without(self, finished: Collection[str]) -> WorkOrder:
        """The same order without the videos ``finished`` names."""
        return WorkOrder(
            videos=[ref for ref in self.videos if ref.video_id not in finished],
            local_frames={v: n for v, n in self.local_frames.items() if v not in finished},
            unopenable={v: e for v, e in self.unopenable.items() if v not in finished},
        )


def longest_first(refs: Sequence[VideoRef]) -> WorkOrder:
    """Open every video of ``refs`` (without decoding) and order them; see ``WorkOrder``."""
    with ThreadPoolExecutor(max_workers=_OPENING_THREADS) as pool:
        probed = dict(
            zip([ref.video_id for ref in refs], pool.map(video_length, refs), strict=True)
        )
    lengths = {video_id: length for video_id, (length, _) in probed.items()}
    unopenable = {video_id: error for video_id, (_, error) in probed.items() if error}
    return WorkOrder(
        videos=sorted(refs, key=lambda r: (r.video_id not in unopenable, -lengths[r.video_id])),
        local_frames={r.video_id: int(lengths[r.video_id]) for r in refs if not is_remote(r)},
        unopenable=unopenable,
    )
