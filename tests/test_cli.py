"""The command line: every command documents itself; probe and export-mot on real input;
retrack's old --conf still works, with a warning, as --min-score."""

from __future__ import annotations

import re

import click
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tracklake import __version__
from tracklake.cli import main


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("command", [(), *all_commands(main)], ids=" ".join)
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    help_text = main.get_command(click.Context(main), command[0]).help if command else main.help
    assert help_text and len(help_text.strip()) > 20


def test_probe_lists_good_and_failed_videos(shared_videos, bad_videos):
    result = CliRunner().invoke(
        main, ["probe", str(shared_videos), str(bad_videos["empty"]), str(bad_videos["random"])]
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("TUD-Campus\t71 frames\t25.000 fps\t640x480")
    assert any(line.startswith("pedestrians-1080p\t302 frames") for line in lines)
    assert f"empty\tFAILED\t{bad_videos['empty']}: empty" in result.stdout
    assert f"random\tFAILED\t{bad_videos['random']}: not a video" in result.stdout
    assert "6 videos, 2 cannot be opened" in result.stderr


def test_probe_flags_a_cut_file_as_partial(bad_videos):
    result = CliRunner().invoke(main, ["probe", str(bad_videos["index_at_front_cut"])])
    assert "PARTIAL: the file ends inside its 'mdat' box" in result.stdout


def test_probe_of_nothing_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["probe", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such file, folder or manifest" in result.output


def test_export_mot_command(tmp_path):
    import numpy as np

    from tracklake.io.footer import Footer
    from tracklake.io.store import TrackFileWriter
    from tracklake.types import Tracks

    with TrackFileWriter(tmp_path / "out", "v", {0: "person"}, Footer()) as writer:
        tracks = Tracks([4], np.array([[1, 2, 11, 22]]), [0.5], [0], [0])
        writer.append(9, 0.36, tracks)
    result = CliRunner().invoke(
        main, ["export-mot", str(tmp_path / "out"), "-o", str(tmp_path / "mot")]
    )
    assert result.exit_code == 0, result.output
    assert (
        tmp_path / "mot" / "v.txt"
    ).read_text() == "10,4,1.00,2.00,10.00,20.00,0.5000,-1,-1,-1\n"


def test_conf_of_retrack_is_the_old_name_of_min_score(tmp_path):
    args = ["retrack", str(tmp_path), "-o", str(tmp_path / "again")]
    old = CliRunner().invoke(main, [*args, "--conf", "0.4"])
    assert old.exit_code == 2 and "--save-detections" in old.stderr  # it ran, with a warning
    assert "Warning: --conf is deprecated here: use --min-score" in old.stderr
    both = CliRunner().invoke(main, [*args, "--conf", "0.4", "--min-score", "0.4"])
    assert both.exit_code == 2 and "--conf is the old name of --min-score" in both.stderr
    options = CliRunner().invoke(main, ["retrack", "-h"]).output.split("Options:")[1]
    assert "--min-score" in options and not re.search(r"^\s+--conf\b", options, re.MULTILINE)


@pytest.mark.slow
def test_retrack_with_the_old_conf_equals_min_score(mot15_run, tmp_path):
    runs = {}
    for option in ("--conf", "--min-score"):
        runs[option] = tmp_path / option.strip("-")
        result = CliRunner().invoke(
            main, ["retrack", str(mot15_run), "-o", str(runs[option]), option, "0.4"]
        )
        assert result.exit_code == 0, result.output
    for video in ("TUD-Campus", "TUD-Stadtmitte"):
        old, new = (pq.read_table(runs[o] / "tracks" / f"{video}.parquet") for o in runs)
        assert old.equals(new)
        assert pc.min(new["score"]).as_py() > 0.4  # the run's conf was 0.25
