"""The memory of a whole run: summed PSS of a process tree, sampled while a command runs.

PSS (proportional set size, ``Pss:`` of ``/proc/PID/smaps_rollup``) charges each shared page
to the processes that map it in equal parts, so the sum over a run's processes is what the
run costs the machine. Summed RSS counts shared libraries (torch, Ray's) once per process: a
71-frame tracklake job measured 2.34 GB summed RSS against 1.53 GB PSS.

Which processes: the command and all its descendants (parent links read from
``/proc/PID/stat``; the same set as psutil's ``children(recursive=True)``). With an embedded
Ray, the GCS, raylet, workers and agents are all started by the driver, so they are
descendants, and so is tracklake's Ray watchdog (its own session, still a child). As a
safeguard against processes that get re-parented (an agent adopted by PID 1 when its
parent dies first), callers may also pass ``marker``: every process of ours whose command
line contains it is counted too. ``end_to_end.py`` and ``long_video_memory.py`` point
``RAY_TMPDIR`` at a fresh folder and pass it as the marker (``measure_with_ray``): every
process of the run's Ray session names its session folder, which lies inside it. Checked
on a ``tracklake track`` run (11 processes at its peak): the descendants found here are
those psutil finds, and the marker adds none.

Used by the other bench scripts (run from the repository root as ``.venv/bin/python
bench/<script>.py``, so ``bench/`` is on ``sys.path``)::

    from process_memory import measure
    run = measure(["tracklake", "track", ...])
    run.wall_s, run.peak_pss, run.memory.growth(), run.memory.samples

Needs only the standard library (the GPU machine has no psutil).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_S = 0.2
MB = 1 << 20


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces; the fields after it are plain.
    return int(stat.rpartition(")")[2].split()[1])


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def process_tree(root: int, marker: str | None = None) -> set[int]:
    """``root``, its descendants, and (with ``marker``) every process of this user whose
    command line contains ``marker``."""
    children: dict[int, list[int]] = {}
    pids = _pids()
    for pid in pids:
        parent = _parent(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    tree, stack = set(), [root]
    while stack:
        pid = stack.pop()
        if pid not in tree:
            tree.add(pid)
            stack.extend(children.get(pid, []))
    if marker:
        uid = os.getuid()
        for pid in pids:
            if pid not in tree and pid != os.getpid():
                try:
                    mine = os.stat(f"/proc/{pid}").st_uid == uid
                except OSError:
                    continue
                if mine and marker in _cmdline(pid):
                    tree.add(pid)
    return tree


def _rollup(pid: int, name: str) -> int:
    """Field ``name`` (``Pss:``, ``Rss:``) of ``/proc/PID/smaps_rollup`` in bytes; 0 when
    the process has gone (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def pss_bytes(pid: int) -> int:
    """PSS of one process in bytes; 0 when it has gone."""
    return _rollup(pid, "Pss:")


def rss_bytes(pid: int) -> int:
    """RSS of one process in bytes; 0 when it has gone."""
    return _rollup(pid, "Rss:")


def tree_pss(root: int, marker: str | None = None) -> int:
    """Summed PSS in bytes of ``process_tree(root, marker)``."""
    return sum(pss_bytes(pid) for pid in process_tree(root, marker))


@dataclass
class Memory:
    """Summed PSS of a process tree over a stretch of time.

    Attributes:
        wall_s: seconds sampled.
        samples: ``(seconds since start, summed PSS bytes)``, every ``SAMPLE_S``.
    """

    wall_s: float = 0.0
    samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def peak_pss(self) -> int:
        return max((pss for _, pss in self.samples), default=0)

    def pss_at(self, fraction: float) -> int:
        """Summed PSS at the first sample from ``fraction`` of the wall time on."""
        at = fraction * self.wall_s
        return next((pss for t, pss in self.samples if t >= at), self.samples[-1][1])

    def growth(self, start: float = 0.25) -> int:
        """How much the tree grew after ``start`` of the wall time: the peak from then to
        the end minus the PSS then (the worst case: a late spike counts as growth)."""
        later = [pss for t, pss in self.samples if t >= start * self.wall_s]
        return max(later, default=0) - self.pss_at(start)


class PssSampler:
    """Samples ``tree_pss(root, marker)`` in a background thread while in its ``with``
    block; ``memory`` holds the result. The sampling thread's own process counts when
    ``root`` is this process."""

    def __init__(self, root: int, marker: str | None = None, interval: float = SAMPLE_S):
        self.root, self.marker, self.interval = root, marker, interval
        self.memory = Memory()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        started = time.perf_counter()
        while True:
            pss = tree_pss(self.root, self.marker)
            self.memory.samples.append((time.perf_counter() - started, pss))
            self.memory.wall_s = time.perf_counter() - started
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    """A finished command and the memory of its process tree."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    memory: Memory

    @property
    def peak_pss(self) -> int:
        return self.memory.peak_pss

    def check(self) -> Run:
        """Raise with the end of its stderr unless the command succeeded."""
        if self.returncode != 0:
            raise RuntimeError(f"{' '.join(self.command)} failed:\n{self.stderr[-3000:]}")
        return self


def measure(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    marker: str | None = None,
    interval: float = SAMPLE_S,
) -> Run:
    """Run ``command`` to its end, its output captured, sampling its tree's PSS.

    Args:
        env: the command's environment (default: this one's).
        marker: also count processes whose command line contains it (see the module doc).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    with PssSampler(process.pid, marker, interval) as sampler:
        stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    return Run(list(command), process.returncode, stdout, stderr, wall, sampler.memory)


def measure_with_ray(command: Sequence[str], interval: float = SAMPLE_S) -> Run:
    """``measure`` a command that starts an embedded Ray (``tracklake track``), with its
    session in a fresh folder that also serves as the marker."""
    # Short, under /tmp: Ray's socket paths inside it must stay under 108 bytes.
    folder = tempfile.mkdtemp(prefix="tl-", dir="/tmp")
    try:
        env = {**os.environ, "RAY_TMPDIR": folder}
        return measure(command, env=env, marker=folder, interval=interval)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def megabytes(size: int) -> str:
    return f"{size / MB:,.0f}"
