"""End-to-end frames/s of several plain worker processes sharing one GPU, against model.track.

What a Ray job runs, without Ray (the GPU machine cannot carry its wheel): ``--processes``
spawned processes, each set up exactly as a Ray worker (``WorkerPlan.load_worker``, the code a
``ray_workers.VideoWorker`` runs: its own model copy behind a ``SharedBatcher``,
``--videos-per-process`` videos tracked at once by as many threads), pull
videos from one shared queue (the driver's dispatcher, in short) and run ``track_video``
with the real ``Detector`` and ByteTrack, writing Parquet. The videos are ``--videos``
symbolic links to one file (1080p H.264 by default). Reported: aggregate frames/s from the
moment every model is loaded to the last video's end, the wall time with start-up, and the
peak summed PSS of all the processes. Then Ultralytics' ``model.track`` (same weights,
imgsz, conf, iou, classes, ByteTrack, ``half``) on ``--ultralytics-videos`` of the same
videos, one video after another in ``--ultralytics-processes`` processes.
``--processes`` and ``--videos-per-process`` take comma-separated lists: every pair is run.
Ultralytics is warmed up on 8 frames before its clock starts (its predictor is set up by
the first call); tracklake's first forward passes (cuDNN autotuning) are inside its timing,
as they are in a Ray worker.

On the GPU machine (torch with CUDA, pyarrow, scipy, PyAV and ultralytics; no install of
tracklake needed, the tree is put on ``sys.path``), with the video and weights copied into
the tree (e.g. an untracked ``bench-data/``), about 3 minutes for these 4 settings (the
numbers in BENCHMARKS.md, "On a GPU")::

    PYTHONUNBUFFERED=1 python bench/gpu_throughput.py --device cuda \\
        --model bench-data/yolov8n.pt --video bench-data/pedestrians-1080p.mp4 --videos 48 \\
        --processes 16,8 --videos-per-process 1,2 --decode-threads 1 --ultralytics-videos 2

A smoke test on a CPU (here)::

    .venv/bin/python bench/gpu_throughput.py --device cpu --processes 1 \\
        --videos-per-process 2 --videos 2 --ultralytics-videos 1

Goal (issue 10): >= 2,000 frames/s of 1080p on one H100 (yolov8n + ByteTrack, fp16).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tracklake without installing it (a bare GPU machine)

from process_memory import PssSampler, megabytes  # noqa: E402

from tracklake.config import JobConfig, PipelineConfig  # noqa: E402
from tracklake.detection.config import DetectorConfig  # noqa: E402
from tracklake.io.footer import Footer  # noqa: E402
from tracklake.jobs.pipeline import track_video  # noqa: E402
from tracklake.jobs.plan import GPU_DEFAULTS, plan_device  # noqa: E402
from tracklake.jobs.worker_plan import WorkerPlan  # noqa: E402
from tracklake.tracking import load_tracker_config  # noqa: E402
from tracklake.types import VideoRef, VideoStatus  # noqa: E402

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", REPO.parent / "shared"))


def tracklake_process(args, processes, videos_at_once, videos, barrier, results) -> None:
    """One worker: set up, wait for the others, track videos from ``videos`` until a
    ``None``, ``videos_at_once`` at a time; report ``(frames, start, end, failures)``."""
    pipeline = PipelineConfig(
        DetectorConfig(
            model=args.model, imgsz=args.imgsz, conf=args.conf, iou=args.iou,
            classes=(args.classes,), half=args.half, device=args.device, batch=args.batch,
        ),
        load_tracker_config("bytetrack"),
        decode_threads=args.decode_threads,
    )  # fmt: skip
    torch_threads = max(1, os.cpu_count() // processes)  # as worker_plan.plan_workers on one node
    out_dir = tempfile.mkdtemp(prefix="gpu-throughput-")
    job = JobConfig(videos_per_worker=videos_at_once)
    device = plan_device(pipeline, job, GPU_DEFAULTS, torch_threads)
    plan = WorkerPlan(workers=processes, gpus_per_worker=1 / processes, device=device)
    detector, tracking = plan.load_worker(pipeline)  # exactly what a Ray worker runs
    footer = Footer(model=args.model, config_sha256="0" * 64,
                    model_sha256=detector.detector.model_sha256)  # fmt: skip
    counts = {"frames": 0, "failures": []}
    lock = threading.Lock()

    def track_videos() -> None:
        while (ref := videos.get()) is not None:
            summary = track_video(ref, detector, tracking, out_dir, footer)
            with lock:
                counts["frames"] += summary.frames
                if summary.status != VideoStatus.OK:
                    counts["failures"].append(summary.error)

    threads = [threading.Thread(target=track_videos) for _ in range(videos_at_once)]
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((counts["frames"], started, time.monotonic(), counts["failures"]))


def ultralytics_process(args, _processes, _videos_at_once, videos, barrier, results) -> None:
    """Ultralytics' ``model.track`` over videos from ``videos``, one after another; its
    predictor, set up lazily by the first call, is warmed up on a few frames first."""
    from itertools import islice

    from ultralytics import YOLO
    from ultralytics_track import mot_rows

    model = YOLO(args.model)

    def track(path: str):
        return model.track(
            source=path, conf=args.conf, iou=args.iou, imgsz=args.imgsz,
            classes=[args.classes], tracker="bytetrack.yaml", persist=False, stream=True,
            verbose=False, device=args.device, half=args.half,
        )  # fmt: skip

    warm_up = track(str(args.video))
    mot_rows(islice(warm_up, 8))
    warm_up.close()
    barrier.wait()
    started, frames = time.monotonic(), 0
    while (ref := videos.get()) is not None:
        frames += mot_rows(track(ref.path))[0]
    results.put((frames, started, time.monotonic(), []))


def run(target, args, processes: int, videos_at_once: int, refs: list[VideoRef]) -> dict:
    """``processes`` of ``target`` over ``refs``: aggregate frames/s after set-up, wall
    seconds with it, peak PSS of this process and its children."""
    context = multiprocessing.get_context("spawn")
    barrier, results, videos = context.Barrier(processes), context.Queue(), context.Queue()
    for ref in refs:
        videos.put(ref)
    for _ in range(processes * videos_at_once):
        videos.put(None)
    started = time.monotonic()
    with PssSampler(os.getpid()) as sampler:
        workers = [
            context.Process(
                target=target, args=(args, processes, videos_at_once, videos, barrier, results)
            )
            for _ in range(processes)
        ]
        for process in workers:
            process.start()
        reports = []
        while len(reports) < processes:
            try:
                reports.append(results.get(timeout=5))
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in workers):
                    raise RuntimeError(f"a {target.__name__} failed") from None
        for process in workers:
            process.join()
    wall = time.monotonic() - started
    frames = sum(report[0] for report in reports)
    failures = [error for report in reports for error in report[3]]
    if failures:
        print(f"{len(failures)} video(s) failed, the first: {failures[0]}", file=sys.stderr)
    seconds = max(r[2] for r in reports) - min(r[1] for r in reports)
    return {"frames": frames, "rate": frames / seconds, "wall": wall,
            "pss": sampler.memory.peak_pss}  # fmt: skip


def numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "videos" / "pedestrians-1080p.mp4")
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n.pt"))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--half", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--processes",
        type=numbers,
        default=[os.cpu_count()],
        help="worker processes sharing the device (default: one per core, as a job plans)",
    )
    parser.add_argument(
        "--videos-per-process",
        type=numbers,
        default=[1],
        help="videos each process tracks at once (--videos-per-worker)",
    )
    parser.add_argument("--videos", type=int, default=96, help="copies of --video to track")
    parser.add_argument("--batch", type=int, default=64, help="frames per forward pass")
    parser.add_argument("--decode-threads", type=int, default=1, help="FFmpeg threads a video")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--conf", type=float, default=0.3)
    parser.add_argument("--iou", type=float, default=0.5)
    parser.add_argument("--classes", type=int, default=0)
    parser.add_argument(
        "--ultralytics-videos", type=int, default=8, help="videos for model.track (0: skip it)"
    )
    parser.add_argument("--ultralytics-processes", type=int, default=1)
    args = parser.parse_args()  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        refs = []
        for number in range(max(args.videos, args.ultralytics_videos)):
            link = Path(folder) / f"video-{number:04d}{args.video.suffix}"
            link.symlink_to(args.video.resolve())
            refs.append(VideoRef(link.stem, str(link)))
        rows = []
        for processes in args.processes:
            for videos_at_once in args.videos_per_process:
                result = run(tracklake_process, args, processes, videos_at_once,
                             refs[: args.videos])  # fmt: skip
                rows.append((f"tracklake track_video, {processes} x {videos_at_once} videos",
                             result))  # fmt: skip
                print(f"{rows[-1][0]}: {result['rate']:.0f} frames/s", file=sys.stderr)
        if args.ultralytics_videos:
            result = run(ultralytics_process, args, args.ultralytics_processes, 1,
                         refs[: args.ultralytics_videos])  # fmt: skip
            rows.append((f"Ultralytics model.track, {args.ultralytics_processes} process(es)",
                         result))  # fmt: skip

    device = args.device
    if device.startswith("cuda"):
        import torch

        device = torch.cuda.get_device_name(device)
    print(f"{args.video.name} ({args.videos} copies), {Path(args.model).name} at imgsz "
          f"{args.imgsz}, half {args.half}, batch {args.batch}, conf {args.conf}, iou "
          f"{args.iou}, classes {args.classes}, ByteTrack; {device}, {os.cpu_count()} CPUs, "
          f"{args.decode_threads} decode threads a video\n")  # fmt: skip
    print("| run | frames | frames/s | wall s with start-up | peak PSS MB | vs model.track |")
    print("|---|---:|---:|---:|---:|---:|")
    baseline = rows[-1][1]["rate"] if args.ultralytics_videos else None
    for label, r in rows:
        ratio = f"{r['rate'] / baseline:.2f}x" if baseline else ""
        print(f"| {label} | {r['frames']} | {r['rate']:.1f} | {r['wall']:.1f} "
              f"| {megabytes(r['pss'])} | {ratio} |")  # fmt: skip


if __name__ == "__main__":
    main()
