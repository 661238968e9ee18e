"""TrackTrack's second detection set, as Ultralytics computes it inside ``model.track``
(``ultralytics/trackers/track_tracker.py``, ``compute_dets_del``): the same predictions run
through a looser NMS (IoU ``RECOVERY_NMS_IOU``, the run's score threshold, classes and
``max_det``), less every box that duplicates a kept one (IoU at least
``RECOVERY_DUPLICATE_IOU``, in frame pixels). A frame without kept boxes recovers none.
TrackTrack matches them last, with a cost penalty, as boxes the NMS may have wrongly dropped
in a crowd. Only for detect models that run NMS (as in Ultralytics).
"""

from __future__ import annotations

import numpy as np
import torch
import torchvision

from tracklake.types import RECOVERED, Detections

RECOVERY_NMS_IOU = 0.95
RECOVERY_DUPLICATE_IOU = 0.97


def with_recovered(kept: Detections, loose: Detections) -> Detections:
    """``kept``, then the rows of ``loose`` (the looser NMS's) that duplicate none of them,
    with ``extras["recovered"]`` saying which rows are which."""
    recovered = loose[np.zeros(len(loose), dtype=bool)]
    if len(kept) and len(loose):
        # Detections' arrays are read-only: copied into the tensors.
        overlap = torchvision.ops.box_iou(torch.tensor(loose.boxes), torch.tensor(kept.boxes))
        recovered = loose[(overlap.max(dim=1).values < RECOVERY_DUPLICATE_IOU).numpy()]
    flags = np.concatenate([np.zeros(len(kept), dtype=bool), np.ones(len(recovered), dtype=bool)])
    both = Detections.concatenate([kept, recovered])
    return Detections(both.boxes, both.scores, both.class_ids, {**both.extras, RECOVERED: flags})
