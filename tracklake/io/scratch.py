"""Scratch space for whole local copies of remote videos, and the copies killed runs left.

FFmpeg reads local files only here, so a remote video is copied whole for the time it is
decoded. The copies live in one folder per user under the temporary folder (``$TMPDIR``
moves it), named ``copy-<pid>-<random><suffix>`` after the process that made them. A
process killed while a copy exists cannot delete it; the next process that makes a copy
removes every copy whose process is gone, before it checks the free space.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_PREFIX = "copy-"


def scratch_dir() -> Path:
    """This user's scratch folder, created if needed, without the copies of dead processes."""
    folder = Path(tempfile.gettempdir()) / f"tracklake-scratch-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    remove_stale_copies(folder)
    return folder


def new_copy_path(folder: Path, suffix: str) -> Path:
    """A new, empty file in ``folder`` whose name says which process owns it."""
    handle, path = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=suffix, dir=folder)
    os.close(handle)
    return Path(path)


def _owner_alive(path: Path) -> bool:
    """Whether the process named in a copy's file name still exists (unknown: yes)."""
    pid = path.name[len(_PREFIX) :].partition("-")[0]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and another user's
        pass
    return True


def remove_stale_copies(folder: Path) -> int:
    """Delete the copies in ``folder`` whose process is gone; returns how many."""
    stale = [path for path in folder.glob(f"{_PREFIX}*") if not _owner_alive(path)]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def room_for(size: int, folder: Path) -> str:
    """``""`` when ``size`` bytes fit in ``folder``'s free space; else why they do not."""
    free = shutil.disk_usage(folder).free
    if size <= free:
        return ""
    return (
        f"no room to copy it: it is {size / 1e6:.1f} MB and the scratch folder {folder} has "
        f"{free / 1e6:.1f} MB free (TMPDIR moves the scratch folder)"
    )
