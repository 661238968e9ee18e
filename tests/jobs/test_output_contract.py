"""The output contract of a real run, pinned: every file a run that saved everything writes,
each Parquet file's columns in order with their types, its footer's keys and the shape of
their values, and the shape of ``run.json``. A change to any of them fails here; a deliberate
one is written to ``output_contract.json`` with ``TRACKLAKE_UPDATE_CONTRACT=1`` and reviewed
in its diff, since readers outside tracklake (DuckDB, Spark, old runs) depend on it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow

CONTRACT = Path(__file__).with_name("output_contract.json")


def value_shape(value: object) -> object:
    """The shape of a JSON value: objects by key (a map keyed by numbers, such as class
    names by id, as one ``<n>`` entry), a list by its first item, else the type's name."""
    if isinstance(value, dict) and value and all(key.isdigit() for key in value):
        return {"<n>": value_shape(next(iter(value.values())))}
    if isinstance(value, dict):
        return {key: value_shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [value_shape(value[0])] if value else []
    return type(value).__name__


def footer_shape(text: str) -> object:
    """The shape of one footer value, which is JSON where it is not plain text."""
    try:
        return value_shape(json.loads(text))
    except json.JSONDecodeError:
        return "text"


def parquet_contract(path: Path) -> dict:
    """``path``'s columns in order (``name: type``, ``not null`` where so), and its footer's
    shape."""
    parquet = pq.ParquetFile(path)
    footer = {
        key.decode(): footer_shape(value.decode())
        for key, value in (parquet.metadata.metadata or {}).items()
        if key != b"ARROW:schema"
    }
    columns = [
        f"{field.name}: {field.type}{'' if field.nullable else ' not null'}"
        for field in parquet.schema_arrow
    ]
    return {"columns": columns, "footer": dict(sorted(footer.items()))}


def run_contract(out: Path) -> dict:
    """The contract of the run in ``out``, by path relative to it."""
    files = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    contract: dict = {"files": files}
    for name in files:
        if name.endswith(".parquet"):
            contract[name] = parquet_contract(out / name)
    contract["run.json"] = value_shape(json.loads((out / "run.json").read_text()))
    return contract


def test_a_run_writes_the_pinned_output_contract(appearance_run):
    written = run_contract(appearance_run)
    if os.environ.get("TRACKLAKE_UPDATE_CONTRACT") == "1":
        CONTRACT.write_text(json.dumps(written, indent=1) + "\n")
    assert written == json.loads(CONTRACT.read_text())
