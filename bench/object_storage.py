"""A run into object storage against the same run into a local folder, and what resuming costs.

Runs ``tracklake track`` (the CLI, embedded Ray) over the same videos into a fresh local
folder and into a fresh prefix of moto's S3 server (a real HTTP server in this process),
alternating, ``--repeats`` times each; then resumes each finished run (every video skipped).
Reports the wall time of each and the S3 requests a run made, by HTTP method, per video.

    .venv/bin/python bench/object_storage.py [--shared ../shared] [--repeats 3] [--vid-stride 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRACKLAKE = str(Path(sys.executable).parent / "tracklake")
VIDEOS = ("TUD-Campus.mp4", "TUD-Stadtmitte.mp4")
BUCKET = "bench-runs"


class RequestCounter(logging.Handler):
    """Counts the requests moto's server logs (werkzeug's access log), by HTTP method."""

    def __init__(self) -> None:
        super().__init__()
        self.methods: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        for method in ("GET", "PUT", "POST", "HEAD", "DELETE"):
            if f'"{method} ' in line:
                self.methods[method] += 1


def start_s3() -> RequestCounter:
    """moto's S3 server on 127.0.0.1, the AWS variables pointing at it, a bucket made."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=True)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update({
        "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
    })  # fmt: skip
    counter = RequestCounter()
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.handlers = [counter]
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return counter


def track(out: str, args: argparse.Namespace, counter: RequestCounter) -> tuple[float, Counter]:
    """Seconds ``tracklake track`` took into ``out``, and the S3 requests it made."""
    videos = [str(args.shared / "videos" / name) for name in VIDEOS]
    command = [TRACKLAKE, "track", *videos, "-o", out, "--vid-stride", str(args.vid_stride),
               "--model", str(args.shared / "models" / "yolov8n.pt"), "--no-progress"]  # fmt: skip
    before = Counter(counter.methods)
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    return time.monotonic() - started, counter.methods - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vid-stride", type=int, default=5)
    args = parser.parse_args()
    counter = start_s3()
    times: dict[str, list[float]] = {"local": [], "s3": [], "local resume": [], "s3 resume": []}
    requests: dict[str, Counter] = {}
    with tempfile.TemporaryDirectory(prefix="bench-out-") as folder:
        for repeat in range(args.repeats):
            outs = {"local": f"{folder}/run-{repeat}", "s3": f"s3://{BUCKET}/run-{repeat}"}
            for kind, out in outs.items():
                seconds, made = track(out, args, counter)
                times[kind].append(seconds)
                requests[kind] = made
            for kind, out in outs.items():
                seconds, made = track(out, args, counter)
                times[f"{kind} resume"].append(seconds)
                requests[f"{kind} resume"] = made
    load = os.getloadavg()[0]
    print(f"{len(VIDEOS)} videos ({', '.join(VIDEOS)}), --vid-stride {args.vid_stride}, "
          f"{args.repeats} runs each, alternating; load average {load:.2f}\n")  # fmt: skip
    print("| run | median s | runs (s) | S3 requests per video |")
    print("|---|---:|---|---|")
    for kind, seconds in times.items():
        made = requests.get(kind, Counter())
        per_video = ", ".join(f"{m} {n / len(VIDEOS):g}" for m, n in sorted(made.items())) or "-"
        runs = " ".join(f"{s:.1f}" for s in seconds)
        print(f"| {kind} | {statistics.median(seconds):.1f} | {runs} | {per_video} |")


if __name__ == "__main__":
    main()
