"""SVM on bags of visual words, on a few real photos of two intel_scenes classes."""

import csv

import numpy as np
import pytest
from PIL import Image
from sklearn.base import clone

from zeroshot_tags.errors import ZeroShotTagsError
from zeroshot_tags.supervised.visual_words import VisualWordsSVM, local_descriptors

CLASSES = ("buildings", "forest")
TRAIN_PER_CLASS, TEST_PER_CLASS = 15, 10
WORDS = 50  # a small codebook for 30 training photos (~4,500 SIFT descriptors)


@pytest.fixture(scope="module")
def photos(shared_data):
    """{"train": (paths, labels), "test": (paths, labels)}: the first photos of each class."""
    root = shared_data / "intel_scenes"
    with open(root / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen = {}
    for split, count in (("train", TRAIN_PER_CLASS), ("test", TEST_PER_CLASS)):
        picked = [row for label in CLASSES
                  for row in [r for r in rows if r["split"] == split and r["label"] == label][:count]]
        chosen[split] = ([root / row["file"] for row in picked], [row["label"] for row in picked])
    return chosen


@pytest.fixture(scope="module")
def sift(photos):
    return {split: (local_descriptors(paths), labels) for split, (paths, labels) in photos.items()}


@pytest.fixture(scope="module")
def model(sift):
    return VisualWordsSVM(words=WORDS).fit(*sift["train"])


@pytest.fixture
def grey_photo(tmp_path):
    path = tmp_path / "grey.png"
    Image.new("RGB", (200, 120), (128, 128, 128)).save(path)
    return path


def accuracy(predicted, truth):
    return float(np.mean(np.array(predicted) == np.array(truth)))


def test_sift_gives_128_float_values_a_keypoint(sift):
    sets, _ = sift["train"]
    assert len(sets) == 2 * TRAIN_PER_CLASS
    assert all(s.dtype == np.float32 and s.ndim == 2 and s.shape[1] == 128 for s in sets)
    assert sum(len(s) for s in sets) > 30 * WORDS


def test_a_plain_image_has_no_descriptors_yet_gets_a_histogram_and_a_class(model, grey_photo):
    [empty] = local_descriptors([grey_photo])
    assert empty.shape == (0, 128) and empty.dtype == np.float32
    assert np.array_equal(model.histograms([empty]), np.zeros((1, WORDS)))
    assert model.predict([empty])[0] in CLASSES


def test_histograms_are_hellinger_maps_of_word_counts(model, sift):
    histograms = model.histograms(sift["test"][0])
    assert histograms.shape == (2 * TEST_PER_CLASS, WORDS)
    assert (histograms >= 0).all()
    assert np.allclose((histograms ** 2).sum(axis=1), 1.0)


def test_held_out_photos_are_classified_well_above_chance(model, sift):
    sets, labels = sift["test"]
    predicted = model.predict(sets)
    assert model.classes_ == CLASSES
    assert set(predicted) <= set(CLASSES)
    assert accuracy(predicted, labels) >= 0.8  # the seeded run scores 1.0; chance is 0.5


def test_decision_function_has_a_column_per_class_that_predict_follows(model, sift):
    sets, _ = sift["test"]
    scores = model.decision_function(sets)
    assert scores.shape == (len(sets), len(CLASSES))
    assert model.predict(sets) == [CLASSES[i] for i in scores.argmax(axis=1)]


def test_probabilities_rank_classes_as_the_svm_scores_do(model, sift):
    sets, labels = sift["test"]
    probabilities = model.predict_proba(sets)
    assert probabilities.shape == (len(sets), len(CLASSES)) and (probabilities > 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    scores = model.decision_function(sets)
    assert np.array_equal(np.argsort(-probabilities, axis=1, kind="stable"),
                          np.argsort(-scores, axis=1, kind="stable"))


def test_score_is_the_accuracy_of_predict(model, sift):
    sets, labels = sift["test"]
    assert model.score(sets, labels) == accuracy(model.predict(sets), labels)


def test_init_only_stores_its_arguments_and_fit_sets_the_fitted_ones(sift):
    unfitted = VisualWordsSVM(words=WORDS, C=0.5, seed=3)
    assert unfitted.get_params() == {"words": WORDS, "C": 0.5, "seed": 3, "max_descriptors": 200_000}
    assert not [name for name in vars(unfitted) if name.endswith("_")]
    copy = clone(unfitted).fit(*sift["train"])
    assert copy.classes_ == CLASSES and copy.codebook_.n_clusters == WORDS and copy.svm_.C == 0.5
    assert not hasattr(unfitted, "classes_")


@pytest.mark.parametrize("parameters", [{"words": 1}, {"C": 0}, {"max_descriptors": WORDS - 1}])
def test_fit_refuses_parameters_out_of_range(sift, parameters):
    model = VisualWordsSVM(**dict({"words": WORDS}, **parameters))  # stored unchecked
    with pytest.raises(ZeroShotTagsError, match="words must be at least 2"):
        model.fit(*sift["train"])


def test_refitting_with_the_same_seed_gives_the_same_predictions(model, sift):
    again = VisualWordsSVM(words=WORDS).fit(*sift["train"])
    assert again.predict(sift["test"][0]) == model.predict(sift["test"][0])
    assert np.array_equal(again.decision_function(sift["test"][0]), model.decision_function(sift["test"][0]))


def test_orb_works_end_to_end(photos):
    train_paths, train_labels = photos["train"]
    test_paths, test_labels = photos["test"]
    train = local_descriptors(train_paths, kind="orb")
    assert all(s.shape[1] == 32 for s in train)
    orb = VisualWordsSVM(words=WORDS).fit(train, train_labels)
    predicted = orb.predict(local_descriptors(test_paths, kind="orb"))
    assert set(predicted) <= set(CLASSES)
    assert accuracy(predicted, test_labels) >= 0.6  # the seeded run scores 0.7


def test_an_unknown_descriptor_kind_is_refused(photos):
    with pytest.raises(ZeroShotTagsError, match="sift or orb"):
        local_descriptors(photos["train"][0][:1], kind="surf")


def test_an_unreadable_photo_is_refused(tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(ZeroShotTagsError, match="junk.jpg"):
        local_descriptors([junk])


@pytest.mark.parametrize("case, message", [
    ("one class", "at least two classes"),
    ("fewer labels", "one label per photo"),
    ("too few descriptors", "lower words"),
])
def test_fit_refuses_data_it_cannot_learn_from(sift, case, message):
    sets, labels = sift["train"]
    if case == "one class":
        labels = [CLASSES[0]] * len(sets)
    elif case == "fewer labels":
        labels = labels[:-1]
    else:
        sets, labels = [sets[0][:5], sets[-1][:5]], [labels[0], labels[-1]]
    with pytest.raises(ZeroShotTagsError, match=message):
        VisualWordsSVM(words=WORDS).fit(sets, labels)


def test_descriptors_of_another_kind_are_refused(model):
    with pytest.raises(ZeroShotTagsError, match="descriptor kind"):
        model.predict([np.zeros((3, 32), np.float32)])


def test_an_unfitted_model_says_to_fit_first(sift):
    with pytest.raises(ZeroShotTagsError, match="call fit first"):
        VisualWordsSVM().predict(sift["test"][0])
