"""What a run checks before any work starts: its output folder, model (and the tracker's ReID
model), classes and device.

Each problem is one ``PreflightError`` line naming the folder, file or device and the cause,
raised before Ray starts and before anything is written. The model is checked in a
short-lived child process (``detection.preflight``), so the driver never loads torch.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.errors import DeviceError, ModelError
from tracklake.detection.preflight import ModelFacts, check_model
from tracklake.jobs.plan import plan_run


class PreflightError(ValueError):
    """The run cannot start: its output folder, model, classes or device is unusable."""


def check_out_dir(out_dir: Path) -> None:
    """Check that ``out_dir`` is a folder this process can write to, or can be created as one.

    Writes and removes a probe in the folder (or in its nearest existing parent): permissions
    alone do not tell a read-only file system, and root passes every permission check.

    Raises:
        PreflightError: naming the folder and the cause.
    """
    existing = out_dir
    while not existing.exists():
        if existing.is_symlink():  # a dangling link: creating the folder would fail
            raise PreflightError(f"output folder {out_dir}: {existing} is a broken link")
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == out_dir else f" ({existing} is)"
        raise PreflightError(f"output folder {out_dir}: not a folder{where}")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".tracklake-write-check-", dir=existing))
    except OSError as error:
        raise PreflightError(
            f"output folder {out_dir}: cannot write in {existing}: {error.strerror}"
        ) from None


def check_run(
    out_dir: Path, pipeline: PipelineConfig, job: JobConfig
) -> tuple[PipelineConfig, ModelFacts]:
    """Check everything a run needs before it starts.

    Returns:
        ``pipeline`` after the driver's step (``plan.plan_run``: its classes as the model's
        ids), and the model's facts.

    Raises:
        PreflightError: the first problem found, as one line.
    """
    check_out_dir(out_dir)
    try:
        # Workers joining a cluster run elsewhere: only an embedded run's device is here.
        model = check_model(pipeline.inference_detector(), check_device=job.address is None)
        return plan_run(pipeline, model.class_names), model
    except (ModelError, DeviceError, ValueError) as error:
        raise PreflightError(str(error)) from None
