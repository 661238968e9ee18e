"""Looking at a run: annotated videos and contact sheets of its tracks.

Needs the ``render`` extra (OpenCV for drawing, PyAV for H.264 encoding); nothing here is
imported by the tracking job.
"""

from tracklake.render.sheet import render_sheet
from tracklake.render.video import render_video

__all__ = ["render_sheet", "render_video"]
