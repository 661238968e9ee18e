"""Print every difference between the packages installed in this Python and a pip lock.

Usage: python .ci/lock_diff.py LOCK. Compares ``pip freeze --all`` (pip itself and editable
installs left out) with the ``name==version`` pins of LOCK, names compared as PEP 503
normalises them. Prints one line a difference and exits 1 if there is any, 0 otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
NOT_LOCKED = {"pip"}  # the venv's own pip comes with Python, not from the lock


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str]) -> dict[str, str]:
    """``{normalised name: version}`` of the ``name==version`` lines among ``lines``."""
    found = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            found[normalised(match[1])] = match[2]
    return found


def main(lock: Path) -> int:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    installed = {name: v for name, v in pins(frozen).items() if name not in NOT_LOCKED}
    locked = pins(lock.read_text().splitlines())
    differences = [
        f"{name}: locked {locked.get(name, '-')}, installed {installed.get(name, '-')}"
        for name in sorted(installed.keys() | locked.keys())
        if installed.get(name) != locked.get(name)
    ]
    for difference in differences:
        print(difference)
    if not differences:
        print(f"the installed packages are those of {lock}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
