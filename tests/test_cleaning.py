"""Data cleaning: photos far from their class are found and removed, test photos never."""

import csv
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from zeroshot_tags.supervised.cleaning import CleaningSettings, clean_photos, outlier_mask
from zeroshot_tags.cli.main import main
from zeroshot_tags.errors import ZeroShotTagsError
from zeroshot_tags.vision.features import FeatureExtractor
from zeroshot_tags.supervised.labelled import read_labelled


def test_the_point_far_from_its_class_is_an_outlier_and_few_others_are():
    rng = np.random.default_rng(0)
    cats = rng.normal(0, 1, (40, 16))
    dogs = rng.normal(8, 1, (40, 16))
    cats[7] += 12  # one cat photo far from every other
    is_outlier, distances, thresholds = outlier_mask(np.vstack([cats, dogs]), ["cat"] * 40 + ["dog"] * 40,
                                                     CleaningSettings(components=8, clusters=1))
    assert is_outlier[7] and distances[7] > thresholds[7]
    assert distances[7] == distances[:40].max()
    assert is_outlier.sum() <= 3  # beyond two sigmas: the far point and a tail photo or two


def test_a_lower_threshold_removes_more():
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (60, 10))
    labels = ["a"] * 30 + ["b"] * 30
    strict = outlier_mask(features, labels, CleaningSettings(sigmas=1.0))[0].sum()
    lenient = outlier_mask(features, labels, CleaningSettings(sigmas=3.0))[0].sum()
    assert strict > lenient


def test_bad_settings_are_refused():
    with pytest.raises(ZeroShotTagsError):
        CleaningSettings(sigmas=0)


@pytest.fixture(scope="module")
def mislabelled(shared_data, tmp_path_factory):
    """20 forest photos, 2 sea photos labelled forest, 20 sea photos, 4 test photos."""
    root = tmp_path_factory.mktemp("mislabelled")
    intel = shared_data / "intel_scenes" / "images"
    rows = []
    for label, source, split, count in (("forest", "train/forest", "train", 20),
                                        ("forest", "train/sea", "train", 2),
                                        ("sea", "train/sea", "train", 22),
                                        ("forest", "test/sea", "test", 4)):
        photos = sorted((intel / source).glob("*.jpg"))
        chosen = photos[:count] if label == "forest" or split == "test" else photos[2:count]
        for photo in chosen:
            name = f"{split}-{source.replace('/', '-')}-{photo.name}"
            shutil.copy(photo, root / name)
            rows.append((name, label, split))
    with open(root / "labels.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([("file", "label", "split"), *rows])
    return root


def test_the_mislabelled_photos_are_removed_and_test_photos_kept(mislabelled, lite0):
    photos = read_labelled(mislabelled)
    result = clean_photos(photos, FeatureExtractor(lite0))
    removed = {outlier.path.name for outlier in result.removed}
    sea_as_forest = {p.name for p, label in zip(photos.paths, photos.labels)
                     if label == "forest" and "train-sea" in p.name}
    assert sea_as_forest <= removed
    assert len(removed) <= 5
    assert result.checked == 42
    assert len(result.kept.split("test")) == 4
    assert len(result.kept) == len(photos) - len(removed)


def test_zstags_clean_lists_removals_and_writes_a_csv_train_reads(mislabelled, tmp_path):
    out = tmp_path / "kept.csv"
    cleaned = CliRunner().invoke(main, ["clean", str(mislabelled), "--out", str(out)])
    assert cleaned.exit_code == 0, cleaned.output
    removed = [line for line in cleaned.output.splitlines() if line.startswith("removed\t")]
    assert len(removed) >= 2 and "removed" in cleaned.output.splitlines()[-1]
    kept = read_labelled(out)
    assert len(kept) == 46 - len(removed)
    assert all(path.is_file() for path in kept.paths)
    trained = CliRunner().invoke(main, ["train", str(out), "--out", str(tmp_path / "m.pt"), "--epochs", "3"])
    assert trained.exit_code == 0, trained.output


def test_zstags_train_clean_reports_what_it_removed(mislabelled, tmp_path):
    result = CliRunner().invoke(main, ["train", str(mislabelled), "--clean", "--epochs", "2",
                                       "--out", str(tmp_path / "m.pt")])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output and (tmp_path / "m.pt").is_file()


def test_zstags_clean_of_a_missing_folder_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["clean", str(tmp_path / "nothing"), "--out", str(tmp_path / "k.csv")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "not a folder" in result.output
