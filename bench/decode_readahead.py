"""How much decord decodes ahead of a slow reader: resident memory while reading slowly.

Makes a synthetic 1080p H.264 video (ffmpeg from imageio-ffmpeg), reads it 8 frames at a
time with a pause after each batch (a reader busy with inference), and prints the process's
RSS as it goes. A reader that decodes on demand stays flat; decord's plateau is its read-ahead.

    .venv/bin/python bench/decode_readahead.py --seconds 80 --pause 0.5
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import psutil

from tracklake.io.video import VideoDecoder


def synthetic_video(path: Path, seconds: int) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", str(path)],
        check=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=80, help="video length (30 fps)")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds after each batch")
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.mp4"
        synthetic_video(path, args.seconds)
        process = psutil.Process()
        decoder = VideoDecoder(path, num_threads=1)
        print(f"{decoder.info.frames} frames of {decoder.info.width}x{decoder.info.height}; "
              f"read 8 frames, pause {args.pause} s\n")  # fmt: skip
        print("| frames read | RSS MB |")
        print("|---:|---:|")
        for number, batch in enumerate(decoder.batches(8)):
            time.sleep(args.pause)
            if number % 3 == 0:
                print(f"| {int(batch.indices[-1]) + 1} | {process.memory_info().rss >> 20} |")
            if number + 1 == args.batches:
                break


if __name__ == "__main__":
    main()
