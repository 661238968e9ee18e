"""How far each decoder runs ahead of a slow reader: memory while reading slowly, side by side.

Makes a synthetic 1080p H.264 video (ffmpeg from imageio-ffmpeg), then reads it 8 frames
at a time with a pause after each batch (a reader busy with inference), in a fresh process
per decoder, and prints that process's RSS and PSS as it goes:

- decord: ``decord.VideoReader(num_threads=1)`` read with ``next()``, as tracklake read it
  before it moved to PyAV (decord2's CPU decoder keeps decoding into unbounded queues: its
  plateau is its read-ahead, the reason it was replaced);
- PyAV: tracklake's ``VideoDecoder(num_threads=1).batches(8)``, which decodes on demand.

Both decode at full size by default (``--size 640x360`` decodes at the model's size).

    .venv/bin/python bench/decode_readahead.py --seconds 80 --pause 0.5   # about 2 minutes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
from process_memory import megabytes, pss_bytes, rss_bytes

DECODERS = ("decord", "pyav")
LABELS = {"decord": "decord2", "pyav": "PyAV"}
BATCH = 8


def synthetic_video(path: Path, seconds: int) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", str(path)],
        check=True,
    )  # fmt: skip


def read_decord(path: Path, size: tuple[int, int] | None) -> Iterator[int]:
    """Frames read so far, after each batch of ``BATCH``."""
    import decord  # decord2; no torch in this process, so its nvidia-* preloading is harmless

    width, height = size or (-1, -1)
    reader = decord.VideoReader(str(path), num_threads=1, width=width, height=height)
    for start in range(0, len(reader) - BATCH + 1, BATCH):
        for _ in range(BATCH):
            reader.next().asnumpy()
        yield start + BATCH


def read_pyav(path: Path, size: tuple[int, int] | None) -> Iterator[int]:
    from tracklake.io.video import VideoDecoder

    for batch in VideoDecoder(path, num_threads=1).batches(BATCH, size=size):
        yield int(batch.indices[-1]) + 1


def child(decoder: str, path: Path, size, pause: float, batches: int) -> None:
    """Read slowly; print ``frames_read rss pss`` after every third batch."""
    read = read_decord if decoder == "decord" else read_pyav
    for number, frames_read in enumerate(read(path, size)):
        time.sleep(pause)
        if number % 3 == 0:
            print(frames_read, rss_bytes(os.getpid()), pss_bytes(os.getpid()), flush=True)
        if number + 1 == batches:
            break


def size_arg(text: str) -> tuple[int, int]:
    width, height = text.lower().split("x")
    return int(width), int(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=80, help="video length (30 fps)")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds after each batch")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--size", type=size_arg, default=None, help="decode at WxH")
    parser.add_argument("--decoders", default=",".join(DECODERS), help="comma-separated")
    parser.add_argument("--child", choices=DECODERS, help=argparse.SUPPRESS)
    parser.add_argument("--video", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.video, args.size, args.pause, args.batches)
        return

    decoders = args.decoders.split(",")
    readings: dict[str, dict[int, tuple[int, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.mp4"
        synthetic_video(path, args.seconds)
        for decoder in decoders:
            command = [sys.executable, __file__, "--child", decoder, "--video", str(path),
                       "--pause", str(args.pause), "--batches", str(args.batches)]  # fmt: skip
            if args.size:
                command += ["--size", f"{args.size[0]}x{args.size[1]}"]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            lines = [map(int, line.split()) for line in output.splitlines()]
            readings[decoder] = {frames: (rss, pss) for frames, rss, pss in lines}

    size = f"{args.size[0]}x{args.size[1]}" if args.size else "1920x1080 (full size)"
    print(f"{args.seconds * 30} frames of 1920x1080 H.264 decoded at {size}, 1 thread; read "
          f"{BATCH} frames, pause {args.pause} s; memory of the reading process\n")  # fmt: skip
    print(
        "| frames read | "
        + " | ".join(f"{LABELS[d]} RSS MB | {LABELS[d]} PSS MB" for d in decoders)
        + " |"
    )
    print("|---:|" + "---:|---:|" * len(decoders))
    for frames in sorted({f for reading in readings.values() for f in reading}):
        cells = []
        for decoder in decoders:
            rss, pss = readings[decoder].get(frames, (None, None))
            cells += [megabytes(rss), megabytes(pss)] if rss is not None else ["", ""]
        print(f"| {frames} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
