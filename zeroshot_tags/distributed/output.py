"""Writing suggestion rows (``path``, ``hashtags``, ``scores``, ``error``) as Parquet or JSON
lines: one schema for the local engine and for Ray's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write
from ..tagging.suggestion import ImageResult
from .batch_step import OUTPUT_COLUMNS

SCHEMA = pa.schema([("path", pa.string()), ("hashtags", pa.list_(pa.string())),
                    ("scores", pa.list_(pa.float64())), ("error", pa.string())])


def result_rows(results: Iterable[ImageResult]) -> dict[str, list]:
    """The output columns of a local run's results (an error names its photo already)."""
    rows: dict[str, list] = {column: [] for column in OUTPUT_COLUMNS}
    for result in results:
        suggestions = result.suggestions or []
        rows["path"].append(result.source)
        rows["hashtags"].append([s.hashtag for s in suggestions])
        rows["scores"].append([float(s.score) for s in suggestions])
        rows["error"].append(None if result.error is None else str(result.error))
    return rows


def write_rows(rows: dict[str, list], folder: Path, format: str) -> Path:
    """Write the rows as ``folder/part-00000.parquet`` (or ``.jsonl``), atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-00000.{format}"
    table = pa.table(rows, schema=SCHEMA)
    with atomic_write(path, "wb") as stream:
        if format == "parquet":
            pq.write_table(table, stream)
        else:
            stream.write("".join(json.dumps(row) + "\n" for row in table.to_pylist()).encode("utf-8"))
    return path


def write_dataset(dataset, folder: Path, format: str) -> None:
    """Write a Ray Dataset of the output columns into ``folder`` (files named by Ray)."""
    if format == "parquet":
        dataset.write_parquet(str(folder))
    else:
        dataset.write_json(str(folder))
