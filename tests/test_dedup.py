"""Duplicate removal on real photos of ../shared/data with injected copies: exact, re-encoded
at JPEG quality 60, resized to half; the train/test leak rule; ``zstags dedup``."""

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from zeroshot_tags.cli.main import main
from zeroshot_tags.collect.dedup import find_duplicates, remove_duplicates
from zeroshot_tags.config import DedupSettings
from zeroshot_tags.supervised.labelled import read_labelled


def photos(shared: Path, folder: str, count: int) -> list[Path]:
    return sorted((shared / folder).glob("*.jpg"))[:count]


def copy(photo: Path, target: Path, kind: str) -> Path:
    """Write ``photo`` to ``target`` as it is, re-encoded at quality 60, or at half size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "exact":
        return Path(shutil.copy(photo, target))
    image = Image.open(photo).convert("RGB")
    if kind == "half":
        image = image.resize((image.width // 2, image.height // 2), Image.Resampling.BICUBIC)
    image.save(target, "JPEG", quality=60 if kind == "q60" else 90)
    return target


@pytest.fixture
def injected(shared_data, tmp_path):
    """Class folders of 30 food and 30 scene photos, with an exact copy (in the other class), a
    quality-60 copy and a half-size copy of 4 photos of each; the copies' (original, copy) pairs."""
    pairs = []
    for label, folder in (("beignets", "food101_10class/images/train/beignets"),
                          ("glacier", "intel_scenes/images/train/glacier")):
        other = "glacier" if label == "beignets" else "beignets"
        originals = [copy(photo, tmp_path / label / photo.name, "exact") for photo in photos(shared_data, folder, 30)]
        for kind, target_label, chosen in (("exact", other, originals[:4]), ("q60", label, originals[4:8]),
                                           ("half", label, originals[8:12])):
            pairs += [(original, copy(original, tmp_path / target_label / f"z-{kind}-{original.name}", kind))
                      for original in chosen]
    return tmp_path, pairs


def test_every_injected_copy_is_found_and_no_distinct_photo_removed(injected):
    folder, pairs = injected
    report = find_duplicates(folder)
    assert report.checked == 60 + 24 and report.unreadable == ()
    removed = {duplicate.path for duplicate in report.removed}
    assert len(removed) == len(pairs)
    assert all(len({original, copied} & removed) == 1 for original, copied in pairs)
    halves = {copied for original, copied in pairs if copied.name.startswith("z-half")}
    assert halves <= removed  # the larger copy stays
    assert all(duplicate.distance <= DedupSettings().max_distance for duplicate in report.removed)


def test_a_zero_distance_misses_the_resized_copies(injected):
    folder, pairs = injected
    strict = find_duplicates(folder, DedupSettings(max_distance=0))
    assert len(strict.removed) < len(pairs)


@pytest.mark.parametrize("name, removed", [
    ("intel_scenes", {("images/test/buildings/21648.jpg", "images/train/buildings/1542.jpg")}),
    ("food101_10class", set()),
])
def test_the_shared_sets_hold_only_their_one_true_duplicate(shared_data, name, removed):
    """intel_scenes has one photo in both splits (checked by eye); nothing else is flagged."""
    report = find_duplicates(shared_data / name)
    root = shared_data / name
    assert report.checked == len(read_labelled(root))
    assert {(str(d.path.relative_to(root)), str(d.kept.relative_to(root))) for d in report.removed} == removed


@pytest.fixture
def split_set(shared_data, tmp_path):
    """A labels.csv set: 6 training and 6 test photos, one test photo a larger copy of a
    training photo (it would leak), a sources.csv, and a broken photo."""
    train = photos(shared_data, "intel_scenes/images/train/sea", 6)
    test = photos(shared_data, "intel_scenes/images/test/sea", 6)
    rows = [(copy(p, tmp_path / "train" / p.name, "exact"), "train") for p in train]
    rows += [(copy(p, tmp_path / "test" / p.name, "exact"), "test") for p in test]
    leak = tmp_path / "test" / "leak.jpg"
    Image.open(train[2]).resize((300, 300)).save(leak, quality=95)
    (tmp_path / "test" / "broken.jpg").write_bytes(train[3].read_bytes()[:500])
    rows += [(leak, "test"), (tmp_path / "test" / "broken.jpg", "train")]
    with open(tmp_path / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "label", "split", "note"])
        writer.writerows((path.relative_to(tmp_path).as_posix(), "sea", split, "kept") for path, split in rows)
    with open(tmp_path / "sources.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["file", "label", "url"], ["test/leak.jpg", "sea", "https://example.org/leak.jpg"]])
    return tmp_path


def test_a_test_photo_repeating_a_training_photo_leaves_the_test_split_even_when_larger(split_set):
    report = find_duplicates(split_set)
    assert [(d.path.name, d.split, d.kept.parent.name) for d in report.removed] == [("leak.jpg", "test", "train")]
    assert len(report.unreadable) == 1 and "broken.jpg" in report.unreadable[0]

    listed = remove_duplicates(report)
    assert not (split_set / "test" / "leak.jpg").exists()
    with open(split_set / "labels.csv", newline="") as handle:
        kept = list(csv.DictReader(handle))
    assert len(kept) == 13 and all(row["note"] == "kept" for row in kept)  # every other column kept
    with open(listed, newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["file"], row["split"], row["url"]) == ("test/leak.jpg", "test", "https://example.org/leak.jpg")
    assert (split_set / "sources.csv").read_text().splitlines() == ["file,label,url,title,creator,licence,"
                                                                    "licence_url,source,landing_url"]
    assert find_duplicates(split_set).removed == ()


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_zstags_dedup_dry_run_changes_nothing_and_a_real_run_removes(injected):
    folder, pairs = injected
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    dry = run("dedup", folder, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"found {len(pairs)} duplicates among 84 photos (dry run: nothing changed)" in dry.output
    assert dry.output.count("duplicate\t") == len(pairs)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before

    done = run("dedup", folder)
    assert done.exit_code == 0 and f"removed {len(pairs)} duplicates among 84 photos" in done.output
    assert len(list(folder.rglob("*.jpg"))) == 60
    with open(folder / "duplicates.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(pairs)


def test_zstags_dedup_of_a_missing_set_is_one_line(tmp_path):
    result = run("dedup", tmp_path / "nothing")
    assert result.exit_code == 1 and result.output.strip().count("\n") == 0 and "not a folder" in result.output
