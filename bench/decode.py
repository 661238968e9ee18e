"""Decode throughput on the shared videos: tracklake's decoder (PyAV), bare decord, bare PyAV.

Decodes every frame of each video to uint8 RGB arrays with 1 and 2 FFmpeg threads and
prints a Markdown table of frames/s. Each cell is the best of ``--repeats`` runs (the least
disturbed by other load on the machine).

    .venv/bin/python bench/decode.py --repeats 3       # tracklake (PyAV), decord2, bare PyAV
    python bench/decode.py --decoders decord                     # any venv with decord + numpy

The second form compares decord releases: run it once in a venv with ``decord==0.6.0`` and
once with ``decord2``; it needs neither tracklake nor PyAV.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
VIDEOS = ["pedestrians-1080p.mp4", "TUD-Stadtmitte.mp4"]
BATCH = 32


def decode_with_tracklake(path: Path, threads: int) -> int:
    from tracklake.io.video import VideoDecoder

    decoder = VideoDecoder(path, num_threads=threads)
    return sum(len(batch) for batch in decoder.batches(BATCH))


def decode_with_decord(path: Path, threads: int) -> int:
    import decord

    reader = decord.VideoReader(str(path), num_threads=threads)
    for _ in range(len(reader)):
        reader.next().asnumpy()
    return len(reader)


def decode_with_pyav(path: Path, threads: int) -> int:
    import av

    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            frames += 1
    return frames


DECODERS: dict[str, Callable[[Path, int], int]] = {
    "tracklake": decode_with_tracklake,
    "decord": decode_with_decord,
    "pyav": decode_with_pyav,
}


def version(name: str) -> str:
    from importlib import metadata

    package = {"tracklake": "av", "pyav": "av"}.get(name, name)
    for candidate in (package, "decord2"):
        try:
            return f"{candidate} {metadata.version(candidate)}"
        except metadata.PackageNotFoundError:
            continue
    return "?"


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
    parser.add_argument("--decoders", default="tracklake,decord,pyav",
                        help=f"comma-separated, from {', '.join(DECODERS)}")  # fmt: skip
    args = parser.parse_args()
    names = args.decoders.split(",")
    print(f"{', '.join(f'{n}: {version(n)}' for n in names)}; {os.cpu_count()} CPUs\n")
    print("| video | threads | " + " | ".join(f"{n} frames/s" for n in names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for video in VIDEOS:
        for threads in (1, 2):
            rates = [
                best_rate(DECODERS[n], SHARED / "videos" / video, threads, args.repeats)
                for n in names
            ]
            print(f"| {video} | {threads} | " + " | ".join(f"{r:.0f}" for r in rates) + " |")


if __name__ == "__main__":
    main()
