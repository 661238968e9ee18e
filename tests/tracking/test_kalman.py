"""The batched Kalman filter (``tracking.kalman``) against Ultralytics' one-track filters, and
the invariants any Kalman filter keeps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ultralytics.trackers.utils.kalman_filter import KalmanFilterXYAH, KalmanFilterXYWH

from tracklake.tracking.kalman import KalmanFilter

BOX_FORMATS = ("xyah", "xywh")
REFERENCES = {"xyah": KalmanFilterXYAH, "xywh": KalmanFilterXYWH}


def random_xyxy(rng: np.random.Generator, n: int) -> np.ndarray:
    """``(n, 4)`` float64 boxes inside a 1920x1080 frame, 10 to 300 pixels a side."""
    corner = rng.uniform([0, 0], [1600, 800], size=(n, 2))
    size = rng.uniform(10, 300, size=(n, 2))
    return np.concatenate([corner, corner + size], axis=1)


def jitter(rng: np.random.Generator, xyxy: np.ndarray) -> np.ndarray:
    """The boxes moved by up to 20 pixels and resized by up to 10 %, still valid."""
    centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2 + rng.uniform(-20, 20, size=(len(xyxy), 2))
    half = (xyxy[:, 2:] - xyxy[:, :2]) / 2 * rng.uniform(0.9, 1.1, size=(len(xyxy), 2))
    return np.concatenate([centre - half, centre + half], axis=1)


def is_symmetric_positive_definite(covariance: np.ndarray) -> bool:
    symmetric = np.allclose(covariance, covariance.transpose(0, 2, 1), rtol=0, atol=1e-9)
    return symmetric and bool((np.linalg.eigvalsh(covariance) > 0).all())


@pytest.mark.parametrize("box_format", BOX_FORMATS)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tracks=st.integers(1, 6), steps=st.integers(1, 12))
def test_each_track_follows_ultralytics_filter(box_format, seed, tracks, steps):
    rng = np.random.default_rng(seed)
    kalman, reference = KalmanFilter(box_format), REFERENCES[box_format]()
    xyxy = random_xyxy(rng, tracks)
    mean, covariance = kalman.initiate(kalman.measure(xyxy))
    expected = [reference.initiate(box) for box in kalman.measure(xyxy)]
    for step in range(steps):
        mean, covariance = kalman.predict(mean, covariance)
        expected = [reference.predict(m, c) for m, c in expected]
        if step % 3 != 2:  # every third frame the tracks go unseen
            xyxy = jitter(rng, xyxy)
            measurement = kalman.measure(xyxy)
            mean, covariance = kalman.update(mean, covariance, measurement)
            expected = [
                reference.update(m, c, z) for (m, c), z in zip(expected, measurement, strict=True)
            ]
        np.testing.assert_allclose(mean, [m for m, _ in expected], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(covariance, [c for _, c in expected], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("box_format", BOX_FORMATS)
def test_covariance_stays_symmetric_positive_definite(box_format):
    rng = np.random.default_rng(0)
    kalman = KalmanFilter(box_format)
    xyxy = random_xyxy(rng, 20)
    mean, covariance = kalman.initiate(kalman.measure(xyxy))
    assert is_symmetric_positive_definite(covariance)
    for step in range(100):
        mean, covariance = kalman.predict(mean, covariance)
        assert is_symmetric_positive_definite(covariance)
        if step % 10 < 7:
            xyxy = jitter(rng, xyxy)
            mean, covariance = kalman.update(mean, covariance, kalman.measure(xyxy))
            assert is_symmetric_positive_definite(covariance)


@pytest.mark.parametrize("box_format", BOX_FORMATS)
def test_predict_moves_boxes_by_their_velocity(box_format):
    kalman = KalmanFilter(box_format)
    mean, covariance = kalman.initiate(kalman.measure(random_xyxy(np.random.default_rng(1), 4)))
    mean[:, 4:] = [3.0, -2.0, 0.0, 1.0]
    predicted, predicted_covariance = kalman.predict(mean, covariance)
    np.testing.assert_allclose(predicted[:, :4], mean[:, :4] + mean[:, 4:])
    np.testing.assert_array_equal(predicted[:, 4:], mean[:, 4:])
    # uncertainty grows while a box goes unseen
    assert (
        np.diagonal(predicted_covariance, axis1=1, axis2=2)
        > np.diagonal(covariance, axis1=1, axis2=2)
    ).all()


@pytest.mark.parametrize("box_format", BOX_FORMATS)
def test_measuring_the_predicted_box_leaves_the_mean_and_shrinks_the_uncertainty(box_format):
    kalman = KalmanFilter(box_format)
    mean, covariance = kalman.initiate(kalman.measure(random_xyxy(np.random.default_rng(2), 5)))
    mean[:, 4:] = [1.5, 0.5, 0.0, -0.5]
    mean, covariance = kalman.predict(mean, covariance)
    updated, updated_covariance = kalman.update(mean, covariance, mean[:, :4].copy())
    np.testing.assert_allclose(updated, mean, rtol=0, atol=1e-9)
    before = np.diagonal(covariance, axis1=1, axis2=2)
    after = np.diagonal(updated_covariance, axis1=1, axis2=2)
    assert (after[:, :4] < before[:, :4]).all() and (after <= before).all()


@pytest.mark.parametrize("box_format", BOX_FORMATS)
def test_velocity_converges_on_a_box_moving_steadily(box_format):
    kalman = KalmanFilter(box_format)
    xyxy = np.array([[100.0, 200.0, 150.0, 300.0]])
    step = np.array([4.0, -1.0, 4.0, -1.0])
    mean, covariance = kalman.initiate(kalman.measure(xyxy))
    for _ in range(60):
        xyxy = xyxy + step
        mean, covariance = kalman.predict(mean, covariance)
        mean, covariance = kalman.update(mean, covariance, kalman.measure(xyxy))
    np.testing.assert_allclose(mean[0, 4:], [4.0, -1.0, 0.0, 0.0], atol=0.05)
    np.testing.assert_allclose(kalman.to_xyxy(mean), xyxy, atol=0.5)


@pytest.mark.parametrize("box_format", BOX_FORMATS)
def test_tracks_in_one_batch_do_not_influence_each_other(box_format):
    rng = np.random.default_rng(3)
    kalman = KalmanFilter(box_format)
    xyxy = random_xyxy(rng, 6)
    mean, covariance = kalman.predict(*kalman.initiate(kalman.measure(xyxy)))
    measurement = kalman.measure(jitter(rng, xyxy))
    together = kalman.update(mean, covariance, measurement)
    for row in range(6):
        alone = kalman.update(mean[[row]], covariance[[row]], measurement[[row]])
        np.testing.assert_array_equal(alone[0][0], together[0][row])
        np.testing.assert_array_equal(alone[1][0], together[1][row])


@pytest.mark.parametrize("box_format", BOX_FORMATS)
def test_measure_and_to_xyxy_are_inverse(box_format):
    kalman = KalmanFilter(box_format)
    xyxy = random_xyxy(np.random.default_rng(4), 10)
    np.testing.assert_allclose(kalman.to_xyxy(kalman.measure(xyxy)), xyxy, rtol=1e-12)
    box = kalman.measure(np.array([[10.0, 20.0, 50.0, 120.0]]))[0]
    size = [40 / 100, 100] if box_format == "xyah" else [40, 100]
    np.testing.assert_allclose(box, [30, 70, *size])


def test_an_unknown_box_format_is_refused():
    with pytest.raises(ValueError, match="box_format"):
        KalmanFilter("xyxy")
