"""The embedded Ray of a real run: it listens on loopback only, and it dies with the driver,
even when the driver is killed with SIGKILL."""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from cli_runs import descendants, kill_tree, start_tracklake, video_worker, wait_for

pytestmark = pytest.mark.slow

ORPHAN_DEADLINE_S = 30


@pytest.fixture
def ray_tmpdir(monkeypatch):
    """A folder of this test's own for the run's Ray session (``RAY_TMPDIR``); short, since
    Ray's socket paths must fit in 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="tl-test-", dir="/tmp"))
    monkeypatch.setenv("RAY_TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def running_job(ray_tmpdir, shared_videos, yolov8n_weights, tmp_path):
    """A ``tracklake track`` driver whose video worker exists; ended (all of it) afterwards."""
    driver = start_tracklake(
        "track", str(shared_videos / "TUD-Stadtmitte.mp4"), "-o", str(tmp_path / "out"),
        "--model", str(yolov8n_weights), "--no-progress",
    )  # fmt: skip
    try:
        wait_for(lambda: video_worker(driver), 180, "the video worker")
        yield driver
    finally:
        if driver.poll() is None:
            kill_tree(driver)


def is_loopback(host: str) -> bool:
    address = ipaddress.ip_address(host.split("%")[0])
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    living = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                living.append(process)
    return living


def test_the_embedded_ray_listens_on_loopback_only(running_job):
    session = {process.pid: process.name() for process in descendants(running_job.pid)}
    session[running_job.pid] = "driver"
    session[video_worker(running_job).pid] = "worker"
    listening = [
        (connection.laddr.ip, connection.laddr.port, session[connection.pid])
        for connection in psutil.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN and connection.pid in session
    ]
    names = {name for _, _, name in listening}
    assert {"gcs_server", "raylet", "ray::RuntimeEnvAgent", "driver", "worker"} <= names
    assert [entry for entry in listening if not is_loopback(entry[0])] == []


def test_no_process_of_the_session_outlives_a_killed_driver(running_job, ray_tmpdir):
    (session_dir,) = ray_tmpdir.iterdir()
    session = descendants(running_job.pid)
    assert any("RuntimeEnvAgent" in process.name() for process in session)
    running_job.send_signal(signal.SIGKILL)
    running_job.wait(timeout=30)
    killed = time.monotonic()
    try:
        wait_for(lambda: not alive(session), ORPHAN_DEADLINE_S, "the session's processes to end")
        gone_after_s = time.monotonic() - killed
        wait_for(lambda: not session_dir.exists(), 10, "the session's folder to be removed")
    finally:
        for process in alive(session):  # only what this test started
            process.kill()
    print(f"the session's {len(session)} processes ended {gone_after_s:.1f} s after SIGKILL")
