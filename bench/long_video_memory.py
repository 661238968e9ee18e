"""Memory of a whole ``tracklake track`` run over a long 1080p video and over a 4K clip.

Builds (once, cached in ``--cache``) a long 1080p H.264 video, the shared
``pedestrians-1080p.mp4`` concatenated ``--repeat`` times without re-encoding (default 10:
3,020 frames), and a 4K clip (the same video scaled to 3840x2160, ``--clip-frames`` frames,
libx264 ultrafast). Tracks each with the CLI, one video per run, and reports the peak
summed PSS of the run's whole process tree (driver, Ray, worker; see ``process_memory.py``)
and how much it grew from a quarter of the run's wall time to its end (peak after that
point minus the PSS at it). With ``--ultralytics``, ``model.track`` (bench/ultralytics_track.py)
runs on the same videos with the same settings for comparison.

    .venv/bin/python bench/long_video_memory.py                  # about 5 minutes on 2 CPUs
    .venv/bin/python bench/long_video_memory.py --ultralytics    # about 10 minutes

Goal (issue 10): each run <= 2.0 GB peak PSS, growing by <= 200 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import imageio_ffmpeg
from process_memory import Run, measure, measure_with_ray, megabytes

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
BIN = Path(sys.executable).parent
ULTRALYTICS_TRACK = Path(__file__).with_name("ultralytics_track.py")
SOURCE = SHARED / "videos" / "pedestrians-1080p.mp4"


def ffmpeg(*arguments: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *arguments], check=True)


def long_video(cache: Path, repeat: int) -> Path:
    """``SOURCE`` ``repeat`` times over, stream-copied into one file."""
    path = cache / f"{SOURCE.stem}-x{repeat}.mp4"
    if not path.exists():
        listing = cache / f"{SOURCE.stem}-x{repeat}.txt"
        listing.write_text(f"file '{SOURCE}'\n" * repeat)
        partial = path.with_suffix(".partial.mp4")
        ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(partial))
        partial.rename(path)
    return path


def clip_4k(cache: Path, frames: int) -> Path:
    """The first ``frames`` frames of ``SOURCE`` scaled to 3840x2160."""
    path = cache / f"{SOURCE.stem}-4k-{frames}.mp4"
    if not path.exists():
        partial = path.with_suffix(".partial.mp4")
        ffmpeg("-i", str(SOURCE), "-frames:v", str(frames), "-vf", "scale=3840:2160",
               "-c:v", "libx264", "-preset", "ultrafast", "-an", str(partial))  # fmt: skip
        partial.rename(path)
    return path


def row(label: str, video: Path, frames: int, run: Run) -> str:
    memory = run.memory
    return (
        f"| {video.name} | {label} | {frames} | {run.wall_s:.1f} | {frames / run.wall_s:.1f} "
        f"| {megabytes(memory.peak_pss)} | {megabytes(memory.pss_at(0.25))} "
        f"| {megabytes(memory.growth(0.25))} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="copies of the 1080p video")
    parser.add_argument("--clip-frames", type=int, default=120, help="frames of the 4K clip")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "tracklake-bench-videos"
    )
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n.pt"))
    parser.add_argument("--imgsz", default="640")
    parser.add_argument("--classes", default="0")
    parser.add_argument("--conf", default="0.25", help="the CLI's default")
    parser.add_argument("--iou", default="0.7", help="the CLI's default")
    parser.add_argument("--ultralytics", action="store_true", help="also run model.track")
    args = parser.parse_args()  # fmt: skip
    args.cache.mkdir(parents=True, exist_ok=True)
    videos = [long_video(args.cache, args.repeat), clip_4k(args.cache, args.clip_frames)]
    settings = ["--imgsz", args.imgsz, "--classes", args.classes,
                "--conf", args.conf, "--iou", args.iou]  # fmt: skip

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for video in videos:
            ours = measure_with_ray(
                [str(BIN / "tracklake"), "track", str(video), "-o", f"{work}/ours",
                 "--model", args.model, "--no-progress", "--overwrite", *settings]
            ).check()  # fmt: skip
            frames = next(int(line.split()[1]) for line in ours.stderr.splitlines()
                          if line.startswith("frames:"))  # fmt: skip
            rows.append(row("tracklake track", video, frames, ours))
            if args.ultralytics:
                theirs = measure(
                    [sys.executable, str(ULTRALYTICS_TRACK), args.model, f"{work}/theirs",
                     str(video), *settings]
                ).check()  # fmt: skip
                frames = int(theirs.stdout.strip().splitlines()[-1])
                rows.append(row("Ultralytics model.track", video, frames, theirs))

    print(f"yolov8n at imgsz {args.imgsz}, classes {args.classes}, conf {args.conf}, "
          f"iou {args.iou}; {os.cpu_count()} CPUs; summed PSS of the whole process tree, "
          "sampled every 0.2 s; growth: peak after 25% of the run minus PSS at 25%\n")  # fmt: skip
    print("| video | run | frames | wall s | frames/s | peak PSS MB | PSS at 25% MB "
          "| growth after 25% MB |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
