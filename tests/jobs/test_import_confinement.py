"""ray stays under ``tracklake/jobs/``, torch under ``tracklake/detection/``; nothing else loads
either by importing: the CLI, the API and the run logic start without them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import tracklake

PACKAGE = Path(tracklake.__file__).parent
# An import of ray or torch (torchvision too), at module level or inside a function.
HEAVY_IMPORT = re.compile(r"^\s*(?:import|from)\s+(ray|torch\w*)\b", re.MULTILINE)
HOME = {"ray": "jobs", "torch": "detection"}


def heavy_imports(path: Path) -> set[str]:
    """``ray`` and ``torch`` when ``path``'s source imports them (torchvision counts as
    torch)."""
    return {"torch" if name.startswith("torch") else name
            for name in HEAVY_IMPORT.findall(path.read_text())}  # fmt: skip


def test_ray_is_imported_only_under_jobs_and_torch_only_under_detection():
    sources = sorted(PACKAGE.rglob("*.py"))
    importers = {path: heavy_imports(path) for path in sources}
    assert any("ray" in names for names in importers.values())  # the pattern finds them
    assert any("torch" in names for names in importers.values())
    misplaced = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path, names in importers.items()
        for name in names
        if path.relative_to(PACKAGE).parts[0] != HOME[name]
    ]
    assert misplaced == []


def test_modules_that_do_not_import_ray_or_torch_load_neither():
    """Each tracklake module whose own source imports neither, imported in turn in a fresh
    interpreter: none brings ray or torch in through another module (the CLI, the API and
    ``jobs.run`` among them)."""
    light = [
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(PACKAGE.rglob("*.py"))
        if not heavy_imports(path)
    ]
    assert {"tracklake.cli", "tracklake.api", "tracklake.jobs.run"} <= set(light)
    script = f"""
import importlib, json, sys
loaded = {{}}
for name in {light!r}:
    importlib.import_module(name)
    for heavy in ("ray", "torch"):
        if heavy in sys.modules and heavy not in loaded:
            loaded[heavy] = name
print(json.dumps(loaded))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, check=True)  # fmt: skip
    assert json.loads(result.stdout) == {}  # else: heavy package -> the module that loaded it
