"""Centring a person's photos before their nearest are found: chosen on the pooled train splits.

A profile's nearest photos (``zeroshot_tags.personal.neighbours``) are found by cosine on the
backbone's unit features, after centring photos and queries on the mean of the photos. This
checks that choice where no hashtag of the real-post benchmark is involved: on the train
split of each labelled set, each photo's label is voted by its nearest other photos (as a
profile's neighbours vote hashtags: similarity-weighted, negatives clipped), with and without
centring; reported is the share of photos whose label wins (leave-one-out top-1).

    python benchmarks/centring.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from pathlib import Path

import numpy as np

from posts import publish
from zeroshot_tags.config import DEFAULT_PROFILE_NEIGHBOURS
from zeroshot_tags.personal.neighbours import unit_rows
from zeroshot_tags.vision.backbones import load_backbone
from zeroshot_tags.vision.features import FeatureExtractor

SETS = ("intel_scenes", "food101_10class")
HEADING = "## Centring a person's nearest photos"


def leave_one_out_accuracy(features: np.ndarray, labels: np.ndarray, count: int) -> float:
    """The share of rows whose label gets the most similarity from their ``count`` nearest
    other rows (cosine of unit rows, negatives clipped to 0)."""
    similarities = features @ features.T
    np.fill_diagonal(similarities, -np.inf)
    nearest = np.argsort(-similarities, axis=1)[:, :count]
    classes, label_index = np.unique(labels, return_inverse=True)
    right = 0
    for row, ids in enumerate(nearest):
        votes = np.bincount(label_index[ids], weights=np.maximum(similarities[row, ids], 0), minlength=len(classes))
        right += votes.argmax() == label_index[row]
    return right / len(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--write", type=Path, help="append (or replace) this report's section in this file")
    arguments = parser.parse_args()
    extractor = FeatureExtractor(load_backbone())
    lines = [HEADING, "", f"Leave-one-out label accuracy of the {DEFAULT_PROFILE_NEIGHBOURS} nearest photos' "
             "vote on each train split (default backbone's features):", "",
             "| photo set | photos | cosine of unit features | centred on the photos' mean first |",
             "|---|---|---|---|"]
    for name in SETS:
        with open(arguments.data / name / "labels.csv", encoding="utf-8") as labels_file:
            rows = [row for row in csv.DictReader(labels_file) if row["split"] == "train"]
        features = unit_rows(extractor.features([arguments.data / name / row["file"] for row in rows]).numpy())
        labels = np.array([row["label"] for row in rows])
        plain = leave_one_out_accuracy(features, labels, DEFAULT_PROFILE_NEIGHBOURS)
        centred = leave_one_out_accuracy(unit_rows(features - features.mean(axis=0)), labels,
                                         DEFAULT_PROFILE_NEIGHBOURS)
        lines.append(f"| {name} | {len(rows)} | {plain:.3f} | {centred:.3f} |")
    lines += ["", f"Command: `{shlex.join(['python', *sys.argv])}`", ""]
    report = "\n".join(lines)
    publish(report, arguments.write, HEADING)


if __name__ == "__main__":
    main()
