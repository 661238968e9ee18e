"""Click options over the Python API's parameters: same names, and the API's defaults.

An option's default is read from the signature of the API function its command calls, whose
defaults are in turn the settings dataclasses': no default is written twice.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from tracklake.io.detection_store import DETECTIONS_FLOOR
from tracklake.io.remote import is_uri
from tracklake.tracking.config import TRACKER_TYPES

TRACKER_NAMES = ", ".join(TRACKER_TYPES)  # the trackers by name, for help texts

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def apply_all(decorators: Sequence[Decorator]) -> Decorator:
    """One decorator applying ``decorators`` so that options list in the order given."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate


def api_option(
    function: Callable[..., Any], name: str, *flags: str, **attributes: Any
) -> Decorator:
    """A click option for the parameter ``name`` of the API ``function``, with its default.

    A default of ``None`` is not shown: the option's help says what it means.
    """
    default = inspect.signature(function).parameters[name].default
    return click.option(
        *flags, name, default=default, show_default=default is not None, **attributes
    )


def tracker_option(function: Callable[..., Any]) -> Decorator:
    return api_option(
        function, "tracker", "--tracker",
        help=f"{TRACKER_NAMES}, or an Ultralytics tracker YAML.",
    )  # fmt: skip


def address_option(function: Callable[..., Any]) -> Decorator:
    return api_option(
        function, "address", "--address",
        help="Ray cluster to join: 'auto' or HOST:PORT. Default: an embedded local Ray for "
        "this run.",
    )  # fmt: skip


gt_option = click.option(
    "--gt", "gt", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="MOTChallenge dataset: sequence folders with seqinfo.ini and gt/gt.txt (README).",
)  # fmt: skip


def min_score_option(function: Callable[..., Any]) -> Decorator:
    """``--min-score`` of a command over saved detections, and ``--conf``, its old name:
    hidden, still accepted, with a one-line warning on stderr."""
    score = click.FloatRange(DETECTIONS_FLOOR, 1)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_old_name(*args: Any, conf: float | None, min_score: float | None,
                          **kwargs: Any) -> Any:  # fmt: skip
            if conf is not None:
                if min_score is not None:
                    raise click.UsageError("--conf is the old name of --min-score: give one")
                click.echo(
                    "Warning: --conf is deprecated here: use --min-score (it filters saved "
                    "detections by score; track's --conf is the detector's threshold).",
                    err=True,
                )
                min_score = conf
            return command(*args, min_score=min_score, **kwargs)

        return apply_all(
            [
                api_option(
                    function,
                    "min_score",
                    "--min-score",
                    type=score,
                    help=f"Feed the tracker only the saved detections scoring above this (at "
                    f"least {DETECTIONS_FLOOR}, the score they were saved down to). Default: the "
                    "--conf of the run that saved them, which gives its tracks again. The "
                    "detector does not run again.",
                ),
                click.option("--conf", "conf", default=None, type=score, hidden=True),
            ]
        )(with_old_name)

    return decorate


class RunLocation(click.ParamType):
    """A run's ``OUT``: an ``s3://`` or ``gs://`` prefix, kept as text, or a local folder (a
    ``Path``; ``exists``: an existing folder; else anything, which the run's checks judge)."""

    name = "OUT"

    def __init__(self, exists: bool = False):
        self._folder = click.Path(exists=exists, file_okay=not exists, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and is_uri(value):
            return value
        return self._folder.convert(value, param, ctx)
