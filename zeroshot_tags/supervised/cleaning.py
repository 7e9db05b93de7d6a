"""Data cleaning before training (the seeds' step): photos far from the rest of their class.

Each training photo's backbone features are reduced by PCA (128 components, fitted on all
training photos); each class is clustered by k-means (by default into one cluster: its
centre), and a photo whose distance to its cluster centre exceeds the class's median distance
by more than ``sigmas`` standard deviations is an outlier (a mislabelled, broken or off-topic
photo). The standard deviation is estimated robustly (1.4826 times the median absolute
deviation), so a few outliers cannot hide each other by inflating it, and one cluster is the
default because with more a handful of mislabelled photos form a cluster of their own.
Test photos are never removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..config import CleaningSettings
from ..errors import LabelledDataError
from ..vision.features import FeatureExtractor
from .labelled import LabelledPhotos

CLEANED_SPLITS = ("train", "val")


@dataclass(frozen=True)
class Outlier:
    """A removed photo, its distance to its cluster centre and its class's threshold."""

    path: Path
    label: str
    distance: float
    threshold: float


@dataclass(frozen=True)
class CleaningResult:
    """The photos kept (every test photo among them) and the outliers removed."""

    kept: LabelledPhotos
    removed: tuple[Outlier, ...]
    checked: int


def outlier_mask(features: np.ndarray, labels: Sequence[str],
                 settings: CleaningSettings = CleaningSettings()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows of ``features`` are outliers of their label, with every row's distance to
    its cluster centre and its label's threshold: three arrays of ``len(labels)``."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    labels = np.asarray(labels)
    components = min(settings.components, *features.shape)
    reduced = PCA(n_components=components, random_state=settings.seed).fit_transform(features)
    distances = np.zeros(len(labels))
    thresholds = np.full(len(labels), np.inf)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 3:
            continue  # too few photos to say which is unusual
        kmeans = KMeans(n_clusters=min(settings.clusters, len(members) - 1), n_init=10,
                        random_state=settings.seed).fit(reduced[members])
        centres = kmeans.cluster_centers_[kmeans.labels_]
        distances[members] = np.linalg.norm(reduced[members] - centres, axis=1)
        centre = np.median(distances[members])
        spread = 1.4826 * np.median(np.abs(distances[members] - centre))
        thresholds[members] = centre + settings.sigmas * spread
    return distances > thresholds, distances, thresholds


def clean_photos(photos: LabelledPhotos, extractor: FeatureExtractor,
                 settings: CleaningSettings = CleaningSettings()) -> CleaningResult:
    """Remove the outliers among the training (and validation) photos; keep every test photo.

    Raises:
        LabelledDataError: there are no training photos.
        ImageError: a photo cannot be read.
    """
    checked = [i for i, split in enumerate(photos.splits) if split in CLEANED_SPLITS]
    if not checked:
        raise LabelledDataError("no training photos to clean")
    candidates = photos.subset(checked)
    features = extractor.features(candidates.paths).numpy()
    is_outlier, distances, thresholds = outlier_mask(features, candidates.labels, settings)
    removed_indices = {checked[i] for i in np.flatnonzero(is_outlier)}
    removed = tuple(Outlier(candidates.paths[i], candidates.labels[i], float(distances[i]),
                            float(thresholds[i])) for i in np.flatnonzero(is_outlier))
    kept = photos.subset(i for i in range(len(photos)) if i not in removed_indices)
    return CleaningResult(kept, removed, len(checked))
