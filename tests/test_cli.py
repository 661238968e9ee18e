"""The command line: every command documents itself; probe and export-mot on real input."""

from __future__ import annotations

import click
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

    from tracklake.io.store import TrackFileWriter
    from tracklake.types import Tracks

    with TrackFileWriter(tmp_path / "out", "v", {0: "person"}, {}) as writer:
        tracks = Tracks([4], np.array([[1, 2, 11, 22]]), [0.5], [0], [0])
        writer.append(9, 0.36, tracks)
    result = CliRunner().invoke(
        main, ["export-mot", str(tmp_path / "out"), "-o", str(tmp_path / "mot")]
    )
    assert result.exit_code == 0, result.output
    assert (
        tmp_path / "mot" / "v.txt"
    ).read_text() == "10,4,1.00,2.00,10.00,20.00,0.5000,-1,-1,-1\n"
