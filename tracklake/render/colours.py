"""A stable colour per track id."""

from __future__ import annotations

import colorsys

_GOLDEN_RATIO = 0.618033988749895


def track_colour(track_id: int) -> tuple[int, int, int]:
    """The RGB colour (0-255 each) that ``track_id`` is drawn in, in every run and video.

    Hues step by the golden ratio, so consecutive ids get clearly different colours.
    """
    hue = (int(track_id) * _GOLDEN_RATIO) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return round(red * 255), round(green * 255), round(blue * 255)
