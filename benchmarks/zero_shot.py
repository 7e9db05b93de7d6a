"""Zero-shot benchmark: the protocol of ../shared/data/README.md, plus the backbone's ImageNet top-1.

Pooled test splits of intel_scenes and food101_10class; the candidate vocabulary is the 16
class names (``_`` read as a space); top-1 / top-5 over all pooled test images. T (the number
of ImageNet classes in the ConSE combination) is chosen on the *train* splits, never on the
test images, and the whole T curve is reported for both splits.

    python benchmarks/zero_shot.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zeroshot_tags import Tagger
from zeroshot_tags.conse import conse_queries
from zeroshot_tags.images import load_image
from zeroshot_tags.tagger import DEFAULT_TOP_CLASSES

ZERO_SHOT_SETS = ("intel_scenes", "food101_10class")
T_GRID = tuple(sorted({1, 2, 3, 5, 10, 20, 50, 100, 1000, DEFAULT_TOP_CLASSES}))
BATCH = 32


@dataclass
class LabelledImages:
    paths: list[Path]
    labels: list[str]


def read_split(data: Path, split: str) -> LabelledImages:
    """The pooled ``split`` of the zero-shot sets, labels read with ``_`` as a space."""
    paths, labels = [], []
    for name in ZERO_SHOT_SETS:
        with open(data / name / "labels.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["split"] == split:
                    paths.append(data / name / row["file"])
                    labels.append(row["label"].replace("_", " "))
    return LabelledImages(paths, labels)


def probabilities(tagger: Tagger, paths: list[Path]) -> tuple[np.ndarray, float]:
    """Backbone probabilities for every image, and images per second (decode included)."""
    start = time.perf_counter()
    rows = []
    for i in range(0, len(paths), BATCH):
        images = [load_image(path) for path in paths[i:i + BATCH]]
        rows.append(tagger.backbone.predict_proba(images))
    return np.concatenate(rows), len(paths) / (time.perf_counter() - start)


def top_k_accuracy(tagger: Tagger, probs: np.ndarray, labels: list[str], top_t: int) -> tuple[float, float]:
    """Top-1 and top-5 accuracy of ConSE with ``top_t`` classes over the class-name vocabulary."""
    queries = conse_queries(probs, tagger.space.label_vectors, top_t)
    hits1 = hits5 = 0
    for query, label in zip(queries, labels):
        ranked = [suggestion.word for suggestion in tagger.rank(query, 5)]
        hits1 += ranked[0] == label
        hits5 += label in ranked
    return hits1 / len(labels), hits5 / len(labels)


def imagenet_top1(tagger: Tagger, data: Path) -> tuple[float, int]:
    with open(data / "imagenet_sample" / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    probs, _ = probabilities(tagger, [data / "imagenet_sample" / row["file"] for row in rows])
    index_of = {wnid: i for i, wnid in enumerate(tagger.backbone.labels.wnids)}
    truth = np.array([index_of[row["wnid"]] for row in rows])
    return float(np.mean(probs.argmax(axis=1) == truth)), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--write", type=Path, help="write the report (markdown) to this file")
    args = parser.parse_args()

    train, test = read_split(args.data, "train"), read_split(args.data, "test")
    class_names = sorted(set(test.labels))
    tagger = Tagger(vocabulary=class_names)
    train_probs, _ = probabilities(tagger, train.paths)
    test_probs, speed = probabilities(tagger, test.paths)
    curve = {t: (top_k_accuracy(tagger, train_probs, train.labels, t),
                 top_k_accuracy(tagger, test_probs, test.labels, t)) for t in T_GRID}
    best_t = max(T_GRID, key=lambda t: (curve[t][0][0], curve[t][0][1]))
    imagenet, imagenet_count = imagenet_top1(tagger, args.data)

    lines = [
        "# Benchmarks",
        "",
        "## Zero-shot ConSE on the public pool",
        "",
        f"Protocol of `../shared/data/README.md`: {len(test.paths)} pooled test images of "
        f"{', '.join(ZERO_SHOT_SETS)}; vocabulary = the {len(class_names)} class names. "
        f"Backbone {tagger.backbone.name}, vectors {tagger.vectors.spec}. T is chosen on the "
        f"{len(train.paths)} pooled *train* images (best train top-1: T={best_t}).",
        "",
        "| T | train top-1 | train top-5 | test top-1 | test top-5 |",
        "|---|---|---|---|---|",
        *(f"| {t}{' (chosen)' if t == best_t else ''} | {tr[0]:.3f} | {tr[1]:.3f} | "
          f"{te[0]:.3f} | {te[1]:.3f} |" for t, (tr, te) in curve.items()),
        "",
        f"The library's default T is {DEFAULT_TOP_CLASSES}: test top-1 "
        f"**{curve[DEFAULT_TOP_CLASSES][1][0]:.3f}**, top-5 **{curve[DEFAULT_TOP_CLASSES][1][1]:.3f}**.",
        "",
        f"Backbone speed: {speed:.1f} images/s (decode + preprocessing + forward, batches of "
        f"{BATCH}, CPU).",
        "",
        "## Backbone sanity check",
        "",
        f"ImageNet top-1 of {tagger.backbone.name} on `imagenet_sample` ({imagenet_count} images, "
        f"one per class): **{imagenet:.3f}**.",
        "",
        "Command: `python benchmarks/zero_shot.py --data ../shared/data --write docs/benchmarks.md`",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report)


if __name__ == "__main__":
    sys.exit(main())
