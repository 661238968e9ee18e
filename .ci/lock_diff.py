"""Print every difference between the packages installed in this Python and a pip lock.

Usage: python .ci/lock_diff.py LOCK. Compares the installed distributions (but pip and
tracklake itself) with the ``name==version`` pins of LOCK, names canonicalised as PEP 503
says. Prints one line a difference and exits 1 if there is any, 0 otherwise.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions
from pathlib import Path

from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
# the venv's own pip comes with Python; tracklake is installed from the work tree
NOT_LOCKED = {"pip", "tracklake"}


def main(lock: Path) -> int:
    locked = {canonicalize_name(name): version for name, version in PIN.findall(lock.read_text())}
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in distributions()}
    differences = [
        f"{name}: locked {locked.get(name, '-')}, installed {installed.get(name, '-')}"
        for name in sorted((installed.keys() | locked.keys()) - NOT_LOCKED)
        if installed.get(name) != locked.get(name)
    ]
    for difference in differences:
        print(difference)
    if not differences:
        print(f"the installed packages are those of {lock}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
