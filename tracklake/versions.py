"""The versions of tracklake and the packages that shape its results, without importing them."""

from __future__ import annotations

import platform
from importlib import metadata

__version__ = "0.1.0"  # tracklake's own (pyproject.toml reads it from here)

RESULT_SHAPING_PACKAGES = (
    "tracklake",
    "numpy",
    "scipy",
    "pyarrow",
    "torch",
    "torchvision",
    "ultralytics",
    "av",
    "ray",
)


def package_versions() -> dict[str, str]:
    """``{"python": ..., package: version}`` for each installed package that shapes results."""
    versions = {"python": platform.python_version()}
    for name in RESULT_SHAPING_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
