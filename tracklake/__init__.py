"""tracklake: batch multi-object tracking for video archives.

The Python API (``tracklake.api``), one function per command::

    import tracklake

    result = tracklake.track("videos/", "runs/street", conf=0.3, classes="person,car")
    people = tracklake.query("runs/street", "SELECT count(*) FROM track_summary")

The functions are imported on first use, so ``import tracklake`` loads neither Ray nor torch
(nor OpenCV or PyAV, which ``render_video`` and ``render_sheet`` need).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracklake.versions import __version__

__all__ = [
    "__version__", "evaluate", "export_mot", "info", "probe", "query", "render_sheet",
    "render_video", "retrack", "track", "tune",
]  # fmt: skip

if TYPE_CHECKING:
    from tracklake.api import (
        evaluate,
        export_mot,
        info,
        probe,
        query,
        render_sheet,
        render_video,
        retrack,
        track,
        tune,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:  # an API function: __version__ is found without asking
        from tracklake import api

        return getattr(api, name)
    raise AttributeError(f"module 'tracklake' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
