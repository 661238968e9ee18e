"""The ceiling of the pipeline: track_video with a zero-cost detector against bare decoding.

Three ways through the same 1080p H.264 file, each decoding at the size a YOLO letterbox
at ``--imgsz`` scales the frames to (640x360 for 1920x1080 at 640):

- PyAV: ``container.decode`` and ``frame.to_ndarray(rgb24, width, height, BILINEAR)``,
  nothing else (what ``VideoDecoder`` does per frame);
- VideoDecoder: ``tracklake.io.video.VideoDecoder.batches(chunk, size=...)`` consumed;
- track_video: ``tracklake.jobs.pipeline.track_video`` with ByteTrack, writing Parquet, and
  a detector that costs nothing (it replays ``--boxes`` boxes a frame, moving 2 px a frame).

Each runs in 1, 2, ... ``--processes`` plain processes at once (spawned, each with its own
copy of the work on the same file, released together once set up); the table gives the
aggregate frames/s (all frames over the time from the start to the last process's end),
best of ``--repeat``. The row for 1 process is the per-process ratio: what one worker can
feed a GPU at most. Goal (issue 10): track_video >= 0.85x bare decoding per process, scaling
with processes until the cores run out.

    .venv/bin/python bench/pipeline_ceiling.py                  # about 2 minutes on 2 CPUs
    .venv/bin/python bench/pipeline_ceiling.py --processes 16   # a 16-core node
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tracklake without installing it (a bare GPU machine)

from tracklake.config import DEFAULT_DECODE_BUFFER_BYTES, JobConfig, PipelineConfig  # noqa: E402
from tracklake.detection.config import DetectorConfig  # noqa: E402
from tracklake.io.footer import Footer  # noqa: E402
from tracklake.io.video import VideoDecoder  # noqa: E402
from tracklake.jobs.pipeline import frames_per_chunk, track_video  # noqa: E402
from tracklake.jobs.plan import CPU_DEFAULTS, TrackingPlan, plan_device  # noqa: E402
from tracklake.tracking import load_tracker_config  # noqa: E402
from tracklake.types import Detections, VideoRef  # noqa: E402

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", REPO.parent / "shared"))
MODES = {"pyav": "PyAV", "decoder": "VideoDecoder", "track_video": "track_video"}


class ReplayDetector:
    """A ``FrameDetector`` that costs nothing: ``boxes`` people in a grid over the original
    frame, all walking right 2 px a frame, score 0.9, so the tracker keeps ``boxes`` tracks.

    Args:
        decoded_sizes: original ``(H, W)`` -> the ``(h, w)`` the real detector would ask
            for (``Letterbox.scaled_size``), computed by the caller.
    """

    def __init__(self, boxes: int, decoded_sizes: dict[tuple[int, int], tuple[int, int]]):
        self.class_names = {0: "person"}
        self.decoded_sizes = decoded_sizes
        columns = int(np.ceil(np.sqrt(boxes * 16 / 9)))
        x, y = np.divmod(np.arange(boxes), columns)[::-1]
        left, top = 40.0 + 220 * x, 40.0 + 200 * y
        self.boxes = np.stack([left, top, left + 40, top + 100], axis=1).astype(np.float32)
        self.scores = np.full(boxes, 0.9, np.float32)
        self.class_ids = np.zeros(boxes, np.int16)
        self.frames_seen = 0

    def input_frame_size(self, frame_size: tuple[int, int]) -> tuple[int, int]:
        return self.decoded_sizes[tuple(frame_size)]

    def detect(self, frames, frame_sizes=None) -> list[Detections]:
        detections = []
        for _ in range(len(frames)):
            shift = np.float32(2 * self.frames_seen)
            boxes = self.boxes + np.array([shift, 0, shift, 0], np.float32)
            detections.append(Detections(boxes, self.scores, self.class_ids))
            self.frames_seen += 1
        return detections


def decode_pyav(path: str, size: tuple[int, int], threads: int) -> int:
    import av

    frames = 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = threads
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24", width=size[1], height=size[0],
                             interpolation="BILINEAR")  # fmt: skip
            frames += 1
    return frames


def worker(mode: str, args: argparse.Namespace, decoded_size, number: int, barrier, results):
    """One process: set up, wait for the others, run ``mode`` once, report
    ``(frames, start, end)`` on the system-wide monotonic clock."""
    path = str(args.video)
    chunk = frames_per_chunk(args.batch, decoded_size, DEFAULT_DECODE_BUFFER_BYTES)
    if mode == "track_video":
        info = VideoDecoder(path, args.decode_threads).info
        detector = ReplayDetector(args.boxes, {(info.height, info.width): decoded_size})
        config = PipelineConfig(
            DetectorConfig(imgsz=args.imgsz, batch=args.batch),
            load_tracker_config("bytetrack"),
            decode_threads=args.decode_threads,
        )
        plan = TrackingPlan.of(config, plan_device(config, JobConfig(), CPU_DEFAULTS, 1))
        out = tempfile.mkdtemp(prefix="ceiling-")
    barrier.wait()
    started = time.monotonic()
    if mode == "pyav":
        frames = decode_pyav(path, decoded_size, args.decode_threads)
    elif mode == "decoder":
        decoder = VideoDecoder(path, args.decode_threads)
        batches = decoder.batches(chunk, size=(decoded_size[1], decoded_size[0]))
        frames = sum(len(batch) for batch in batches)
    else:
        ref = VideoRef(f"video-{number}", path)
        frames = track_video(ref, detector, plan, out, Footer(config_sha256="0" * 64)).frames
    ended = time.monotonic()
    if mode == "track_video":
        shutil.rmtree(out)
    results.put((frames, started, ended))


def aggregate_rate(mode: str, processes: int, args, decoded_size) -> float:
    """All processes' frames over the time from the first start to the last end."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=worker, args=(mode, args, decoded_size, n, barrier, results))
        for n in range(processes)
    ]
    for process in workers:
        process.start()
    reports = [results.get() for _ in workers]
    for process in workers:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a {mode} process failed with exit code {process.exitcode}")
    frames = sum(frames for frames, _, _ in reports)
    return frames / (max(end for _, _, end in reports) - min(start for _, start, _ in reports))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "videos" / "pedestrians-1080p.mp4")
    parser.add_argument("--processes", type=int, default=os.cpu_count(),
                        help="measure 1..this many processes at once")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--decode-threads", type=int, default=1, help="FFmpeg threads each")
    parser.add_argument("--boxes", type=int, default=40, help="detections replayed per frame")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--batch", type=int, default=32, help="frames per detector call")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated")
    args = parser.parse_args()
    modes = args.modes.split(",")

    from tracklake.detection.letterbox import Letterbox  # torch: here, not in each process

    info = VideoDecoder(args.video).info
    decoded_size = Letterbox.fit(
        (info.height, info.width), (args.imgsz, args.imgsz), 32, rect=True
    ).scaled_size
    print(f"{args.video.name}: {info.frames} frames of {info.width}x{info.height}, decoded at "
          f"{decoded_size[1]}x{decoded_size[0]} (imgsz {args.imgsz}); {args.decode_threads} "
          f"decode thread(s) per process; track_video: ByteTrack, {args.boxes} replayed boxes "
          f"a frame, Parquet written; {os.cpu_count()} CPUs; aggregate frames/s, best of "
          f"{args.repeat}\n")  # fmt: skip
    ratios = [m for m in ("decoder", "pyav") if "track_video" in modes and m in modes]
    print("| processes | " + " | ".join(f"{MODES[m]} frames/s" for m in modes)
          + "".join(f" | track_video / {MODES[m]}" for m in ratios) + " |")  # fmt: skip
    print("|---:|" + "---:|" * (len(modes) + len(ratios)))
    for processes in range(1, args.processes + 1):
        rates = {
            mode: max(aggregate_rate(mode, processes, args, decoded_size)
                      for _ in range(args.repeat))
            for mode in modes
        }  # fmt: skip
        cells = [f"{rates[m]:.0f}" for m in modes]
        cells += [f"{rates['track_video'] / rates[m]:.2f}x" for m in ratios]
        print(f"| {processes} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
