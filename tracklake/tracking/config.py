"""Tracker configuration: Ultralytics' tracker YAML keys, validated, with Ultralytics' defaults.

A configuration comes from a short name (``bytetrack``, ``botsort``, ``ocsort``, ``deepocsort``,
``fasttrack``, ``tracktrack``, optionally with ``.yaml``: Ultralytics' own files, whose values are
the defaults, see ``TrackerConfig.of``) or from a YAML file in Ultralytics' format. One key is
tracklake's own: ``track_buffer_fps``, the frame rate at which ``track_buffer`` counts frames.
Ultralytics counts the buffer in frames of whatever video it runs on; tracklake turns it into
seconds (``track_buffer / track_buffer_fps``) and back into frames at each video's real frame
rate and ``vid_stride``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRACKER_TYPES = ("bytetrack", "botsort", "ocsort", "deepocsort", "fasttrack", "tracktrack")
GMC_METHODS = ("none", "sparseOptFlow", "orb", "ecc")

_COMMON_KEYS = (
    "tracker_type",
    "track_high_thresh",
    "track_low_thresh",
    "new_track_thresh",
    "track_buffer",
    "match_thresh",
    "fuse_score",
    "track_buffer_fps",
)
_APPEARANCE_KEYS = ("proximity_thresh", "appearance_thresh", "with_reid", "model")
_OCSORT_KEYS = (*_COMMON_KEYS, "delta_t", "inertia", "use_byte")
_KEYS_BY_TYPE = {
    "bytetrack": _COMMON_KEYS,
    "botsort": (*_COMMON_KEYS, "gmc_method", *_APPEARANCE_KEYS),
    "ocsort": _OCSORT_KEYS,
    "deepocsort": (*_OCSORT_KEYS, "gmc_method", *_APPEARANCE_KEYS, "alpha_fixed_emb"),
    "fasttrack": (
        *_COMMON_KEYS,
        "reset_velocity_offset_occ",
        "reset_pos_offset_occ",
        "enlarge_bbox_occ",
        "dampen_motion_occ",
        "active_occ_to_lost_thresh",
        "occ_cover_thresh",
        "occ_reappear_window",
        "init_iou_suppress",
    ),
    "tracktrack": (
        *(key for key in _COMMON_KEYS if key != "fuse_score"),
        "lost_match_thr",
        "iou_weight",
        "reid_weight",
        "conf_weight",
        "angle_weight",
        "penalty_p",
        "penalty_q",
        "reduce_step",
        "tai_thr",
        "min_track_len",
        "gmc_method",
        "with_reid",
        "model",
    ),
}
# Where a tracker's Ultralytics YAML file differs from the field defaults.
_DEFAULTS_BY_TYPE: dict[str, dict[str, Any]] = {
    "deepocsort": {
        "track_high_thresh": 0.3,
        "new_track_thresh": 0.3,
        "gmc_method": "none",
        "appearance_thresh": 0.9,
    },
    "tracktrack": {
        "track_high_thresh": 0.6,
        "track_low_thresh": 0.25,
        "new_track_thresh": 0.7,
        "match_thresh": 0.7,
    },
}
_UNIT_INTERVAL_KEYS = (
    "track_high_thresh",
    "track_low_thresh",
    "new_track_thresh",
    "match_thresh",
    "proximity_thresh",
    "appearance_thresh",
    "alpha_fixed_emb",
    "dampen_motion_occ",
    "occ_cover_thresh",
    "init_iou_suppress",
    "lost_match_thr",
    "tai_thr",
)
_POSITIVE_KEYS = ("delta_t", "reset_velocity_offset_occ", "reset_pos_offset_occ", "min_track_len")
_NON_NEGATIVE_KEYS = (
    "track_buffer",
    "active_occ_to_lost_thresh",
    "occ_reappear_window",
    "enlarge_bbox_occ",
    "iou_weight",
    "reid_weight",
    "conf_weight",
    "angle_weight",
    "penalty_p",
    "penalty_q",
    "reduce_step",
)


@dataclass(frozen=True)
class TrackerConfig:
    """One tracker's settings; field names and defaults are Ultralytics' (8.4).

    The field defaults are those of ByteTrack, BoT-SORT, OC-SORT and FastTrack; Deep OC-SORT's
    and TrackTrack's files change a few (``TrackerConfig.of`` applies them).

    Attributes:
        tracker_type: one of ``TRACKER_TYPES``.
        track_high_thresh: detections scoring at least this join the first association.
        track_low_thresh: detections scoring above this (and below ``track_high_thresh``)
            join the second association: they continue tracks but never start one.
        new_track_thresh: an unmatched high detection scoring at least this starts a track.
        track_buffer: how long a lost track can be recovered, in frames at ``track_buffer_fps``.
        match_thresh: cost limit (1 - IoU, fused with the score) of the first association.
        fuse_score: multiply IoU by the detection score in the association cost.
        track_buffer_fps: the frame rate ``track_buffer`` is counted at (tracklake's own key;
            Ultralytics assumes 30 fps).
        gmc_method: BoT-SORT camera-motion compensation: ``none`` | ``sparseOptFlow`` |
            ``orb`` | ``ecc`` (all but ``none`` need OpenCV).
        proximity_thresh: BoT-SORT: minimum IoU for appearance to count.
        appearance_thresh: BoT-SORT: minimum cosine similarity for appearance to count.
        with_reid: BoT-SORT: match on appearance embeddings too.
        model: BoT-SORT's ReID model, which gives the detections their embeddings
            (``DetectorConfig.embeddings``): ``auto``, the detector's own feature maps, or a
            ReID model run on the detections' crops (a ``.pt`` checkpoint or its ``.onnx``
            export).
        delta_t: OC-SORT: frames back over which a track's direction is measured.
        inertia: OC-SORT: weight of the direction-consistency cost.
        use_byte: OC-SORT: run ByteTrack's second association on low-score detections.
        alpha_fixed_emb: Deep OC-SORT: weight of a track's past appearance in its running
            embedding, for the most confident detections (less confident ones weigh less).
        reset_velocity_offset_occ: FastTrack: on occlusion, the Kalman velocity goes back to
            that of this many corrections ago.
        reset_pos_offset_occ: FastTrack: on occlusion, the Kalman box and covariance go back
            to those of this many corrections ago.
        enlarge_bbox_occ: FastTrack: on occlusion, the box height is scaled by this, once.
        dampen_motion_occ: FastTrack: on occlusion, the velocity is scaled by this, once.
        active_occ_to_lost_thresh: FastTrack: occluded frames after which an occluded track
            is lost anyway.
        occ_cover_thresh: FastTrack: share of an unmatched track's box covered by a matched
            one above which it is occluded.
        occ_reappear_window: FastTrack: frames after an occlusion during which a lost track
            is kept whatever ``track_buffer`` says.
        init_iou_suppress: FastTrack: a detection overlapping a tracked box by at least this
            IoU starts no track (1.0: never suppressed).
        lost_match_thr: TrackTrack: cost limit of a second chance for lost tracks (0: none).
        iou_weight: TrackTrack: weight of the height-modulated IoU cost (with appearance).
        reid_weight: TrackTrack: weight of the appearance cost (with appearance).
        conf_weight: TrackTrack: weight of the score-difference cost.
        angle_weight: TrackTrack: weight of the corner-direction cost.
        penalty_p: TrackTrack: extra cost of low-score detections.
        penalty_q: TrackTrack: extra cost of detections recovered from NMS (not produced by
            tracklake's detector).
        reduce_step: TrackTrack: the cost limit falls by this each round of matching.
        tai_thr: TrackTrack: IoU above which a detection starts no track (track-aware NMS).
        min_track_len: TrackTrack: matches a new track needs to be confirmed.
    """

    tracker_type: str = "bytetrack"
    track_high_thresh: float = 0.25
    track_low_thresh: float = 0.1
    new_track_thresh: float = 0.25
    track_buffer: int = 30
    match_thresh: float = 0.8
    fuse_score: bool = True
    track_buffer_fps: float = 30.0
    gmc_method: str = "sparseOptFlow"
    proximity_thresh: float = 0.5
    appearance_thresh: float = 0.8
    with_reid: bool = False
    model: str = "auto"
    delta_t: int = 3
    inertia: float = 0.2
    use_byte: bool = False
    alpha_fixed_emb: float = 0.95
    reset_velocity_offset_occ: int = 5
    reset_pos_offset_occ: int = 3
    enlarge_bbox_occ: float = 1.1
    dampen_motion_occ: float = 0.5
    active_occ_to_lost_thresh: int = 10
    occ_cover_thresh: float = 0.7
    occ_reappear_window: int = 40
    init_iou_suppress: float = 0.7
    lost_match_thr: float = 0.0
    iou_weight: float = 0.5
    reid_weight: float = 0.5
    conf_weight: float = 0.1
    angle_weight: float = 0.05
    penalty_p: float = 0.2
    penalty_q: float = 0.4
    reduce_step: float = 0.05
    tai_thr: float = 0.55
    min_track_len: int = 3

    @classmethod
    def of(cls, tracker_type: str, **settings: Any) -> TrackerConfig:
        """Ultralytics' defaults for ``tracker_type`` (its YAML file's values), with
        ``settings`` changed."""
        return cls(
            tracker_type=tracker_type, **{**_DEFAULTS_BY_TYPE.get(tracker_type, {}), **settings}
        )

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            _check_type(field.name, getattr(self, field.name), str(field.type))
            if field.type == "float":  # YAML writes 25 for 25.0
                object.__setattr__(self, field.name, float(getattr(self, field.name)))
        if self.tracker_type not in TRACKER_TYPES:
            raise ValueError(
                f"tracker_type must be one of {', '.join(TRACKER_TYPES)}, got {self.tracker_type!r}"
            )
        for key in _UNIT_INTERVAL_KEYS:
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ValueError(f"{key} must lie in [0, 1], got {getattr(self, key)!r}")
        for key in _NON_NEGATIVE_KEYS:
            if getattr(self, key) < 0:
                raise ValueError(f"{key} must be >= 0, got {getattr(self, key)!r}")
        for key in _POSITIVE_KEYS:
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)!r}")
        if self.track_buffer_fps <= 0:
            raise ValueError(f"track_buffer_fps must be > 0, got {self.track_buffer_fps}")
        if self.gmc_method not in GMC_METHODS:
            raise ValueError(
                f"gmc_method must be one of {', '.join(GMC_METHODS)}, got {self.gmc_method!r}"
            )
        if not self.model:
            raise ValueError("model must be 'auto' or a ReID model, got ''")

    @property
    def uses_appearance(self) -> bool:
        """Whether the tracker matches on appearance embeddings: ``with_reid`` on one that has
        it (BoT-SORT, Deep OC-SORT, TrackTrack)."""
        return self.with_reid and "with_reid" in _KEYS_BY_TYPE[self.tracker_type]

    @property
    def uses_recovered_detections(self) -> bool:
        """Whether the tracker matches the detections a looser NMS recovers, as a second set
        (TrackTrack, as Ultralytics feeds it: ``detection.recovery``)."""
        return self.tracker_type == "tracktrack"

    @property
    def compensates_camera_motion(self) -> bool:
        """Whether the tracker compensates camera motion: a ``gmc_method`` other than
        ``none`` on one that has it (BoT-SORT, Deep OC-SORT, TrackTrack)."""
        return self.gmc_method != "none" and "gmc_method" in _KEYS_BY_TYPE[self.tracker_type]

    @property
    def buffer_seconds(self) -> float:
        """``track_buffer`` in seconds of video."""
        return self.track_buffer / self.track_buffer_fps

    def buffer_frames(self, fps: float, vid_stride: int = 1) -> int:
        """``track_buffer`` in frames the tracker sees of a video at ``fps`` read every
        ``vid_stride``-th frame; equals ``track_buffer`` at ``track_buffer_fps`` and stride 1."""
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        if vid_stride < 1:
            raise ValueError(f"vid_stride must be >= 1, got {vid_stride}")
        return round(self.buffer_seconds * fps / vid_stride)

    def to_dict(self) -> dict[str, Any]:
        """The keys that matter to this ``tracker_type``, JSON-able, in Ultralytics' order."""
        return {key: getattr(self, key) for key in _KEYS_BY_TYPE[self.tracker_type]}


def load_tracker_config(name_or_path: str | Path) -> TrackerConfig:
    """Read a tracker configuration.

    Args:
        name_or_path: an Ultralytics tracker YAML file, or a short name, one of
            ``TRACKER_TYPES`` (also with ``.yaml`` when no such file exists here),
            which gives Ultralytics' defaults for that tracker.

    Raises:
        ValueError: the file is not a mapping, lacks ``tracker_type``, or has a key unknown to
            its tracker type or a value of the wrong type; the message names the file.
        FileNotFoundError: neither a file nor a short name.
    """
    path = Path(name_or_path)
    if not path.is_file():
        short_name = path.name.removesuffix(".yaml")
        if path.parent == Path(".") and short_name in TRACKER_TYPES:
            return TrackerConfig.of(short_name)
        raise FileNotFoundError(
            f"no tracker config {str(name_or_path)!r}: not a file, nor one of "
            f"{', '.join(TRACKER_TYPES)}"
        )
    import yaml  # only YAML files need it

    try:
        values = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of tracker settings, got {type(values)}")
    try:
        return _from_mapping(values)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def _from_mapping(values: dict[str, Any]) -> TrackerConfig:
    if "tracker_type" not in values:
        raise ValueError("missing key 'tracker_type'")
    tracker_type = values["tracker_type"]
    if tracker_type not in _KEYS_BY_TYPE:
        raise ValueError(
            f"tracker_type must be one of {', '.join(TRACKER_TYPES)}, got {tracker_type!r}"
        )
    unknown = sorted(set(values) - set(_KEYS_BY_TYPE[tracker_type]))
    if unknown:
        raise ValueError(
            f"unknown key(s) for tracker_type {tracker_type!r}: {', '.join(unknown)} "
            f"(known: {', '.join(_KEYS_BY_TYPE[tracker_type])})"
        )
    return TrackerConfig.of(**values)


def _check_type(key: str, value: Any, annotation: str) -> None:
    """Raise ``ValueError`` unless ``value`` fits the field's annotation (``str``, ``int``,
    ``float`` or ``bool``; an ``int`` fits ``float``; ``bool`` fits only ``bool``)."""
    if annotation == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif annotation == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, {"str": str, "bool": bool}[annotation])
    if not ok:
        raise ValueError(f"{key} must be {annotation}, got {value!r} ({type(value).__name__})")
