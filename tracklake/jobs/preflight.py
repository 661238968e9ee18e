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

import pyarrow.fs as pafs

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.errors import DeviceError, ModelError
from tracklake.detection.preflight import ModelFacts, check_model
from tracklake.io import layout
from tracklake.io.bucket_store import BucketPrefix
from tracklake.io.remote import is_uri
from tracklake.jobs.plan import plan_run


class PreflightError(ValueError):
    """The run cannot start: its output folder, model, classes or device is unusable."""


def check_out_dir(out_dir: str) -> None:
    """Check that the run's ``OUT`` can be written: a bucket prefix (``check_bucket``) or a
    local folder (``check_folder``).

    Raises:
        PreflightError: naming ``OUT`` and the cause.
    """
    if is_uri(out_dir):
        check_bucket(out_dir)
    else:
        check_folder(Path(out_dir))


def check_bucket(uri: str) -> None:
    """Check that the bucket of ``uri`` exists and that an object can be written under the
    prefix and deleted again (a policy without delete could not overwrite or clean up).

    Raises:
        PreflightError: naming the URI and the cause (a missing bucket, bad credentials, a
            denied write or delete), as one line.
    """
    store = BucketPrefix(uri)
    bucket = store.path("").split("/")[0]
    probe = store.path(layout.temporary_name("write-check"))
    step = f"look up bucket {bucket}"
    try:
        if store.filesystem.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise PreflightError(f"output {uri}: bucket {bucket} does not exist")
        step = "write an object there"
        with store.filesystem.open_output_stream(probe) as sink:
            sink.write(b"")
        step = "delete an object there (overwrite and resume delete objects)"
        store.filesystem.delete_file(probe)
    except OSError as error:
        raise PreflightError(f"output {uri}: cannot {step}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def check_folder(out_dir: Path) -> None:
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
    out_dir: str, pipeline: PipelineConfig, job: JobConfig
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
