"""Drawing one frame's tracks: box, ``"<id> <class>"`` label and trail, in the track's colour."""

from __future__ import annotations

import numpy as np

from tracklake.render.colours import track_colour
from tracklake.render.video_tracks import FrameTracks


def line_width(height: int) -> int:
    """Box edge thickness in pixels for a frame ``height`` pixels tall (3 at 480p, 5 at 1080p)."""
    return max(3, round(height / 200))


def _text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black on a light ``background`` (RGB), white on a dark one."""
    red, green, blue = background
    return (0, 0, 0) if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else (255, 255, 255)


def draw_tracks(image: np.ndarray, tracks: FrameTracks, scale: tuple[float, float]) -> None:
    """Draw ``tracks`` onto ``image`` in place.

    Args:
        image: ``(H, W, 3)`` uint8 RGB, C-contiguous.
        tracks: boxes and trails in pixels of the original frame.
        scale: ``(sx, sy)`` from original-frame pixels to ``image`` pixels.
    """
    import cv2

    height = image.shape[0]
    thickness = line_width(height)
    font_scale = max(0.4, height / 1200)
    factor = np.array(scale * 2)
    for track_id, box, label in zip(
        tracks.track_ids.tolist(), tracks.boxes * factor, tracks.labels, strict=True
    ):
        colour = track_colour(track_id)
        trail = tracks.trails.get(track_id)
        if trail is not None and len(trail) > 1:
            points = np.round(trail * factor[:2]).astype(np.int32)
            cv2.polylines(image, [points], False, colour, max(1, thickness - 1), cv2.LINE_AA)
        x1, y1, x2, y2 = np.round(box).astype(int).tolist()
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness)
        (text_w, text_h), baseline = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        top = max(0, y1 - text_h - baseline - thickness)
        cv2.rectangle(image, (x1, top), (x1 + text_w + 2, top + text_h + baseline), colour, -1)
        cv2.putText(image, label, (x1 + 1, top + text_h), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    _text_colour(colour), 1, cv2.LINE_AA)  # fmt: skip


def draw_caption(image: np.ndarray, text: str) -> None:
    """Write ``text`` in white on a dark band across the top of ``image``, in place."""
    import cv2

    font_scale = max(0.4, image.shape[0] / 600)
    (_, text_h), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
    band = text_h + baseline + 4
    image[:band] = image[:band] // 3
    cv2.putText(image, text, (3, text_h + 2), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                (255, 255, 255), 1, cv2.LINE_AA)  # fmt: skip
