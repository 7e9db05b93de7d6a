"""The comparison of SVM, fine-tuned backbone and ConSE on a few real photos, and its report."""

import csv
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from zeroshot_tags.cli.main import main
from zeroshot_tags.evaluation.comparison import METHODS, _conse_scores, compare_methods
from zeroshot_tags.config import ComparisonSettings, TrainingConfig
from zeroshot_tags.errors import ZeroShotTagsError
from zeroshot_tags.supervised.labelled import read_labelled
from zeroshot_tags.text import class_phrase
from zeroshot_tags.tagging.trained_tagger import class_entries
from zeroshot_tags.vocabulary.vocab import builtin_vocabulary

CLASSES = ("buildings", "forest", "sea")
TRAIN, TEST = 8, 4


@pytest.fixture(scope="module")
def scenes(shared_data, tmp_path_factory):
    """A labels.csv over 8 train and 4 test photos of three intel classes."""
    root = tmp_path_factory.mktemp("scenes")
    rows = []
    for split, count in (("train", TRAIN), ("test", TEST)):
        for label in CLASSES:
            for photo in sorted((shared_data / "intel_scenes" / "images" / split / label).glob("*.jpg"))[:count]:
                shutil.copy(photo, root / f"{split}-{label}-{photo.name}")
                rows.append((f"{split}-{label}-{photo.name}", label, split))
    with open(root / "labels.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([("file", "label", "split"), *rows])
    return root


@pytest.fixture(scope="module")
def comparison(scenes):
    settings = ComparisonSettings(training=TrainingConfig(epochs=10), curve_fractions=(0.5,), examples=2)
    return compare_methods(read_labelled(scenes), settings)


def test_every_method_is_scored_on_every_test_photo(comparison):
    assert set(comparison.scores) == set(METHODS)
    assert comparison.classes == CLASSES
    assert (comparison.train_photos, comparison.test_photos) == (3 * TRAIN, 3 * TEST)
    for scores in comparison.scores.values():
        assert scores.confusion.sum() == 3 * TEST
        assert 0 <= scores.top1 <= 1 and scores.top5 == 1.0  # three classes: all within five
        assert set(scores.per_class) == set(CLASSES)


def test_the_fine_tuned_backbone_separates_these_scenes(comparison):
    assert comparison.scores["finetuned"].top1 >= 0.75
    assert comparison.scores["conse"].top1 > 1 / 3


def test_conse_scores_are_the_scores_the_tagger_ranks_by(default_tagger):
    classes = ("apple_pie", "beef_tartare", "bread_pudding", "forest", "glacier", "sea", "street")
    tagger = default_tagger.with_vocabulary([class_phrase(name) for name in classes])
    probabilities = np.random.default_rng(0).dirichlet(np.full(1000, 0.05), size=40)
    queries = tagger.queries(probabilities)
    matrix = _conse_scores(tagger, queries, classes)
    for row, query in zip(matrix, queries):
        ranked = tagger.rank(query, len(classes))
        assert [class_phrase(classes[i]) for i in np.argsort(-row, kind="stable")] == [s.word for s in ranked]
        np.testing.assert_allclose(sorted(row, reverse=True), [s.score for s in ranked], atol=1e-5)


def test_learning_curves_grow_in_training_photos(comparison):
    for curve in comparison.learning_curves.values():
        assert [count for count, _ in curve] == [12, 24]
        assert all(0 <= accuracy <= 1 for _, accuracy in curve)
    assert comparison.learning_curves["finetuned"][-1][1] == comparison.scores["finetuned"].top1


def test_sample_photos_get_each_methods_hashtags(comparison):
    assert len(comparison.examples) == 2
    for example in comparison.examples:
        assert set(example.hashtags) == set(METHODS) | {"conse_builtin"}
        assert all(tag.startswith("#") for tags in example.hashtags.values() for tag in tags)
        assert len(example.hashtags["conse_builtin"]) == 5
    first = comparison.examples[0]
    [entry] = class_entries([first.label], builtin_vocabulary())
    assert first.hashtags["finetuned"][0] == entry.hashtags[0]  # buildings -> #building


def test_the_word_map_places_the_class_names_among_vocabulary_words(comparison):
    class_points = {word for word, x, y, is_class in comparison.word_map if is_class}
    assert class_points == set(CLASSES)
    assert sum(not is_class for *_, is_class in comparison.word_map) >= 8
    assert all(np.isfinite([x, y]).all() for _, x, y, _ in comparison.word_map)


def test_zstags_evaluate_writes_json_pictures_and_markdown(scenes, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", str(scenes), "--out", str(out), "--examples", "1"])
    assert result.exit_code == 0, result.output
    assert "top-1" in result.output
    report = json.loads((out / "comparison.json").read_text())
    assert set(report["methods"]) == set(METHODS)
    assert report["methods"]["finetuned"]["top1"] >= 0.75
    for picture in ("confusion.png", "learning_curves.png", "word_map.png"):
        with Image.open(out / picture) as image:
            assert image.format == "PNG" and image.width > 300
    markdown = (out / "report.md").read_text()
    assert "| method | top-1 |" in markdown and "](./confusion.png)" in markdown


def test_comparing_without_test_photos_is_refused(scenes, tmp_path):
    rows = list(csv.reader(open(scenes / "labels.csv")))
    only_train = [rows[0]] + [row for row in rows[1:] if row[2] == "train"]
    with open(scenes / "train_only.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(only_train)
    with pytest.raises(ZeroShotTagsError, match="test split"):
        compare_methods(read_labelled(scenes / "train_only.csv"))
