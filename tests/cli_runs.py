"""Running the real ``tracklake`` command in a subprocess, and the processes it starts."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

TRACKLAKE = str(Path(sys.executable).parent / "tracklake")


def tracklake(
    *args: str, timeout: float = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run ``tracklake ARGS`` to completion; output captured as text."""
    return subprocess.run(
        [TRACKLAKE, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def start_tracklake(*args: str) -> subprocess.Popen:
    """Start ``tracklake ARGS`` in its own session, so that it and all it starts can be killed."""
    return subprocess.Popen(
        [TRACKLAKE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL ``process`` and every process it started (its embedded Ray), nothing else."""
    family = [*descendants(process.pid)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            continue
    process.wait(timeout=30)
    psutil.wait_procs(family, timeout=30)


def video_worker(process: subprocess.Popen) -> psutil.Process | None:
    """The Ray actor process tracking videos for ``process``, once it exists."""
    for child in descendants(process.pid):
        try:
            if "VideoWorker" in " ".join(child.cmdline()) or "VideoWorker" in child.name():
                return child
        except psutil.NoSuchProcess:
            continue
    return None
