"""Supervised fine-tuning on a few real labelled photos (intel_scenes): FineTunedClassifier,
its checkpoints, zstags train, TrainedTagger."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from zeroshot_tags.cli.main import main
from zeroshot_tags.config import TrainingConfig
from zeroshot_tags.errors import ZeroShotTagsError
from zeroshot_tags.vision.features import FeatureExtractor
from zeroshot_tags.images import load_image
from zeroshot_tags.supervised.labelled import read_labelled
from zeroshot_tags.supervised.trained import FineTunedClassifier
from zeroshot_tags.tagging.trained_tagger import TrainedTagger, class_entries
from zeroshot_tags.vocabulary.vocab import load_vocabulary

from conftest import SCENE_CLASSES as CLASSES, SCENE_PHOTOS_PER_CLASS as PER_CLASS


def test_a_folder_is_split_80_20_by_class_with_a_seed(photo_folder):
    photos = read_labelled(photo_folder, seed=3)
    assert photos.classes == CLASSES and len(photos) == 2 * PER_CLASS
    test = photos.split("test")
    assert sorted(test.labels) == ["forest", "forest", "sea", "sea"]
    assert read_labelled(photo_folder, seed=3) == photos
    assert read_labelled(photo_folder, seed=4).split("test").paths != test.paths


def test_labels_csv_gives_labels_and_splits(tmp_path, photo_folder):
    rows = ["file,label,split"] + [f"{p.relative_to(photo_folder)},{p.parent.name},{'val' if i % 5 == 0 else 'train'}"
                                   for i, p in enumerate(sorted(photo_folder.rglob("*.jpg")))]
    (photo_folder / "labels.csv").write_text("\n".join(rows))
    try:
        photos = read_labelled(photo_folder)
        assert len(photos.split("val")) == 4 and len(photos.split("train")) == 16
    finally:
        (photo_folder / "labels.csv").unlink()


@pytest.mark.parametrize("content, message", [
    ("name,label\na.jpg,cat\n", "file,label"),
    ("file,label,split\na.jpg,cat,train\nb.jpg,dog,holdout\n", "unknown split 'holdout'"),
    ("file,label\na.jpg,cat\nb.jpg,cat\n", "two classes"),
])
def test_bad_labels_are_clear_errors(tmp_path, content, message):
    (tmp_path / "labels.csv").write_text(content)
    with pytest.raises(ZeroShotTagsError, match=message):
        read_labelled(tmp_path)


def test_head_training_learns_and_the_checkpoint_round_trips(photo_folder, lite0, tmp_path):
    photos = read_labelled(photo_folder)
    reports = []
    config = TrainingConfig(epochs=6, learning_rate=3e-3, batch_size=8, patience=6)
    classifier = FineTunedClassifier(lite0, config)
    assert vars(classifier) == {"backbone": lite0, "config": config, "extractor": None}
    assert classifier.fit(photos, on_epoch=reports.append) is classifier
    assert [r.epoch for r in reports] == list(range(1, 7)) and classifier.history_ == reports
    assert classifier.val_accuracy_ >= 0.75 and reports[-1].train_loss < reports[0].train_loss
    assert not torch.equal(classifier.model_._fc.weight[:2], lite0.model._fc.weight[:2])  # a new head

    path = tmp_path / "model.pt"
    classifier.save(path)
    payload = torch.load(path, weights_only=True)
    assert set(payload) == {"format", "backbone", "preprocessing", "classes", "state_dict", "config",
                            "metrics"}
    assert payload["metrics"]["val_accuracy"] == classifier.val_accuracy_
    loaded = FineTunedClassifier.load(path)
    assert loaded.classes_ == CLASSES and loaded.best_epoch_ == classifier.best_epoch_
    assert loaded.history_ == classifier.history_ and loaded.config == config
    assert loaded.backbone.name == lite0.name and loaded.min_side == lite0.min_side
    test = photos.split("test")
    images = [load_image(p) for p in test.paths]
    probabilities = loaded.predict_proba(images)
    with torch.inference_mode():
        expected = torch.softmax(classifier.model_(torch.stack([lite0.preprocess(i) for i in images])), 1)
    np.testing.assert_allclose(probabilities, expected.numpy(), atol=1e-5)
    features = FeatureExtractor(lite0, cache_dir=False).features(test.paths)
    np.testing.assert_allclose(loaded.predict_proba(features), probabilities, atol=1e-5)
    assert loaded.predict(images) == [CLASSES[i] for i in probabilities.argmax(1)]
    assert loaded.score(images, test.labels) >= 0.75


def test_the_epoch_of_lowest_validation_loss_is_chosen_then_refit(photo_folder, lite0):
    photos = read_labelled(photo_folder)
    config = TrainingConfig(epochs=8, learning_rate=1e-2, batch_size=8, patience=2, refit=False)
    kept = FineTunedClassifier(lite0, config).fit(photos)
    losses = [r.val_loss for r in kept.history_]
    assert kept.best_epoch_ == 1 + losses.index(min(losses))
    assert len(kept.history_) == 8 or len(kept.history_) == kept.best_epoch_ + 2  # early stop
    refit = FineTunedClassifier(lite0, TrainingConfig(epochs=8, learning_rate=1e-2, batch_size=8,
                                                      patience=2)).fit(photos)
    assert refit.history_ == kept.history_ and refit.best_epoch_ == kept.best_epoch_
    assert not torch.equal(refit.model_._fc.weight, kept.model_._fc.weight)  # trained on more photos


def test_full_finetuning_changes_the_backbone_too(photo_folder, lite0):
    photos = read_labelled(photo_folder)
    classifier = FineTunedClassifier(lite0, TrainingConfig(finetune="all", epochs=1, batch_size=8,
                                                           learning_rate=1e-4)).fit(photos)
    before = lite0.model._conv_stem.weight
    assert not torch.equal(classifier.model_._conv_stem.weight, before)
    with pytest.raises(ZeroShotTagsError, match="give images"):  # the old features no longer fit
        classifier.predict_proba(np.zeros((1, classifier.model_._fc.in_features), np.float32))


def test_an_unfitted_classifier_says_to_fit_first(lite0):
    with pytest.raises(ZeroShotTagsError, match="call fit first"):
        FineTunedClassifier(lite0).predict_proba(np.zeros((1, 1280), np.float32))


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    junk = tmp_path / "model.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ZeroShotTagsError, match="not a zeroshot-tags model"):
        FineTunedClassifier.load(junk)
    with pytest.raises(ZeroShotTagsError, match="no such model file"):
        FineTunedClassifier.load(tmp_path / "missing.pt")
    torch.save({"format": 1, "backbone": "efficientnet-lite0"}, junk)
    with pytest.raises(ZeroShotTagsError, match="a damaged zeroshot-tags model"):
        FineTunedClassifier.load(junk)


def test_a_trained_tagger_suggests_its_classes_hashtags(trained_model, shared_data):
    tagger = TrainedTagger(trained_model)
    sea = sorted((shared_data / "intel_scenes" / "images" / "test" / "sea").glob("*.jpg"))[:3]
    for suggestions in tagger.suggest(sea, top=5):
        assert len(suggestions) == 2  # no more hashtags than the model has classes
        assert suggestions[0].hashtag == "#sea" and suggestions[0].score > 0.5
        assert suggestions[0].related  # the built-in vocabulary's other hashtags for "sea"
        assert sum(s.score for s in suggestions) == pytest.approx(1.0, abs=1e-5)


def test_a_trained_tagger_samples_by_probability(trained_model):
    tagger = TrainedTagger(trained_model, ["forest", "#seaside"])
    probabilities = np.array([0.3, 0.7])
    draws = [tuple(s.word for s in tagger.rank(probabilities, 1, np.random.default_rng(seed)))
             for seed in range(200)]
    assert 0.6 < draws.count(("sea",)) / len(draws) < 0.8
    assert [s.hashtag for s in tagger.rank(probabilities, 2)] == ["#sea", "#forest"]


def test_a_trained_tagger_leaves_out_accepted_hashtags(trained_model, shared_data):
    tagger = TrainedTagger(trained_model, ["forest", "#seaside"])
    assert [s.hashtag for s in tagger.rank(np.array([0.3, 0.7]), 2, exclude=("#sea",))] == ["#forest"]
    forest = sorted((shared_data / "intel_scenes" / "images" / "test" / "forest").glob("*.jpg"))[0]
    assert [s.hashtag for s in tagger.suggest(forest, top=2, accepted=["#forest"])] == ["#sea"]


def test_classes_find_their_hashtags_in_the_vocabulary():
    vocabulary = load_vocabulary(["sea: #sea #ocean", "#applepie"])
    entries = class_entries(["sea", "apple_pie", "beef_tartare"], vocabulary)
    assert [e.hashtags for e in entries] == [("#sea", "#ocean"), ("#applepie",), ("#beeftartare",)]


def test_zstags_suggest_with_a_trained_model(trained_model, shared_data):
    forest = sorted((shared_data / "intel_scenes" / "images" / "test" / "forest").glob("*.jpg"))[0]
    result = CliRunner().invoke(main, ["suggest", str(forest), "--model", str(trained_model), "--scores"])
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] == "#forest" and len(result.output.split()) == 4
    bad = CliRunner().invoke(main, ["suggest", str(forest), "--model", str(forest)])
    assert bad.exit_code == 1 and bad.output.startswith("zstags:") and len(bad.output.splitlines()) == 1


def test_zstags_train_writes_a_model(photo_folder, tmp_path):
    out = tmp_path / "models" / "scenes.pt"
    result = CliRunner().invoke(main, ["train", str(photo_folder), "--out", str(out), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert "2 classes; epoch" in result.output and "epoch 2:" in result.output
    assert FineTunedClassifier.load(out).classes_ == CLASSES
    assert [p.name for p in out.parent.iterdir()] == ["scenes.pt"]  # no temporary file left


def test_zstags_train_reads_a_named_csv_and_takes_weight_decay(photo_folder, tmp_path):
    rows = ["file,label"] + [f"{p.relative_to(tmp_path.parent)},{p.parent.name}"
                             for p in sorted(photo_folder.rglob("*.jpg"))]
    listing = tmp_path.parent / "listing.csv"
    (listing).write_text("\n".join(rows))
    try:
        out = tmp_path / "m.pt"
        result = CliRunner().invoke(main, ["train", str(listing), "--out", str(out), "--epochs", "2",
                                           "--weight-decay", "0.5"])
        assert result.exit_code == 0, result.output
        loaded = FineTunedClassifier.load(out)
        assert loaded.history_ and loaded.classes_ == CLASSES and loaded.config.weight_decay == 0.5
    finally:
        listing.unlink()


def test_too_few_photos_to_validate_on_is_a_clear_error(photo_folder, lite0):
    train = read_labelled(photo_folder).split("train")
    one_each = train.subset([train.labels.index(label) for label in CLASSES])
    with pytest.raises(ZeroShotTagsError, match="at least two training photos"):
        FineTunedClassifier(lite0, TrainingConfig(epochs=1)).fit(one_each)


def test_zstags_train_on_a_bad_folder_fails_with_one_line(tmp_path):
    result = CliRunner().invoke(main, ["train", str(tmp_path), "--out", str(tmp_path / "m.pt")])
    assert result.exit_code == 1 and result.output.startswith("zstags:")
    assert len(result.output.splitlines()) == 1
