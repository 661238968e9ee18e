"""Keeping a worker's resident memory flat while frames stream through it.

Decoded frames are large (6 MB for one 1080p RGB frame) and are allocated in the decoding
thread and freed in the inference thread. glibc's malloc raises its mmap threshold each time
such a block is freed, after which the blocks come from per-thread heaps that fragment and
never shrink: a worker tracking 1080p video grew to 3.3 GB resident. Fixing the threshold
at 1 MiB makes every frame-sized block its own mapping, returned to the system when freed
(the worker then stays under 1 GB on the same video).
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_MMAP_THRESHOLD = -3  # mallopt parameter, from glibc's malloc.h
_MMAP_THRESHOLD_BYTES = 1 << 20


def map_large_allocations() -> bool:
    """Serve allocations of 1 MiB or more by mmap, returned to the OS on free.

    Returns ``False`` where the C library has no ``mallopt`` (not glibc): nothing changes.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES))
