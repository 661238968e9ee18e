"""A real run that saved everything a run can save, shared by the tests of saved tracker
inputs and of the output contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runs import tracklake
from testkit import link_sequence

APPEARANCE_TRACKERS = {
    "botsort": "tracker_type: botsort\nwith_reid: true\n",  # gmc_method: sparseOptFlow
    "tracktrack": "tracker_type: tracktrack\nwith_reid: true\n",  # gmc_method: sparseOptFlow
    "deepocsort": "tracker_type: deepocsort\nwith_reid: true\n",  # gmc_method: none
}


@pytest.fixture(scope="session")
def trackers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Tracker YAML files by name: ``<tracker>-reid`` for each of ``APPEARANCE_TRACKERS``,
    ``botsort-orb`` and ``botsort-other-reid`` (another ReID model)."""
    folder = tmp_path_factory.mktemp("trackers")
    for name, text in APPEARANCE_TRACKERS.items():
        (folder / f"{name}-reid.yaml").write_text(text)
    (folder / "botsort-orb.yaml").write_text("tracker_type: botsort\ngmc_method: orb\n")
    (folder / "botsort-other-reid.yaml").write_text(
        "tracker_type: botsort\nwith_reid: true\nmodel: reid-cls.pt\n"
    )
    return {path.stem: str(path) for path in folder.glob("*.yaml")}


@pytest.fixture(scope="session")
def campus(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    """TUD-Campus as a one-sequence MOTChallenge dataset."""
    root = tmp_path_factory.mktemp("campus")
    link_sequence(root, shared_dir, "TUD-Campus")
    return root


@pytest.fixture(scope="session")
def appearance_run(
    tmp_path_factory: pytest.TempPathFactory,
    campus: Path,
    trackers: dict[str, str],
    yolov8n_weights: Path,
) -> Path:
    """``track --save-detections`` of TUD-Campus with BoT-SORT, appearance and GMC on."""
    out = tmp_path_factory.mktemp("appearance-run") / "out"
    result = tracklake("track", str(campus), "-o", str(out), "--model", str(yolov8n_weights),
                       "--classes", "0", "--tracker", trackers["botsort-reid"], "--no-progress",
                       "--save-detections")  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out
