"""How well class scores rank the true class: top-k accuracy, per-class accuracy, confusion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class ClassificationScores:
    """Top-1 and top-5 accuracy, top-1 accuracy per class, and the confusion matrix (rows:
    true class, columns: predicted class, both in ``classes`` order)."""

    classes: tuple[str, ...]
    top1: float
    top5: float
    per_class: dict[str, float]
    confusion: np.ndarray

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return {"top1": self.top1, "top5": self.top5, "per_class": self.per_class,
                "confusion": self.confusion.tolist()}


def classification_scores(scores: np.ndarray, truth: Sequence[str],
                          classes: Sequence[str]) -> ClassificationScores:
    """Score a (photos x classes) matrix, higher meaning more likely, against true labels."""
    classes = tuple(classes)
    truth_index = np.array([classes.index(label) for label in truth])
    order = np.argsort(-scores, axis=1, kind="stable")
    top1_hits = order[:, 0] == truth_index
    top5_hits = (order[:, :5] == truth_index[:, None]).any(axis=1)
    confusion = np.zeros((len(classes), len(classes)), dtype=int)
    np.add.at(confusion, (truth_index, order[:, 0]), 1)
    per_class = {name: float(top1_hits[truth_index == i].mean()) if (truth_index == i).any() else float("nan")
                 for i, name in enumerate(classes)}
    return ClassificationScores(classes, float(top1_hits.mean()), float(top5_hits.mean()),
                                per_class, confusion)
