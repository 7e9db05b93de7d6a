"""The default method stays above its accuracy floors on a fixed subset of the zero-shot protocol.

The subset: the first 8 test photos (by file name) of each of the 16 classes of intel_scenes
and food101_10class, with the 16 class names as the vocabulary (../shared/data/README.md).
Measured when the floors were set (docs/benchmarks.md has the full-pool figures): default
top-1 0.367, top-5 0.789; plain ConSE (GloVe, no hubness reduction) top-1 0.250, top-5 0.719.
The floors sit three to four photos below the default's figures.
"""

import csv

import pytest

from zeroshot_tags import Tagger
from zeroshot_tags.images import load_image

PER_CLASS = 8
FLOOR_TOP1 = 0.34
FLOOR_TOP5 = 0.76


@pytest.fixture(scope="module")
def subset(shared_data):
    chosen = {}
    for name in ("intel_scenes", "food101_10class"):
        with open(shared_data / name / "labels.csv", newline="") as handle:
            rows = sorted((r for r in csv.DictReader(handle) if r["split"] == "test"),
                          key=lambda r: r["file"])
        for row in rows:
            label = row["label"].replace("_", " ")
            if len(chosen.setdefault(label, [])) < PER_CLASS:
                chosen[label].append(load_image(shared_data / name / row["file"]))
    return [(image, label) for label, images in chosen.items() for image in images]


def accuracy(tagger, subset):
    results = tagger.suggest([image for image, _ in subset], top=5)
    top1 = sum(r[0].word == label for r, (_, label) in zip(results, subset)) / len(subset)
    top5 = sum(label in {s.word for s in r} for r, (_, label) in zip(results, subset)) / len(subset)
    return top1, top5


def test_the_default_stays_above_its_floors_and_above_plain_conse(default_tagger, subset):
    class_names = sorted({label for _, label in subset})
    assert len(class_names) == 16 and len(subset) == 16 * PER_CLASS
    top1, top5 = accuracy(default_tagger.with_vocabulary(class_names), subset)
    plain = Tagger(default_tagger.backbone, "glove-6b-50d", class_names, hubness="none")
    plain_top1, _ = accuracy(plain, subset)
    assert top1 >= FLOOR_TOP1 and top5 >= FLOOR_TOP5, (top1, top5)
    assert top1 > plain_top1 + 0.05, (top1, plain_top1)
