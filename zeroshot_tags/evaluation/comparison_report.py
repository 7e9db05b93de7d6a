"""A comparison written out: JSON, PNG pictures (confusion matrices, learning curves, the word
map) and a Markdown section with the tables, every file written whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..extras import missing_extra
from .comparison import METHODS, Comparison

try:
    from matplotlib.figure import Figure
except ImportError as error:
    raise missing_extra("evaluation", error) from error

PICTURES = ("confusion.png", "learning_curves.png", "word_map.png")


def write_report(comparison: Comparison, folder: os.PathLike, title: str, backbone: str) -> Path:
    """Write ``comparison.json``, the pictures and ``report.md`` into ``folder``; return the
    Markdown file's path."""
    folder = Path(folder)
    with atomic_write(folder / "comparison.json", "w", encoding="utf-8") as stream:
        json.dump(comparison.to_dict(), stream, indent=1)
    _save(_confusion_figure(comparison, backbone), folder / "confusion.png")
    _save(_learning_curve_figure(comparison, backbone), folder / "learning_curves.png")
    _save(_word_map_figure(comparison), folder / "word_map.png")
    with atomic_write(folder / "report.md", "w", encoding="utf-8") as stream:
        stream.write(render_markdown(comparison, title, backbone, "."))
    return folder / "report.md"


def method_title(name: str, backbone: str) -> str:
    """The table name of a method."""
    return METHODS[name].format(backbone=backbone)


def render_markdown(comparison: Comparison, title: str, backbone: str, pictures: str) -> str:
    """The comparison as a Markdown section; ``pictures`` is the folder of its PNG files,
    relative to the Markdown file."""
    lines = [f"## {title}", "",
             f"{comparison.train_photos} training photos, {comparison.test_photos} test photos, "
             f"{len(comparison.classes)} classes.", "",
             "| method | top-1 | top-5 | seconds to fit and predict |", "|---|---|---|---|"]
    for name, scores in comparison.scores.items():
        lines.append(f"| {method_title(name, backbone)} | {scores.top1:.3f} | {scores.top5:.3f} | "
                     f"{comparison.seconds[name]:.1f} |")
    lines += ["", f"Not counted above: the backbone features of all photos, computed once for "
                  f"the fine-tuned model and ConSE, took {comparison.seconds['features']:.0f} s "
                  "(none when they were already in the cache); the SVM's time includes its "
                  "SIFT descriptors.", "",
              "Top-1 accuracy per class:", "",
              "| class | " + " | ".join(comparison.scores) + " |",
              "|---|" + "---|" * len(comparison.scores)]
    for label in comparison.classes:
        lines.append(f"| {label} | " + " | ".join(f"{s.per_class[label]:.2f}"
                                                 for s in comparison.scores.values()) + " |")
    if comparison.examples:
        columns = list(comparison.examples[0].hashtags)
        lines += ["", "Hashtags for sample test photos (the three best classes of each method; "
                      "`conse_builtin`: ConSE over the built-in hashtag vocabulary):", "",
                  "| photo | label | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
        for example in comparison.examples:
            lines.append(f"| {example.path.name} | {example.label} | "
                         + " | ".join(" ".join(example.hashtags[c]) for c in columns) + " |")
    lines += ["", f"![confusion matrices]({pictures}/confusion.png)",
              f"![learning curves]({pictures}/learning_curves.png)",
              f"![word map]({pictures}/word_map.png)", ""]
    return "\n".join(lines)


def _save(figure, path: Path) -> None:
    with atomic_write(path) as stream:
        figure.savefig(stream, format="png", dpi=110, bbox_inches="tight")


def _confusion_figure(comparison: Comparison, backbone: str):
    count = len(comparison.scores)
    size = 2.5 + 0.45 * len(comparison.classes)
    figure = Figure(figsize=(size * count, size))
    for axes, (name, scores) in zip(figure.subplots(1, count), comparison.scores.items()):
        rates = scores.confusion / np.maximum(scores.confusion.sum(axis=1, keepdims=True), 1)
        axes.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        axes.set_title(f"{method_title(name, backbone)}\ntop-1 {scores.top1:.3f}", fontsize=8)
        ticks = range(len(comparison.classes))
        axes.set_xticks(ticks, comparison.classes, rotation=90, fontsize=7)
        axes.set_yticks(ticks, comparison.classes, fontsize=7)
        axes.set_xlabel("predicted", fontsize=8)
        axes.set_ylabel("true", fontsize=8)
    return figure


def _learning_curve_figure(comparison: Comparison, backbone: str):
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    for name, curve in comparison.learning_curves.items():
        axes.plot([n for n, _ in curve], [a for _, a in curve], marker="o",
                  label=method_title(name, backbone))
    axes.axhline(comparison.scores["conse"].top1, color="grey", linestyle="--",
                 label=method_title("conse", backbone) + " (no training photos)")
    axes.set_xlabel("training photos")
    axes.set_ylabel("test top-1 accuracy")
    axes.set_ylim(0, 1)
    axes.legend(fontsize=7)
    return figure


def _word_map_figure(comparison: Comparison):
    figure = Figure(figsize=(8, 7))
    axes = figure.subplots()
    for word, x, y, is_class in comparison.word_map:
        axes.scatter([x], [y], s=40 if is_class else 10, color="tab:red" if is_class else "tab:blue")
        axes.annotate(word, (x, y), fontsize=8 if is_class else 6,
                      fontweight="bold" if is_class else "normal")
    axes.set_title("t-SNE of the semantic space: class names (red) and their nearest "
                   "built-in vocabulary words", fontsize=9)
    axes.set_xticks([])
    axes.set_yticks([])
    return figure
