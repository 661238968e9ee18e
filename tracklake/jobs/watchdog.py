"""A process that outlives the driver and ends the driver's embedded Ray session with it.

Ray stops the processes it started when the driver exits cleanly, and some of them share
the driver's fate, but a driver killed with SIGKILL leaves others behind: the dashboard and
runtime-env agents, adopted by PID 1, ignore SIGTERM and live on. So the driver starts this
watchdog before Ray and keeps the write end of a pipe to it. The kernel closes that end
however the driver ends; at end of file the watchdog terminates every process that names or
holds open a file in the session's own temporary folder (every Ray process of the session
logs there, and no other session uses the folder), kills those still alive after a grace
period, and removes the folder.

The pipe also closes while a driver that ends normally is still shutting down (Python
closes files before its last exit handlers run): the watchdog then lets the driver finish
first and never signals the driver itself.

Run as ``python -m tracklake.jobs.watchdog SESSION_DIR DRIVER_PID`` with the pipe as standard
input.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

GRACE_S = 5.0
_DRIVER_SHUTDOWN_S = 20.0  # Ray's own shutdown of a session, at the driver's exit
_ROUNDS = 5  # a process can start while others stop (a worker the raylet was starting)


def start_watchdog(session_dir: Path) -> subprocess.Popen:
    """Start the watchdog of the Ray session that lives in ``session_dir``.

    The caller keeps the returned process, whose ``stdin`` is the pipe, for as long as the
    session must live: closing the pipe (or the caller's end) ends the session.
    """
    return subprocess.Popen(
        [sys.executable, "-m", __name__, str(session_dir), str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,  # nor hold a pipe open that a caller reads to its end
        stderr=subprocess.DEVNULL,
        # Its own session: a Ctrl-C or hang-up meant for the driver must not stop it first.
        start_new_session=True,
    )


def _uses(process: psutil.Process, prefix: str) -> bool:
    """True when ``process`` names a path under ``prefix`` or has a file there open."""
    if any(prefix in argument for argument in process.cmdline()):
        return True
    return any(file.path.startswith(prefix) for file in process.open_files())


def session_processes(session_dir: Path, spared: int | None = None) -> list[psutil.Process]:
    """The live processes of this user that belong to the session in ``session_dir``, but
    this one and ``spared``."""
    prefix = os.path.join(session_dir, "")
    found = []
    for process in psutil.process_iter():
        if process.pid in (os.getpid(), spared):
            continue
        with contextlib.suppress(psutil.Error):
            if process.uids().real == os.getuid() and _uses(process, prefix):
                found.append(process)
    return found


def end_session(session_dir: Path, driver: int | None = None, grace_s: float = GRACE_S) -> None:
    """SIGTERM the session's processes (never ``driver``), then SIGKILL those still alive
    ``grace_s`` later."""
    for _ in range(_ROUNDS):
        processes = session_processes(session_dir, spared=driver)
        if not processes:
            break
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.terminate()
        _, alive = psutil.wait_procs(processes, timeout=grace_s)
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=grace_s)


def _wait_for_exit(pid: int, timeout_s: float) -> None:
    """Return once ``pid`` has exited (a zombie has: a killed driver's parent may reap it
    late), or after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.1)


def main(argv: list[str]) -> None:
    session_dir, driver = Path(argv[0]), int(argv[1])
    sys.stdin.buffer.read()  # returns at end of file: the driver has ended or is ending
    _wait_for_exit(driver, _DRIVER_SHUTDOWN_S)  # let a driver that is shutting down finish
    end_session(session_dir, driver)
    shutil.rmtree(session_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
