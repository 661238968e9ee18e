"""Run an iterator ahead of its consumer in a background thread, with a stall bound.

Decoding in a thread overlaps it with inference, and the stall bound keeps a video that
makes the decoder stall (a damaged stream, a hung network mount) from hanging a worker:
the consumer gets an error and moves on; the stuck thread is a daemon and is abandoned.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def prefetch(
    items: Iterable[T],
    depth: int,
    stall_timeout_s: float,
    on_stall: Callable[[], Exception],
) -> Iterator[T]:
    """Yield ``items`` as produced by a background thread, keeping up to ``depth`` ready.

    Exceptions raised by ``items`` are re-raised in the consumer at the same position.

    Raises:
        Exception: ``on_stall()`` when no item arrives for ``stall_timeout_s`` seconds.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="tracklake-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = ready.get(timeout=stall_timeout_s)
            except queue.Empty:
                raise on_stall() from None
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
