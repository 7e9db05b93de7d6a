"""Tagging on Ray Data (a real local Ray runtime) gives the local path's rows; the engine-free
batch step works under pandas as Spark's mapInPandas would run it."""

import dataclasses
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from zeroshot_tags import Tagger
from zeroshot_tags.cli.main import main
from zeroshot_tags.config import TaggerConfig
from zeroshot_tags.distributed.batch_step import OUTPUT_COLUMNS, TaggingStep, tag_frames
from zeroshot_tags.distributed.output import result_rows

ray = pytest.importorskip("ray", reason="the ray extra (ray[data]) is not installed")
PHOTOS = 24
CONFIG = TaggerConfig(custom_hashtags=False)


@pytest.fixture(scope="module")
def ray_runtime():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False,
             _node_ip_address="127.0.0.1", ignore_reinit_error=True)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def photos(shared_data, tmp_path_factory):
    """24 real photos, an empty file, a truncated JPEG and a text file with a photo's name."""
    folder = tmp_path_factory.mktemp("photos")
    sources = sorted((shared_data / "food101_10class").rglob("*.jpg"))[:PHOTOS]
    for number, source in enumerate(sources):
        shutil.copy(source, folder / f"{number:02d}.jpg")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes(sources[0].read_bytes()[:700])
    (folder / "notes.jpg").write_text("not a photo")
    return folder


def local_rows(photos):
    paths = sorted(str(path) for path in photos.iterdir())
    return {row[0]: row[1:] for row in zip(*result_rows(Tagger.from_config(CONFIG).suggest_many(paths, 5)).values())}


def test_ray_gives_the_local_rows_joined_on_path(ray_runtime, photos):
    from zeroshot_tags.distributed.ray_engine import tag_with_ray

    expected = local_rows(photos)
    rows = tag_with_ray(photos, CONFIG, top=5).take_all()
    assert len(rows) == PHOTOS + 3
    for row in rows:
        hashtags, scores, error = expected[row["path"]]
        if error is None:
            assert row["error"] is None and list(row["hashtags"]) == hashtags
            assert max(abs(a - b) for a, b in zip(row["scores"], scores)) < 1e-5
        else:
            assert row["error"].startswith(row["path"]) and list(row["hashtags"]) == []
    assert sum(row["error"] is not None for row in rows) == 3


def test_zstags_suggest_on_ray_writes_the_same_schema_as_locally(ray_runtime, photos, tmp_path):
    runner = CliRunner()
    local = runner.invoke(main, ["suggest", str(photos), "--out", str(tmp_path / "local"), "--format", "jsonl"])
    on_ray = runner.invoke(main, ["suggest", str(photos), "--engine", "ray", "--out", str(tmp_path / "ray"),
                                  "--format", "jsonl"])
    assert local.exit_code == on_ray.exit_code == 1  # three photos cannot be read
    read = [[json.loads(line) for file in sorted((tmp_path / name).iterdir()) for line in file.read_text().splitlines()]
            for name in ("local", "ray")]
    assert all(list(row) == list(OUTPUT_COLUMNS) for rows in read for row in rows)
    by_path = [{row["path"]: row["hashtags"] for row in rows} for rows in read]
    assert by_path[0] == by_path[1] and len(by_path[0]) == PHOTOS + 3
    needs_out = runner.invoke(main, ["suggest", str(photos), "--engine", "ray"])
    assert needs_out.exit_code == 1 and "--out" in needs_out.output


def test_the_batch_step_under_pandas_as_spark_runs_it(photos):
    import pandas as pd

    paths = sorted(photos.iterdir())[:3] + [photos / "notes.jpg"]
    frame = pd.DataFrame({"path": [str(p) for p in paths], "content": [p.read_bytes() for p in paths]})
    step = TaggingStep(CONFIG, top=5)
    out = pd.concat(tag_frames([frame.iloc[:2], frame.iloc[2:]], step=step))
    assert list(out.columns) == list(OUTPUT_COLUMNS) and list(out["path"]) == [str(p) for p in paths]
    assert out["error"].iloc[3].startswith(str(photos / "notes.jpg") + ": ")
    assert [list(h) for h in out["hashtags"].iloc[:3]] == [
        [s.hashtag for s in result] for result in Tagger.from_config(CONFIG).suggest(paths[:3], top=5)]


def test_a_parquet_file_of_photo_bytes_is_a_source(ray_runtime, photos, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from zeroshot_tags.distributed.ray_engine import tag_with_ray

    paths = sorted(photos.iterdir())
    pq.write_table(pa.table({"path": [str(p) for p in paths], "bytes": [p.read_bytes() for p in paths],
                             "taken": list(range(len(paths)))}), tmp_path / "photos.parquet")
    expected = local_rows(photos)
    rows = tag_with_ray(tmp_path / "photos.parquet", CONFIG, top=5).take_all()
    assert sorted(row["path"] for row in rows) == sorted(expected)
    assert all(list(row["hashtags"]) == expected[row["path"]][0] for row in rows)


def test_a_seeded_sample_is_the_same_whatever_the_batches_and_the_engine(ray_runtime, photos):
    from zeroshot_tags.distributed.ray_engine import tag_with_ray

    paths = sorted(str(path) for path in photos.glob("[0-9]*.jpg"))
    draws = {}
    for batch_size in (1, 16):
        tagger = Tagger.from_config(dataclasses.replace(CONFIG, batch_size=batch_size))
        draws[batch_size] = [[s.hashtag for s in result.suggestions]
                             for result in tagger.suggest_many(paths, 5, sample=True, seed=7)]
    best = [[s.hashtag for s in result] for result in Tagger.from_config(CONFIG).suggest(paths, top=5)]
    assert draws[1] == draws[16] != best
    on_ray = {row["path"]: list(row["hashtags"])
              for row in tag_with_ray(paths, CONFIG, top=5, sample=True, seed=7).take_all()}
    assert [on_ray[path] for path in paths] == draws[1]
    other_seed = [[s.hashtag for s in result.suggestions]
                  for result in Tagger.from_config(CONFIG).suggest_many(paths, 5, sample=True, seed=8)]
    assert other_seed != draws[1]
