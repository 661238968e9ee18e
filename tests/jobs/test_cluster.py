"""A real two-node Ray cluster on this machine runs ``tracklake track --address``.

Two ``ray start --block`` processes on 127.0.0.1, one CPU each, separate temp folders, token
auth. The test stops exactly the nodes it started (SIGTERM to their ``ray start`` process,
which stops that node's processes), never with ``ray stop``. The nodes' temp folders are
directly under /tmp: Ray's socket paths inside them must stay under 108 bytes, which a
pytest temp path (``/tmp/pytest-of-root/pytest-125/cluster0/...``) can exceed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from cli_runs import descendants, tracklake, wait_for

from tracklake.io.footer import read_footer

pytestmark = pytest.mark.slow

RAY = str(Path(sys.executable).parent / "ray")
CLUSTER_ENV = {"RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_node(temp_dir: Path, log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [RAY, "start", "--block", "--num-cpus", "1", "--num-gpus", "0",
         "--object-store-memory", str(200 << 20), "--temp-dir", str(temp_dir), *args],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env={**os.environ, **CLUSTER_ENV},
    )  # fmt: skip


def stop_node(node: subprocess.Popen) -> None:
    family = descendants(node.pid)
    node.terminate()
    try:
        node.wait(timeout=60)
    except subprocess.TimeoutExpired:
        node.kill()
    for process in family:  # anything the node left behind, and only that
        if process.is_running():
            process.kill()


def cluster_nodes(address: str) -> int:
    script = (
        f"import ray; ray.init(address={address!r}, log_to_driver=False); "
        "print(len([n for n in ray.nodes() if n['Alive']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env={**os.environ, **CLUSTER_ENV},
    )  # fmt: skip
    return int(result.stdout.strip() or 0)


@pytest.fixture(scope="module")
def two_node_cluster():
    root = Path(tempfile.mkdtemp(prefix="tl-cluster-", dir="/tmp"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    head = start_node(root / "head", root / "head.log", "--head", "--port", str(port),
                      "--node-ip-address", "127.0.0.1", "--include-dashboard=false")  # fmt: skip
    nodes = [head]
    try:
        wait_for(lambda: node_joined(head, root / "head.log", address, 1), 120, "the head node")
        nodes.append(start_node(root / "worker", root / "worker.log", "--address", address,
                                "--node-ip-address", "127.0.0.1"))  # fmt: skip
        wait_for(lambda: node_joined(nodes[1], root / "worker.log", address, 2), 120,
                 "the second node")  # fmt: skip
        yield address
    finally:
        for node in reversed(nodes):
            stop_node(node)
        shutil.rmtree(root, ignore_errors=True)


def node_joined(node: subprocess.Popen, log: Path, address: str, count: int) -> bool:
    """Whether the cluster has ``count`` nodes; a node that exited fails the test with its log."""
    if node.poll() is not None:
        raise AssertionError(f"a Ray node exited:\n{log.read_text()[-3000:]}")
    return cluster_nodes(address) == count


def test_job_runs_on_both_nodes_of_a_cluster(two_node_cluster, tmp_path, shared_videos,
                                             yolov8n_weights):  # fmt: skip
    folder = tmp_path / "videos"
    folder.mkdir()
    for i in range(4):
        (folder / f"campus-{i}.mp4").symlink_to(shared_videos / "TUD-Campus.mp4")
    out = tmp_path / "out"
    result = tracklake(
        "track", str(folder), "-o", str(out), "--address", two_node_cluster,
        "--model", str(yolov8n_weights), "--vid-stride", "6", "--no-progress",
        env=CLUSTER_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = duckdb.sql(f"SELECT video_id, status FROM '{out}/videos.parquet'").fetchall()
    assert sorted(rows) == [(f"campus-{i}", "ok") for i in range(4)]
    nodes = {read_footer(path).worker_node for path in (out / "tracks").glob("*.parquet")}
    assert len(nodes) == 2  # the work landed on both nodes
    tracks = duckdb.sql(f"SELECT count(*) FROM '{out}/tracks/*.parquet'").fetchall()[0][0]
    assert tracks > 0
