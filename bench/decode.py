"""Decode throughput: tracklake's decord decoder against PyAV, on the shared videos.

Decodes every frame of each video to uint8 RGB arrays, with 1 and 2 FFmpeg threads, and
prints a Markdown table of frames/s and the ratio decord / PyAV. Each cell is the best of
``--repeats`` runs (the least disturbed by other load on the machine).

    .venv/bin/python bench/decode.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import av

from tracklake.io.video import VideoDecoder

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
VIDEOS = ["pedestrians-1080p.mp4", "TUD-Stadtmitte.mp4"]
BATCH = 32


def decode_with_tracklake(path: Path, threads: int) -> int:
    decoder = VideoDecoder(path, num_threads=threads)
    return sum(len(batch) for batch in decoder.batches(BATCH))


def decode_with_pyav(path: Path, threads: int) -> int:
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            frames += 1
    return frames


def best_rate(decode: Callable[[Path, int], int], path: Path, threads: int, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        frames = decode(path, threads)
        rates.append(frames / (time.perf_counter() - started))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"decord2 {metadata.version('decord2')}, PyAV {av.__version__}, {os.cpu_count()} CPUs\n")
    print("| video | threads | tracklake (decord2) frames/s | PyAV frames/s | ratio |")
    print("|---|---|---|---|---|")
    for name in VIDEOS:
        for threads in (1, 2):
            ours = best_rate(decode_with_tracklake, SHARED / "videos" / name, threads, args.repeats)
            pyav = best_rate(decode_with_pyav, SHARED / "videos" / name, threads, args.repeats)
            print(f"| {name} | {threads} | {ours:.0f} | {pyav:.0f} | {ours / pyav:.2f}x |")


if __name__ == "__main__":
    main()
