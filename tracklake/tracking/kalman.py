"""A constant-velocity Kalman filter for boxes, run over many tracks at once.

The filter holds only the model; tracks hold their means and covariances (``(N, 8)`` and
``(N, 8, 8)`` float64). The state is a box in the filter's format followed by its velocity:
``xyah`` (centre x, centre y, aspect ratio w/h, height; ByteTrack, OC-SORT) or ``xywh``
(centre x, centre y, width, height; BoT-SORT). Noise scales with the box size, as in
ByteTrack and Ultralytics.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

BoxFormat = Literal["xyah", "xywh"]

_STD_WEIGHT_POSITION = 1.0 / 20
_STD_WEIGHT_VELOCITY = 1.0 / 160
# xyah only: the aspect ratio's noise does not scale with the box.
_ASPECT_STD_POSITION = 1e-2
_ASPECT_STD_VELOCITY = 1e-5
_ASPECT_STD_MEASUREMENT = 1e-1


class KalmanFilter:
    """The model: box format, motion ``x' = x + v`` per frame, noise relative to the box size.

    Attributes:
        box_format: ``xyah`` or ``xywh``.
        size_velocity: state columns holding the box size's velocity; trackers zero them for
            lost tracks so that an unseen box keeps its size.
    """

    def __init__(self, box_format: BoxFormat) -> None:
        if box_format not in ("xyah", "xywh"):
            raise ValueError(f"box_format must be 'xyah' or 'xywh', got {box_format!r}")
        self.box_format = box_format
        self.size_velocity = np.array([7] if box_format == "xyah" else [6, 7])
        self._motion = np.eye(8)
        self._motion[:4, 4:] = np.eye(4)

    def measure(self, xyxy: np.ndarray) -> np.ndarray:
        """``(N, 4)`` ``x1, y1, x2, y2`` boxes -> ``(N, 4)`` float64 in the filter's format."""
        xyxy = np.asarray(xyxy, dtype=np.float64)
        box = np.empty_like(xyxy)
        box[:, 2:] = xyxy[:, 2:] - xyxy[:, :2]
        box[:, :2] = xyxy[:, :2] + box[:, 2:] / 2
        if self.box_format == "xyah":
            box[:, 2] /= box[:, 3]
        return box

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        """``(N, 8)`` states (or ``(N, 4)`` boxes) -> ``(N, 4)`` float64 ``x1, y1, x2, y2``."""
        half = mean[:, 2:4] / 2
        if self.box_format == "xyah":
            half[:, 0] *= mean[:, 3]
        return np.concatenate([mean[:, :2] - half, mean[:, :2] + half], axis=1)

    def initiate(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks at ``(N, 4)`` measurements with zero velocity.

        Returns:
            mean ``(N, 8)`` and covariance ``(N, 8, 8)``, float64.
        """
        mean = np.concatenate([measurement, np.zeros_like(measurement)], axis=1)
        std = np.concatenate(
            [
                self._std(measurement, 2 * _STD_WEIGHT_POSITION, _ASPECT_STD_POSITION),
                self._std(measurement, 10 * _STD_WEIGHT_VELOCITY, _ASPECT_STD_VELOCITY),
            ],
            axis=1,
        )
        return mean, _diagonal(np.square(std))

    def predict(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance ``(N, 8)`` means and ``(N, 8, 8)`` covariances by one frame (new arrays)."""
        std = np.concatenate(
            [
                self._std(mean, _STD_WEIGHT_POSITION, _ASPECT_STD_POSITION),
                self._std(mean, _STD_WEIGHT_VELOCITY, _ASPECT_STD_VELOCITY),
            ],
            axis=1,
        )
        mean = mean @ self._motion.T
        covariance = self._motion @ covariance @ self._motion.T + _diagonal(np.square(std))
        return mean, covariance

    def update(
        self,
        mean: np.ndarray,
        covariance: np.ndarray,
        measurement: np.ndarray,
        confidence: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct ``(N, 8)`` means and ``(N, 8, 8)`` covariances with ``(N, 4)`` measurements.

        With ``confidence`` (``(N,)`` detection scores), a measurement's noise is scaled by
        ``max(1 - confidence, 0.05)``: confident detections move the state more (NSA Kalman,
        as TrackTrack uses it).
        """
        noise = np.square(self._std(mean, _STD_WEIGHT_POSITION, _ASPECT_STD_MEASUREMENT))
        if confidence is not None:
            noise *= np.maximum(1.0 - np.asarray(confidence, dtype=np.float64), 0.05)[:, None]
        innovation_cov = covariance[:, :4, :4] + _diagonal(noise)
        gain = np.linalg.solve(innovation_cov, covariance[:, :4, :]).transpose(0, 2, 1)
        innovation = measurement - mean[:, :4]
        mean = mean + np.einsum("nij,nj->ni", gain, innovation)
        covariance = covariance - gain @ innovation_cov @ gain.transpose(0, 2, 1)
        return mean, covariance

    def _std(self, box: np.ndarray, weight: float, aspect_std: float) -> np.ndarray:
        """``(N, 4)`` noise standard deviations for boxes (the first 4 columns of ``box``)."""
        if self.box_format == "xywh":
            return weight * box[:, [2, 3, 2, 3]]
        std = weight * np.repeat(box[:, 3:4], 4, axis=1)
        std[:, 2] = aspect_std
        return std


def _diagonal(values: np.ndarray) -> np.ndarray:
    """``(N, D)`` -> ``(N, D, D)`` diagonal matrices."""
    n, d = values.shape
    out = np.zeros((n, d, d))
    out[:, np.arange(d), np.arange(d)] = values
    return out
