"""Joining a Ray cluster, or starting an embedded one that only this process can reach."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ray
from ray._private import ray_constants

from tracklake.jobs.errors import JobError
from tracklake.jobs.watchdog import start_watchdog

_OBJECT_STORE_BYTES = 512 << 20  # only summaries travel through it
_LOOPBACK = "127.0.0.1"
_TOKEN_SETUP_LOGGER = "ray._private.authentication.authentication_token_setup"

# The watchdogs of the embedded Ray sessions this process started. Held for the life of the
# process: the end of a watchdog's pipe, closed when this process ends, ends its session.
_WATCHDOGS: list[subprocess.Popen] = []


def start_ray(address: str | None) -> None:
    """Join the cluster at ``address``, or start an embedded one sized to this machine."""
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    try:
        if address is None:
            _start_embedded_ray(options)
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise JobError(f"cannot connect to the Ray cluster at {address}: {error}") from None


def _start_embedded_ray(options: dict[str, Any]) -> None:
    """A local Ray for this process alone: listening on loopback only, in a temporary folder
    of its own (``$RAY_TMPDIR``, else /tmp: Ray's socket paths must stay short), and ended
    with this process however it ends (see ``watchdog``)."""
    root = os.environ.get("RAY_TMPDIR", "/tmp")
    session_dir = Path(tempfile.mkdtemp(prefix="tracklake-ray-", dir=root))
    _WATCHDOGS.append(start_watchdog(session_dir))
    with _loopback_only(), _quiet_token_banner():
        ray.init(
            _node_ip_address=_LOOPBACK,
            _temp_dir=str(session_dir),
            include_dashboard=False,
            num_cpus=os.cpu_count(),
            object_store_memory=_OBJECT_STORE_BYTES,
            **options,
        )


@contextmanager
def _quiet_token_banner() -> Iterator[None]:
    """Without Ray's warning that token authentication is on, printed by every ``ray.init``
    that starts a cluster while ``RAY_AUTH_MODE`` is unset: the embedded Ray is reachable
    from this machine alone, and the banner tells its user nothing (that module logs no other
    warning; its errors still show)."""
    logger = logging.getLogger(_TOKEN_SETUP_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _loopback_only() -> Iterator[None]:
    """Ray's local-only mode (its default on macOS and Windows) while a local Ray starts.

    Each Ray server (GCS, raylet and object manager, every core worker, the runtime-env
    agent) listens on loopback only when the node's address is 127.0.0.1, but on Linux
    ``ray.init`` replaces 127.0.0.1 with the machine's routable address unless clusters are
    disabled; the processes keep the address they are started with.
    """
    enabled = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = enabled
