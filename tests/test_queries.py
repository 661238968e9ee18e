"""docs/queries.md: every recipe in it runs here, against the hand-computable tiny run.

The recipes are parsed out of the document itself, so the document and these tests cannot
drift apart: a recipe without an expected answer here, or an answer without a recipe, fails.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from testkit import REPO_ROOT

from tracklake.cli import main
from tracklake.sql import connect

DOC = REPO_ROOT / "docs" / "queries.md"
RECIPE = re.compile(r"<!-- recipe: (\w+) -->\n```(sql|python)\n(.*?)```", re.DOTALL)

# What each recipe returns on TINY_ROWS (conftest), worked out by hand.
EXPECTED = {
    "duckdb_views": [("cam1", 2), ("cam2", 3)],
    "counts_per_class": [
        ("cam1", "car", 1),
        ("cam1", "person", 1),
        ("cam2", "bicycle", 1),
        ("cam2", "person", 2),
    ],
    "dwell_time": [("cam2", 1, 0.0, 120.0)],
    "line_crossing": [("cam1", 2, 0.1, "left to right")],
    "per_minute": [("cam1", 0, 2), ("cam2", 0, 1), ("cam2", 1, 3), ("cam2", 2, 2)],
    "busiest_minute": [("cam1", 0, 2), ("cam2", 1, 3)],
    "manifest_join": [("north", 2, 0.5), ("south", 3, 180.0)],
    "polars_lazy": [("cam1", 7, 5), ("cam2", 8, 8)],
    "pandas_speed": [("bicycle", 0.5), ("car", 200.0), ("person", 25.0)],
    "s3_pyarrow": [("cam1", 7), ("cam2", 8)],
}
S3_RUN = ("my-bucket", "runs/street")  # where the s3 recipe looks: s3://my-bucket/runs/street


def recipes() -> dict[str, tuple[str, str]]:
    """Name -> (language, code) of every recipe block in docs/queries.md."""
    text = DOC.read_text(encoding="utf-8")
    found = {name: (language, code) for name, language, code in RECIPE.findall(text)}
    fences = re.findall(r"^```(?:sql|python)$", text, re.MULTILINE)
    assert len(fences) == len(found), "every sql/python block in docs/queries.md is a recipe"
    return found


def rounded(rows) -> list[tuple]:
    """Rows with floats rounded to 6 places (float32 scores, sums of tenths)."""
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def as_rows(result) -> list[tuple]:
    """A DuckDB relation, Polars or pandas DataFrame as a list of plain tuples."""
    if hasattr(result, "fetchall"):
        return result.fetchall()
    if hasattr(result, "itertuples"):  # pandas
        return list(result.astype(object).itertuples(index=False, name=None))
    return result.rows()  # polars


def test_every_recipe_has_an_expected_answer():
    assert sorted(recipes()) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def s3_run(s3_server, tiny_run):
    """The tiny run uploaded to the S3 server, where the s3 recipe reads it."""
    bucket, prefix = S3_RUN
    s3_server.create_bucket(Bucket=bucket)
    for path in tiny_run.rglob("*.parquet"):
        s3_server.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(tiny_run)}")
    return tiny_run


@pytest.mark.parametrize("name", [name for name in EXPECTED if name != "s3_pyarrow"])
def test_recipe(name, tiny_run):
    language, code = recipes()[name]
    if language == "sql":
        result = connect(tiny_run).sql(code)
    else:
        namespace = {"OUT": str(tiny_run)}
        exec(code, namespace)
        result = namespace["result"]
    assert rounded(as_rows(result)) == EXPECTED[name]


def test_s3_recipe_reads_the_store_from_object_storage(s3_run):
    language, code = recipes()["s3_pyarrow"]
    namespace: dict = {}
    exec(code, namespace)
    assert language == "python" and namespace["OUT"] == "s3://{}/{}".format(*S3_RUN)
    assert as_rows(namespace["result"]) == EXPECTED["s3_pyarrow"]


def test_query_command_formats(tiny_run):
    sql = "SELECT video_id, count(*) AS tracks, max(duration_s) AS longest FROM track_summary "
    sql += "GROUP BY 1 ORDER BY 1"
    table = CliRunner().invoke(main, ["query", str(tiny_run), sql])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines() == [
        "video_id  tracks  longest",
        "--------  ------  -------",
        "cam1           2      0.4",
        "cam2           3    120.0",
    ]
    csv = CliRunner().invoke(main, ["query", str(tiny_run), sql, "--format", "csv"])
    assert csv.stdout == "video_id,tracks,longest\ncam1,2,0.4\ncam2,3,120.0\n"
    as_json = CliRunner().invoke(main, ["query", str(tiny_run), sql, "--format", "json"])
    assert json.loads(as_json.stdout) == [
        {"video_id": "cam1", "tracks": 2, "longest": 0.4},
        {"video_id": "cam2", "tracks": 3, "longest": 120.0},
    ]


def test_query_errors_are_reported(tiny_run, tmp_path):
    bad_sql = CliRunner().invoke(main, ["query", str(tiny_run), "SELECT nope FROM tracks"])
    assert bad_sql.exit_code == 1 and "nope" in bad_sql.output
    not_a_run = CliRunner().invoke(main, ["query", str(tmp_path), "SELECT 1"])
    assert not_a_run.exit_code == 2 and "not a tracklake output folder" in not_a_run.output


def test_views_of_a_run_without_tracks_files_or_summary(tiny_run, tmp_path):
    (tmp_path / "videos.parquet").write_bytes((tiny_run / "videos.parquet").read_bytes())
    connection = connect(tmp_path)
    assert connection.sql("SELECT count(*) FROM tracks").fetchall() == [(0,)]
    assert connection.sql("SELECT count(*) FROM track_summary").fetchall() == [(0,)]
    assert "x1" in connection.sql("SELECT * FROM tracks").columns
