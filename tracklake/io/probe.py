"""Opening every video of a source without decoding it: what a run would see."""

from __future__ import annotations

from dataclasses import dataclass

from tracklake.io.errors import VideoError
from tracklake.io.image_sequence import open_decoder
from tracklake.io.video import VideoInfo
from tracklake.io.video_source import local_video
from tracklake.types import VideoRef


@dataclass(frozen=True)
class ProbeResult:
    """A video's stream properties, or why it cannot be opened (``info`` is then ``None``).

    ``warning`` says why a video that opened will decode only part way (``""`` if not).
    """

    ref: VideoRef
    info: VideoInfo | None
    error: str
    warning: str


def probe(ref: VideoRef, num_threads: int = 1) -> ProbeResult:
    """Open ``ref`` and read its stream properties; never raises for a bad video."""
    try:
        with local_video(ref) as path:
            decoder = open_decoder(path, num_threads)
            return ProbeResult(ref, decoder.info, "", decoder.cut_short)
    except VideoError as error:
        return ProbeResult(ref, None, str(error), "")
