"""The seeds' comparison as a feature: an SVM on bags of visual words, a fine-tuned ImageNet
backbone and zero-shot ConSE, scored on one labelled test split.

The supervised methods train on the ``train`` (and ``val``) photos; ConSE sees no photo of
the data and ranks the class names (``_`` read as a space) as its vocabulary. One pass of the
backbone per photo (cached on disk) gives both the fine-tuned head's inputs and, through the
backbone's own last layer, the ImageNet probabilities ConSE starts from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..config import ComparisonSettings
from ..errors import LabelledDataError
from ..supervised.labelled import LabelledPhotos, stratified_holdout
from ..supervised.trained import FineTunedClassifier
from ..supervised.visual_words import VisualWordsSVM, local_descriptors
from ..tagging.tagger import Tagger
from ..tagging.trained_tagger import class_entries
from ..text import class_phrase
from ..vision.backbones import load_backbone
from ..vision.features import FeatureExtractor
from ..vocabulary.vocab import builtin_vocabulary
from .metrics import ClassificationScores, classification_scores

METHODS = {
    "svm": "SVM on bags of visual words (SIFT)",
    "finetuned": "fine-tuned {backbone} (new last layer)",
    "conse": "ConSE zero-shot (class names as vocabulary)",
}
@dataclass(frozen=True)
class ExamplePhoto:
    """A test photo, its label and the hashtags each method gives it."""

    path: Path
    label: str
    hashtags: dict[str, list[str]]


@dataclass
class Comparison:
    """Everything a comparison measured (see :func:`compare_methods`)."""

    classes: tuple[str, ...]
    train_photos: int
    test_photos: int
    scores: dict[str, ClassificationScores]
    seconds: dict[str, float]
    learning_curves: dict[str, list[tuple[int, float]]]
    examples: list[ExamplePhoto]
    word_map: list[tuple[str, float, float, bool]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return {
            "classes": list(self.classes), "train_photos": self.train_photos,
            "test_photos": self.test_photos,
            "methods": {name: dict(s.to_dict(), seconds=self.seconds[name])
                        for name, s in self.scores.items()},
            "feature_seconds": self.seconds["features"],
            "learning_curves": {name: [list(point) for point in curve]
                                for name, curve in self.learning_curves.items()},
            "examples": [{"photo": str(e.path), "label": e.label, "hashtags": e.hashtags}
                         for e in self.examples],
            "word_map": [list(point) for point in self.word_map],
        }


def compare_methods(photos: LabelledPhotos, settings: ComparisonSettings = ComparisonSettings(),
                    progress: Optional[Callable[[str], None]] = None) -> Comparison:
    """Train the SVM and the fine-tuned backbone on the training photos, score them and
    ConSE on the test photos, and measure learning curves, sample hashtags and a word map.

    Raises:
        LabelledDataError: there are no training or no test photos, or a test photo's label
            has no training photo.
        ImageError: a photo cannot be read.
    """
    say = progress or (lambda message: None)
    train = photos.subset(i for i, split in enumerate(photos.splits) if split != "test")
    test = photos.split("test")
    if not len(train) or not len(test):
        raise LabelledDataError("comparing needs photos in the train and in the test split")
    classes = train.classes
    if set(test.labels) - set(classes):
        raise LabelledDataError(f"test label {sorted(set(test.labels) - set(classes))[0]!r} "
                                "has no training photo")
    backbone = load_backbone(settings.backbone, settings.training.device)
    extractor = FeatureExtractor(backbone, cache_dir=settings.feature_cache)
    seconds: dict[str, float] = {}

    say("backbone features")
    started = time.perf_counter()
    test_features = extractor.features(test.paths)
    extractor.features(train.paths)
    seconds["features"] = time.perf_counter() - started

    say("SIFT descriptors")
    started = time.perf_counter()
    train_descriptors, test_descriptors = local_descriptors(train.paths), local_descriptors(test.paths)
    descriptor_seconds = time.perf_counter() - started

    def svm_scores(chosen: LabelledPhotos, indices: list[int]) -> np.ndarray:
        svm = VisualWordsSVM(seed=settings.seed).fit([train_descriptors[i] for i in indices], chosen.labels)
        return _in_class_order(svm.predict_proba(test_descriptors), svm.classes_, classes)

    def finetuned_scores(chosen: LabelledPhotos, indices: list[int]) -> np.ndarray:
        finetuned = FineTunedClassifier(backbone, settings.training, extractor).fit(chosen)
        return _in_class_order(finetuned.predict_proba(test_features), finetuned.classes_, classes)

    methods = {"svm": svm_scores, "finetuned": finetuned_scores}
    curves: dict[str, list[tuple[int, float]]] = {name: [] for name in methods}
    full_scores: dict[str, np.ndarray] = {}
    for fraction in sorted(set(settings.curve_fractions) | {1.0}):
        indices = (list(range(len(train))) if fraction >= 1
                   else sorted(stratified_holdout(train.labels, fraction, settings.seed)))
        chosen = train.subset(indices)
        if fraction < 1 and min(chosen.labels.count(name) for name in classes) < 2:
            continue  # too few photos of a class to train and validate on
        for name, method in methods.items():
            say(f"{name} on {len(chosen)} training photos")
            started = time.perf_counter()
            matrix = method(chosen, indices)
            if fraction >= 1:
                full_scores[name] = matrix
                seconds[name] = time.perf_counter() - started
            curves[name].append((len(chosen), classification_scores(matrix, test.labels, classes).top1))
    seconds["svm"] += descriptor_seconds

    say("ConSE zero-shot")
    started = time.perf_counter()
    tagger = Tagger(backbone, vocabulary=[class_phrase(name) for name in classes])
    queries = tagger.queries(extractor.probabilities(test_features))
    full_scores["conse"] = _conse_scores(tagger, queries, classes)
    seconds["conse"] = time.perf_counter() - started

    scores = {name: classification_scores(full_scores[name], test.labels, classes) for name in METHODS}
    say("hashtags and word map")
    everyday = tagger.with_vocabulary(None)
    examples = _examples(test, classes, full_scores, everyday, queries, settings.examples)
    return Comparison(classes, len(train), len(test), scores, seconds, curves, examples,
                      word_map(tagger, everyday, settings.seed))


def _in_class_order(matrix: np.ndarray, own: tuple[str, ...], classes: tuple[str, ...]) -> np.ndarray:
    """Columns rearranged from ``own`` class order to ``classes`` order; missing classes get
    the lowest score."""
    ordered = np.full((len(matrix), len(classes)), -np.inf)
    for column, name in enumerate(own):
        ordered[:, classes.index(name)] = matrix[:, column]
    return ordered


def _conse_scores(tagger: Tagger, queries: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """Each class name's ConSE score for each query: its cosine less its hubness penalty, the
    score the tagger's index ranks by, computed exactly from the space's vectors; the lowest
    score for a class name the space cannot express."""
    space = tagger.space
    row_of = {entry.word: row for row, entry in enumerate(space.vocabulary.entries)}
    known = [column for column, name in enumerate(classes) if class_phrase(name) in row_of]
    rows = [row_of[class_phrase(classes[column])] for column in known]
    matrix = np.full((len(queries), len(classes)), -np.inf)
    matrix[:, known] = space.scores(queries, rows)
    return matrix


def _examples(test: LabelledPhotos, classes: tuple[str, ...], scores: dict[str, np.ndarray],
              everyday: Tagger, queries: np.ndarray, count: int) -> list[ExamplePhoto]:
    """The first test photo of ``count`` classes spread over the class list, with each
    method's three best class hashtags and ConSE's five best built-in hashtags."""
    entries = class_entries(classes, builtin_vocabulary())
    picked = [test.labels.index(name) for name in classes[::max(1, len(classes) // max(count, 1))]
              if name in test.labels][:count]
    examples = []
    for row in picked:
        hashtags = {name: [entries[i].hashtags[0] for i in np.argsort(-matrix[row], kind="stable")[:3]]
                    for name, matrix in scores.items()}
        hashtags["conse_builtin"] = [s.hashtag for s in everyday.rank(queries[row], 5)]
        examples.append(ExamplePhoto(test.paths[row], test.labels[row], hashtags))
    return examples


def word_map(classes_tagger: Tagger, everyday: Tagger, seed: int = 0,
             neighbours: int = 8) -> list[tuple[str, float, float, bool]]:
    """A t-SNE map of the semantic space around the class names: each class name and its
    ``neighbours`` nearest built-in vocabulary words, as (word, x, y, is_class_name)."""
    from sklearn.manifold import TSNE

    class_vectors = np.asarray(classes_tagger.space.vocabulary_vectors)
    word_vectors = np.asarray(everyday.space.vocabulary_vectors)
    class_words = [entry.word for entry in classes_tagger.space.vocabulary.entries]
    nearest = np.argsort(-(class_vectors @ word_vectors.T), axis=1)[:, :neighbours]
    chosen = [i for i in dict.fromkeys(nearest.ravel().tolist())
              if everyday.space.vocabulary.entries[i].word not in class_words]
    points = np.vstack([class_vectors, word_vectors[chosen]])
    words = class_words + [everyday.space.vocabulary.entries[i].word for i in chosen]
    xy = TSNE(n_components=2, perplexity=min(10.0, len(points) - 1.0), init="pca",
              random_state=seed).fit_transform(points)
    return [(word, float(x), float(y), i < len(class_words)) for i, (word, (x, y)) in enumerate(zip(words, xy))]
