"""Camera-motion compensation for BoT-SORT: the camera's motion between two consecutive
frames as a ``(2, 3)`` affine warp, by Ultralytics' methods (sparse optical flow, ORB
features, ECC), or replayed from the warps a run saved (``retrack``, ``tune``). Estimating
needs OpenCV (``pip install 'tracklake[opencv]'``), imported only here.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np

DOWNSCALE = 2  # full-size frames are halved before estimating, as in Ultralytics
_CORNERS = {
    "maxCorners": 400,
    "qualityLevel": 0.01,
    "minDistance": 0,
    "blockSize": 3,
    "useHarrisDetector": False,
    "k": 0.04,
}
_RANSAC_SEED = 0


class CameraMotionSource(Protocol):
    """Where a tracker gets the camera's motion for each frame, in order."""

    needs_frame: ClassVar[bool]  # whether ``estimate`` looks at the frame

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """``(2, 3)`` float64 warp from the last frame to this one, in original pixels."""
        ...


class SavedCameraMotion:
    """The camera's motion as a run found it (``track --save-detections``), replayed.

    Args:
        warps: ``(F, 2, 3)`` float64, the warp of every frame the run tracked, in order.
    """

    needs_frame: ClassVar[bool] = False

    def __init__(self, warps: np.ndarray) -> None:
        self._warps = iter(np.asarray(warps, dtype=np.float64))

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """The next frame's saved warp; ``frame`` and ``boxes`` are not looked at.

        Raises:
            ValueError: more frames were tracked than warps were saved.
        """
        try:
            return next(self._warps)
        except StopIteration:
            raise ValueError("more frames than saved camera-motion warps") from None


class CameraMotion:
    """Estimate the camera's motion frame to frame, for one video.

    The motion is estimated on a grey image of at most half the original size: a full-size
    frame is halved as Ultralytics does; a frame the decoder already scaled down (to the
    model's input size) is used as it is. Warps are always returned in original pixels, the
    pixels of the tracks.

    Args:
        method: ``sparseOptFlow`` | ``orb`` | ``ecc``.
        frame_size: ``(H, W)`` of the original frames, when ``estimate`` gets them scaled;
            ``None`` when it gets them at their original size.

    Raises:
        ImportError: OpenCV is not installed; the message says how to go on without it.
    """

    needs_frame: ClassVar[bool] = True

    def __init__(self, method: str, frame_size: tuple[int, int] | None = None) -> None:
        try:
            import cv2
        except ImportError as error:
            raise ImportError(
                f"gmc_method {method!r} needs OpenCV: pip install 'tracklake[opencv]', "
                "or set gmc_method: none"
            ) from error
        if method not in ("sparseOptFlow", "orb", "ecc"):
            raise ValueError(f"unknown gmc_method {method!r}")
        self.method = method
        self.frame_size = frame_size
        self._cv2 = cv2
        self._scale = np.ones(2)  # (x, y) original pixels per working-image pixel
        self._previous: dict[str, Any] | None = None  # the last frame's image and features

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """The warp from the last frame to ``frame``; identity on the first frame or when
        too little matches.

        Args:
            frame: ``(h, w, 3)`` uint8 RGB, the original frame or a scaled copy of it.
            boxes: ``(N, 4)`` ``x1, y1, x2, y2`` detections in original pixels, left out of
                ORB's features (moving objects say nothing about the camera).

        Returns:
            ``(2, 3)`` float64 affine warp in original pixels.

        Raises:
            ValueError: ``frame`` is None (the tracker was not given the image).
        """
        if frame is None:
            raise ValueError(
                f"gmc_method {self.method!r} needs each frame's image: pass "
                "update(detections, frame), or set gmc_method: none"
            )
        cv2 = self._cv2
        height, width = frame.shape[:2]
        original_height, original_width = self.frame_size or (height, width)
        size = (width, height)
        if width * DOWNSCALE > original_width:  # more than half the original size: halve it
            size = (width // DOWNSCALE, height // DOWNSCALE)
        self._scale = np.array([original_width / size[0], original_height / size[1]])
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self.method == "ecc":
            gray = cv2.GaussianBlur(gray, (3, 3), 1.5)
        if size != (width, height):
            gray = cv2.resize(gray, size)
        current, points = self._features(gray, boxes / np.tile(self._scale, 2))
        warp = np.eye(2, 3)
        if self._previous is not None:
            warp = self._to_original_pixels(points(self._previous))
        self._previous = current
        return warp

    def _to_original_pixels(self, warp: np.ndarray) -> np.ndarray:
        """A warp between working images as a warp between original frames: ``S W S^-1``
        with ``S`` the per-axis scale, so translations grow by the scale."""
        scale = self._scale
        warp = warp.astype(np.float64)
        warp[:, :2] *= scale[:, None] / scale[None, :]
        warp[:, 2] *= scale
        return warp

    def _features(self, gray: np.ndarray, boxes: np.ndarray) -> tuple[dict[str, Any], Any]:
        """This frame's state, and a function of the last frame's state giving the warp."""
        cv2 = self._cv2
        if self.method == "ecc":
            return {"image": gray}, lambda previous: self._ecc(previous["image"], gray)
        if self.method == "sparseOptFlow":
            corners = cv2.goodFeaturesToTrack(gray, mask=None, **_CORNERS)
            return {"image": gray, "corners": corners}, lambda previous: self._flow(previous, gray)
        keypoints, descriptors = _orb_features(cv2, gray, boxes)
        current = {"keypoints": keypoints, "descriptors": descriptors}
        return current, lambda previous: self._orb_match(previous, current, gray.shape)

    def _flow(self, previous: dict[str, Any], gray: np.ndarray) -> np.ndarray:
        if previous["corners"] is None:
            return np.eye(2, 3)
        # nextPts=None lets OpenCV allocate the output points; the stubs of opencv 4.x reject
        # None there and those of 5.x accept it, so the call goes through an untyped name.
        optical_flow: Any = self._cv2.calcOpticalFlowPyrLK
        moved, status, _ = optical_flow(previous["image"], gray, previous["corners"], None)
        good = status.ravel().astype(bool)
        return self._fit(previous["corners"][good], moved[good])

    def _orb_match(
        self, previous: dict[str, Any], current: dict[str, Any], shape: tuple[int, ...]
    ) -> np.ndarray:
        if previous["descriptors"] is None or current["descriptors"] is None:
            return np.eye(2, 3)
        matcher = self._cv2.BFMatcher(self._cv2.NORM_HAMMING)
        pairs = [
            (previous["keypoints"][m.queryIdx].pt, current["keypoints"][m.trainIdx].pt)
            for m, n in (
                knn
                for knn in matcher.knnMatch(previous["descriptors"], current["descriptors"], 2)
                if len(knn) == 2
            )
            if m.distance < 0.9 * n.distance
        ]
        if not pairs:
            return np.eye(2, 3)
        before, after = (
            np.array(side, dtype=np.float32).reshape(-1, 2) for side in zip(*pairs, strict=True)
        )
        shift = after - before
        # A match moving more than a quarter of the frame is wrong; so is an outlier shift.
        near = (np.abs(shift) < 0.25 * np.array([shape[1], shape[0]])).all(axis=1)
        before, after, shift = before[near], after[near], shift[near]
        if not len(shift):
            return np.eye(2, 3)
        inlier = (np.abs(shift - shift.mean(0)) <= 2.5 * shift.std(0)).all(axis=1)
        return self._fit(before[inlier], after[inlier])

    def _ecc(self, previous: np.ndarray, gray: np.ndarray) -> np.ndarray:
        cv2 = self._cv2
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 5000, 1e-6)
        try:
            _, warp = cv2.findTransformECC(
                previous,
                gray,
                np.eye(2, 3, dtype=np.float32),
                cv2.MOTION_EUCLIDEAN,
                criteria,
                None,
                1,
            )
        except cv2.error:  # no convergence: assume a still camera for this frame
            return np.eye(2, 3)
        return warp

    def _fit(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """Rotation, uniform scale and translation from matched points (RANSAC, with a fixed
        seed so a video tracks the same whatever ran before it)."""
        cv2 = self._cv2
        if len(before) <= 4:
            return np.eye(2, 3)
        cv2.setRNGSeed(_RANSAC_SEED)
        warp = cv2.estimateAffinePartial2D(before, after, method=cv2.RANSAC)[0]
        if warp is None:
            return np.eye(2, 3)
        return warp


def _orb_features(cv2: Any, gray: np.ndarray, boxes: np.ndarray) -> tuple[Any, Any]:
    """FAST keypoints with ORB descriptors, away from the border and the detections
    (``boxes`` in pixels of ``gray``)."""
    height, width = gray.shape
    mask = np.zeros_like(gray)
    mask[int(0.02 * height) : int(0.98 * height), int(0.02 * width) : int(0.98 * width)] = 255
    for x1, y1, x2, y2 in boxes.astype(np.int64):
        mask[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = 0
    keypoints = cv2.FastFeatureDetector_create(20).detect(gray, mask)
    return cv2.ORB_create().compute(gray, keypoints)


def warp_xywh_states(
    warp: np.ndarray, mean: np.ndarray, covariance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move ``(N, 8)`` ``xywh`` Kalman means and ``(N, 8, 8)`` covariances by a ``(2, 3)``
    affine ``warp`` from the last frame to this one.

    Centres and their velocities follow the warp; sizes follow ``abs`` of its linear part,
    as the box enclosing the moved box does.
    """
    linear = warp[:, :2]
    transform = np.kron(np.eye(4), linear)
    transform[2:4, 2:4] = transform[6:8, 6:8] = np.abs(linear)
    mean = mean @ transform.T
    mean[:, :2] += warp[:, 2]
    return mean, transform @ covariance @ transform.T
