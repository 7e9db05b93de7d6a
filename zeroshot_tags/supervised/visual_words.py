"""The classic supervised baseline: a linear SVM on bags of visual words.

Local descriptors (SIFT or ORB) of all training photos are clustered by k-means into a
codebook of visual words; each photo becomes the histogram of its descriptors' nearest words,
L1-normalised and square-rooted (the Hellinger map, so a linear SVM compares histograms by
the Bhattacharyya kernel); a linear SVM (one-vs-rest) classifies the histograms. The model
works on descriptor sets rather than paths, so descriptors are computed once and a caller can
refit on subsets (learning curves).

Example:
    >>> train = local_descriptors(train_paths)  # doctest: +SKIP
    >>> model = VisualWordsSVM().fit(train, train_labels)  # doctest: +SKIP
    >>> model.predict(local_descriptors(test_paths))  # doctest: +SKIP
    >>> model.score(local_descriptors(test_paths), test_labels)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cluster import MiniBatchKMeans
from sklearn.svm import LinearSVC

from ..errors import LabelledDataError, ModelError, SettingError
from ..extras import missing_extra
from ..images import load_image

try:
    import cv2
except ImportError as error:
    raise missing_extra("evaluation", error) from error

DESCRIPTORS = ("sift", "orb")


def local_descriptors(paths: Sequence[os.PathLike], kind: str = "sift",
                      max_side: int = 320) -> list[np.ndarray]:
    """Local descriptors of each photo, shrunk so its longer side is at most ``max_side``.

    Args:
        paths: photo files.
        kind: ``"sift"`` (128 values a descriptor) or ``"orb"`` (32 bytes a descriptor, as
            numbers).
        max_side: the longest side, in pixels, a photo is shrunk to; smaller photos are kept.

    Returns:
        One float32 array per photo, a row per keypoint; ``(0, width)`` when the photo has no
        keypoints (a plain image).

    Raises:
        SettingError: an unknown ``kind`` or a ``max_side`` below 1.
        ImageError: a photo is missing or unreadable.
    """
    if kind not in DESCRIPTORS:
        raise SettingError(f"unknown descriptor kind {kind!r}; use {' or '.join(DESCRIPTORS)}")
    if max_side < 1:
        raise SettingError("max_side must be a positive number of pixels")
    detector = cv2.SIFT_create() if kind == "sift" else cv2.ORB_create()
    width = detector.descriptorSize()
    sets = []
    for path in paths:
        image = load_image(path)
        image.thumbnail((max_side, max_side))
        _, descriptors = detector.detectAndCompute(np.asarray(image.convert("L")), None)
        sets.append(np.zeros((0, width), np.float32) if descriptors is None
                    else descriptors.astype(np.float32))
    return sets


class VisualWordsSVM(ClassifierMixin, BaseEstimator):
    """Bag of visual words + linear SVM: a k-means codebook over local descriptors, one
    normalised histogram per photo, a linear SVM on the histograms.

    A scikit-learn estimator over descriptor sets (one array per photo, see
    :func:`local_descriptors`): ``clone`` and ``get_params`` work, and :meth:`score` is the
    accuracy of :meth:`predict`.

    Args:
        words: the size of the codebook (k-means clusters).
        C: the SVM's regularisation parameter (larger fits the training photos more closely;
            0.1 beat 1.0 in 5-fold cross-validation within both shared train splits).
        seed: seeds the descriptor sample, k-means and the SVM, so a refit is identical.
        max_descriptors: k-means runs on at most this many descriptors, drawn with ``seed``.

    Attributes:
        classes_: the sorted label names; column ``i`` of :meth:`decision_function` and
            :meth:`predict_proba` is ``classes_[i]``.
        codebook_: the fitted ``MiniBatchKMeans``.
        svm_: the fitted ``LinearSVC``.
    """

    def __init__(self, words: int = 500, C: float = 0.1, seed: int = 0,
                 max_descriptors: int = 200_000) -> None:
        self.words = words
        self.C = C
        self.seed = seed
        self.max_descriptors = max_descriptors

    def fit(self, descriptor_sets: Sequence[np.ndarray], labels: Sequence[str]) -> "VisualWordsSVM":
        """Learn the codebook from the photos' descriptors, then the SVM from their histograms.

        Raises:
            SettingError: a parameter is out of range.
            LabelledDataError: the numbers of descriptor sets and labels differ, fewer than
                two classes, or fewer descriptors in all than ``words``.
        """
        if self.words < 2 or self.max_descriptors < self.words or not self.C > 0:
            raise SettingError("words must be at least 2, max_descriptors at least words, "
                                    "and C positive")
        if len(descriptor_sets) != len(labels):
            raise LabelledDataError(f"{len(descriptor_sets)} descriptor sets but {len(labels)} "
                                    f"labels; give one label per photo")
        if len(set(labels)) < 2:
            raise LabelledDataError("training needs photos of at least two classes")
        pooled = _stack(descriptor_sets)
        if len(pooled) < self.words:
            raise LabelledDataError(f"{len(pooled)} descriptors for {self.words} visual words; "
                                    f"add photos or lower words")
        if len(pooled) > self.max_descriptors:
            sample = np.random.default_rng(self.seed).choice(len(pooled), self.max_descriptors,
                                                             replace=False)
            pooled = pooled[np.sort(sample)]
        self.codebook_ = MiniBatchKMeans(self.words, random_state=self.seed).fit(pooled)
        self.svm_ = LinearSVC(C=self.C, random_state=self.seed)
        self.svm_.fit(self.histograms(descriptor_sets), np.asarray(labels, dtype=str))
        self.classes_ = tuple(str(label) for label in self.svm_.classes_)
        return self

    def histograms(self, descriptor_sets: Sequence[np.ndarray]) -> np.ndarray:
        """One row of ``words`` values per photo: the square root of the L1-normalised counts
        of its descriptors' nearest visual words (all zeros for a photo without descriptors).

        Raises:
            ModelError: the model is not fitted, or the descriptors are not as wide as
                those it was fitted on.
        """
        if not hasattr(self, "codebook_"):
            raise ModelError("the model is not fitted; call fit first")
        words, width = self.codebook_.cluster_centers_.shape
        pooled = _stack(descriptor_sets, width)
        if pooled.shape[1] != width:
            raise ModelError(f"descriptors are {pooled.shape[1]} wide but the codebook "
                                    f"{width}; use the descriptor kind the model was fitted on")
        photo = np.repeat(np.arange(len(descriptor_sets)), [len(d) for d in descriptor_sets])
        counts = np.zeros((len(descriptor_sets), words))
        if len(pooled):
            np.add.at(counts, (photo, self.codebook_.predict(pooled)), 1.0)
        totals = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
        return np.sqrt(counts / totals)

    def decision_function(self, descriptor_sets: Sequence[np.ndarray]) -> np.ndarray:
        """The SVM's score of each photo for each class: shape (photos, classes), columns in
        ``classes_`` order, larger is more likely."""
        histograms = self.histograms(descriptor_sets)
        scores = self.svm_.decision_function(histograms)
        return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores

    def predict_proba(self, descriptor_sets: Sequence[np.ndarray]) -> np.ndarray:
        """Class probabilities: the softmax of :meth:`decision_function` over each row, so
        classes rank as the SVM's scores rank (a linear SVM is not calibrated; these are
        scores that sum to one, not measured frequencies)."""
        return softmax(self.decision_function(descriptor_sets), axis=1)

    def predict(self, descriptor_sets: Sequence[np.ndarray]) -> list[str]:
        """The most likely class name of each photo."""
        best = self.decision_function(descriptor_sets).argmax(axis=1)
        return [self.classes_[i] for i in best]


def _stack(descriptor_sets: Sequence[np.ndarray], width: Optional[int] = None) -> np.ndarray:
    """All descriptors in one float32 array, photo after photo.

    Raises:
        LabelledDataError: the sets differ in width (descriptors of different kinds).
    """
    widths = {d.shape[1] for d in descriptor_sets}
    if len(widths) > 1:
        raise LabelledDataError(f"descriptor sets of widths {sorted(widths)}; use one "
                                f"descriptor kind for all photos")
    if not descriptor_sets:
        return np.zeros((0, width or 0), np.float32)
    return np.concatenate(descriptor_sets).astype(np.float32, copy=False)
