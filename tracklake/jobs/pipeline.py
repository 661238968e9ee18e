"""One video end to end, without Ray: decode, detect in batches, track in order, write.

``track_video`` is what every worker runs for each video; tests drive it with a fake
detector, ``bench/pipeline_ceiling.py`` measures its ceiling with a detector that costs
nothing, and ``bench/gpu_throughput.py`` runs it as Ray workers do, without Ray, on a GPU
(BENCHMARKS.md, "On a GPU").

Frames are decoded at the size the detector scales them to (``scale_at="decode"``), so a
1080p frame is held as 640x360, and the frames decoded ahead of the detector are capped at
``decode_buffer_bytes`` per open video, whatever the video's length or resolution.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from tracklake.config import PipelineConfig
from tracklake.io.detection_store import DetectionFileWriter
from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.footer import Footer
from tracklake.io.image_sequence import ImageSequenceDecoder, open_decoder
from tracklake.io.prefetch import prefetch
from tracklake.io.store import TrackFileWriter
from tracklake.io.video import VideoDecoder, VideoInfo
from tracklake.io.video_source import local_video, source_stat
from tracklake.jobs.plan import TrackingPlan
from tracklake.tracking import make_tracker
from tracklake.tracking.recovered import for_tracker, recovered_count
from tracklake.types import Detections, Tracks, VideoRef, VideoStatus, VideoSummary

# Per-detection extras that become columns of the tracks file; others (embeddings) do not.
STORED_EXTRAS = ("keypoints", "masks_rle")
_PREFETCH_BATCHES = 2


class FrameDetector(Protocol):
    """What the pipeline needs of a detector (``tracklake.detection.Detector`` is one)."""

    @property
    def class_names(self) -> Mapping[int, str]:
        """Class id -> name."""
        ...

    def input_frame_size(self, frame_size: tuple[int, int]) -> tuple[int, int]:
        """The ``(h, w)`` the detector scales an ``(H, W)`` frame to; the pipeline decodes
        frames at this size."""
        ...

    def detect(
        self,
        frames: Sequence[np.ndarray] | np.ndarray,
        frame_sizes: Sequence[tuple[int, int]] | None = None,
    ) -> list[Detections]:
        """``(N, h, w, 3)`` uint8 RGB frames scaled from originals of ``frame_sizes``
        (``(H, W)`` each; ``None``: the frames are the originals) -> one ``Detections`` per
        frame, in original pixels."""
        ...


def frames_per_chunk(
    frames_per_request: int, frame_shape: tuple[int, int], buffer_bytes: int
) -> int:
    """Frames a video decodes per request to the detector: at most ``frames_per_request``,
    and few enough that the chunks waiting in the prefetch queue plus the one being decoded
    fit in ``buffer_bytes`` (``frame_shape`` is the decoded ``(h, w)``); at least one."""
    frame_bytes = 3 * frame_shape[0] * frame_shape[1]
    fitting = buffer_bytes // ((_PREFETCH_BATCHES + 1) * frame_bytes)
    return max(1, min(frames_per_request, fitting))


def video_footer(ref: VideoRef, config: PipelineConfig, run_footer: Footer) -> Footer:
    """The tracks file footer as known before decoding starts: the run's, and the video's."""
    size, mtime = source_stat(ref)
    return replace(
        run_footer,
        video_id=ref.video_id,
        source_path=ref.path,
        source_size=size,
        source_mtime=mtime,
        tracker=config.tracker.to_dict(),
        vid_stride=config.vid_stride,
    )


def tracker_input(found: Detections, config: PipelineConfig) -> Detections:
    """What the tracker sees of a frame's detections: with saved detections the detector ran
    at the floor, so only those the run's ``conf`` keeps; the recovered second set only for
    a tracker that uses it (``recovered``)."""
    if config.save_detections:
        found = found[found.scores > config.detector.conf]
    return for_tracker(found, config.tracker)


def _aligned_extras(detections: Detections, tracks: Tracks) -> dict[str, np.ndarray]:
    """The stored extras of the detections each track came from, row for row."""
    return {
        name: values[tracks.detection_index]
        for name, values in detections.extras.items()
        if name in STORED_EXTRAS
    }


def _summary(
    ref: VideoRef,
    status: VideoStatus,
    error: str,
    info: VideoInfo,
    frames: int,
    detections: int,
    tracks: int,
    started: float,
) -> VideoSummary:
    return VideoSummary(
        video_id=ref.video_id,
        path=ref.path,
        status=status,
        error=error,
        frames=frames,
        fps=info.fps,
        width=info.width,
        height=info.height,
        duration_s=info.duration_s,
        detections=detections,
        tracks=tracks,
        seconds=time.monotonic() - started,
        extra=dict(ref.extra),
    )


def track_video(
    ref: VideoRef,
    detector: FrameDetector,
    plan: TrackingPlan,
    out_dir: str | Path,
    run_footer: Footer,
) -> VideoSummary:
    """Track one video and write ``OUT/tracks/<video>.parquet``.

    A video that cannot be opened returns a ``failed`` summary and writes nothing; one that
    breaks part way keeps the frames before the break, writes them and returns ``partial``.
    Errors that are not the video's fault (the detector, the disk) propagate.

    Args:
        ref: the video.
        detector: turns batches of frames into detections.
        plan: decoding, detection and tracking settings, resolved.
        out_dir: the run's output folder.
        run_footer: the footer entries every video of the run shares (model, fingerprint).
    """
    started = time.monotonic()
    try:
        with local_video(ref) as path:
            threads, max_pixels = plan.device.decode_threads, plan.pipeline.max_frame_pixels
            decoder = open_decoder(path, threads, max_pixels)
            return _track_decoded(ref, decoder, detector, plan, out_dir, run_footer, started)
    except VideoError as error:
        if error.path != ref.path:  # a temporary local copy: name what the user named
            error = VideoError(ref.path, error.kind, error.detail, error.frames_decoded)
        return VideoSummary.failed(ref, str(error), seconds=time.monotonic() - started)


def _track_decoded(
    ref: VideoRef,
    decoder: VideoDecoder | ImageSequenceDecoder,
    detector: FrameDetector,
    plan: TrackingPlan,
    out_dir: str | Path,
    run_footer: Footer,
    started: float,
) -> VideoSummary:
    config = plan.pipeline
    frame_size = (decoder.info.height, decoder.info.width)
    decoded_size = frame_size
    if config.scale_at == "decode":
        decoded_size = detector.input_frame_size(frame_size)
    tracker = make_tracker(
        config.tracker,
        decoder.info.fps,
        config.vid_stride,
        frame_size=frame_size if decoded_size != frame_size else None,
    )
    requested = plan.device.frames_per_request
    chunk = frames_per_chunk(requested, decoded_size, config.decode_buffer_bytes)
    batches = prefetch(
        decoder.batches(chunk, config.vid_stride, size=(decoded_size[1], decoded_size[0])),
        depth=_PREFETCH_BATCHES,
        stall_timeout_s=config.stall_timeout_s,
        on_stall=lambda: VideoError(
            ref.path,
            VideoErrorKind.TIMEOUT,
            f"the decoder produced no frame for {config.stall_timeout_s:g} s",
        ),
    )
    frames = detection_count = 0
    status, error = VideoStatus.OK, ""
    footer = video_footer(ref, config, run_footer)
    with ExitStack() as files:
        writer = files.enter_context(
            TrackFileWriter(out_dir, ref.video_id, detector.class_names, footer)
        )
        saved = _detections_writer(
            ref, config, decoder.info, detector.class_names, out_dir, footer,
            camera_motion=(
                config.tracker.gmc_method if config.tracker.compensates_camera_motion else None
            ),
        )  # fmt: skip
        if saved is not None:
            files.enter_context(saved)
        try:
            for batch in batches:
                originals = [frame_size] * len(batch)
                for i, found in enumerate(detector.detect(batch.frames, originals)):
                    frame, time_s = int(batch.indices[i]), float(batch.times_s[i])
                    detections = tracker_input(found, config)
                    image = batch.frames[i] if tracker.needs_frame else None
                    tracks = tracker.update(detections, image)
                    if saved is not None:
                        saved.append(frame, time_s, found, tracker.camera_warp)
                    writer.append(frame, time_s, tracks, _aligned_extras(detections, tracks))
                    detection_count += len(detections) - recovered_count(detections)
                frames += len(batch)
        except VideoError as video_error:
            if not video_error.is_partial:
                raise
            status, error = VideoStatus.PARTIAL, str(video_error)
        summary = _summary(
            ref, status, error, decoder.info, frames, detection_count,
            len(writer.track_ids), started,
        )  # fmt: skip
        # The summary, in the footer, lets a later run resume without reading the tracks.
        final_footer = replace(footer, summary=summary)
        if saved is not None:
            saved.commit(final_footer, frames=frames)
        writer.commit(final_footer)
    return summary


def _detections_writer(
    ref: VideoRef,
    config: PipelineConfig,
    info: VideoInfo,
    class_names: Mapping[int, str],
    out_dir: str | Path,
    footer: Footer,
    camera_motion: str | None,
) -> DetectionFileWriter | None:
    """The writer of ``OUT/detections/<video>.parquet`` when the run saves detections;
    ``camera_motion``: the ``gmc_method`` whose warps are saved too, if any."""
    if not config.save_detections:
        return None
    return DetectionFileWriter(
        out_dir, ref.video_id, class_names, config.detector.conf, info.fps, footer,
        camera_motion,
    )  # fmt: skip
