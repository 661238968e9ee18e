"""The error of a job that cannot start."""

from __future__ import annotations


class JobError(RuntimeError):
    """The job cannot start: bad model, resources the cluster lacks, an unreachable cluster."""
