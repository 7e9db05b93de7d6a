"""Duplicate removal: false alarms on the shared photo sets, recall on injected copies, margin, speed.

On intel_scenes and food101_10class, ``find_duplicates`` (defaults) runs on the set as it is:
each flagged pair is a candidate false positive. Then a temporary labels.csv (deleted after)
names the set's photos and 4 copies of each of 50 photos drawn at random: an exact copy into
another class, a JPEG quality-60 re-encode, a half-size resize, both combined (in the other
split). A copy is found when it and its original do not both stay; an original is wrongly
removed when it goes for a photo not of its own group. Speed: photos per second of
``find_duplicates`` on the set as it is (decoding, hashing, comparing).

    python benchmarks/dedup.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import random
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from posts import publish
from zeroshot_tags.collect.dedup import find_duplicates, photo_hash
from zeroshot_tags.config import DEDUP_HASH_SIZE, DEDUP_MAX_DISTANCE

HEADING = "## Duplicate removal"
SETS = ("intel_scenes", "food101_10class")
VARIANTS = ("exact copy, other class", "JPEG quality 60", "half size", "half size + quality 60, other split")
SAMPLE = 50
SEED = 0

Row = dict[str, str]


def read_rows(folder: Path) -> list[Row]:
    """The set's labels.csv rows, each ``file`` made absolute."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        return [{**row, "file": str(folder / row["file"])} for row in csv.DictReader(handle)]


def make_copy(source: Path, target: Path, variant: int) -> None:
    """Write ``variant`` (an index of VARIANTS) of the photo ``source`` to ``target``."""
    if variant == 0:
        shutil.copyfile(source, target)
        return
    with Image.open(source) as image:
        image = image.convert("RGB")
        if variant >= 2:
            image = image.resize((image.width // 2, image.height // 2), Image.LANCZOS)
        image.save(target, "JPEG", quality=60 if variant != 2 else 90)


def inject(rows: list[Row], folder: Path) -> tuple[list[Row], dict[str, tuple[str, int]]]:
    """Rows with 4 copies of each of SAMPLE photos written into ``folder``, and each copy's
    original and variant."""
    chooser = random.Random(SEED)
    labels = sorted({row["label"] for row in rows})
    copies, added = {}, []
    for n, row in enumerate(chooser.sample(rows, SAMPLE)):
        for v in range(len(VARIANTS)):
            label = chooser.choice([x for x in labels if x != row["label"]]) if v == 0 else row["label"]
            split = {"train": "test", "test": "train"}.get(row["split"], row["split"]) if v == 3 else row["split"]
            target = str(folder / f"{n}-{v}.jpg")
            make_copy(Path(row["file"]), Path(target), v)
            copies[target] = (row["file"], v)
            added.append({"file": target, "label": label, "split": split})
    return rows + added, copies


def distances(paths: list[str]) -> np.ndarray:
    """The duplicate rule's distance between every two photos: the larger of their average
    hashes' and perceptual hashes' differing bits."""
    bits = np.unpackbits(np.stack([photo_hash(Path(p), DEDUP_HASH_SIZE) for p in paths]), axis=1)
    bits = bits.reshape(len(paths), 2, -1).astype(np.int32)
    per_hash = [b.sum(1)[:, None] + b.sum(1)[None, :] - 2 * b @ b.T for b in (bits[:, 0], bits[:, 1])]
    return np.maximum(*per_hash)


def measure(folder: Path) -> dict:
    """The figures of one shared set."""
    rows = read_rows(folder)
    start = time.perf_counter()
    real = find_duplicates(folder)
    speed = real.checked / (time.perf_counter() - start)
    flagged = [(str(d.path), str(d.kept), d.distance) for d in real.removed]
    with tempfile.TemporaryDirectory() as temporary:
        all_rows, copies = inject(rows, Path(temporary))
        with open(Path(temporary) / "labels.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, ("file", "label", "split"), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(all_rows)
        report = find_duplicates(Path(temporary) / "labels.csv")
        paths = [row["file"] for row in all_rows]
        matrix = distances(paths)
    split = {row["file"]: row["split"] for row in all_rows}
    group = {path: copies.get(path, (path,))[0] for path in paths}
    gone = {str(d.path) for d in report.removed}
    found = [0] * len(VARIANTS)
    for copy, (original, v) in copies.items():
        found[v] += copy in gone or original in gone
    known = [{a, b} for a, b, _ in flagged]
    wrong = [d for d in report.removed if group[str(d.path)] != group[str(d.kept)]
             and {str(d.path), str(d.kept)} not in known]
    holding_test = len({group[p] for p in paths if p not in gone and split[p] == "test"}
                       & {original for original, _ in copies.values()})
    index = {path: n for n, path in enumerate(paths)}
    ids = np.array([index[group[p]] for p in paths])
    distinct = ids[:, None] != ids[None, :]
    for a, b, _ in flagged:
        distinct[index[a], index[b]] = distinct[index[b], index[a]] = False
    pairs = matrix[np.triu(distinct, 1)]
    return {"photos": real.checked, "flagged": flagged, "split": split, "found": found, "wrong": wrong,
            "holding test": holding_test, "smallest distinct": int(pairs.min()), "speed": speed, "folder": folder,
            "largest copy": int(max(matrix[index[c], index[o]] for c, (o, _) in copies.items())),
            "within": [int((pairs <= bits).sum()) for bits in (8, 10, 12)]}


def cells(r: dict) -> dict[str, str]:
    """One set's column of the table, by row name."""
    crossing = sum(r["split"][a] != r["split"][b] for a, b, _ in r["flagged"])
    column = {"photos": str(r["photos"]),
              "pairs flagged in the set as it is (crossing train/test)": f"{len(r['flagged'])} ({crossing})"}
    column |= {f"copies found: {name}": f"{r['found'][v]} of {SAMPLE}" for v, name in enumerate(VARIANTS)}
    return column | {
        "original photos wrongly removed": str(len(r["wrong"])),
        "groups still holding a test photo (0: train kept over test)": str(r["holding test"]),
        "largest distance of a copy to its original": str(r["largest copy"]),
        "smallest distance between distinct photos": str(r["smallest distinct"]),
        "distinct pairs within 8 / 10 / 12 bits": " / ".join(map(str, r["within"])),
        "photos/s (decode, hash, compare)": f"{r['speed']:.0f}"}


def render(results: dict[str, dict]) -> str:
    """The markdown section."""
    columns = [cells(r) for r in results.values()]
    lines = [HEADING, "",
             f"`find_duplicates` with the defaults (average and perceptual hash both within "
             f"{DEDUP_MAX_DISTANCE} bits), on the 2-core CPU. Injected: {SAMPLE} photos drawn at random, "
             f"each copied {len(VARIANTS)} ways ({'; '.join(VARIANTS)}); distances are the larger of the "
             "two hashes' differing bits.", "",
             f"| | {' | '.join(results)} |", "|---|" + "---|" * len(results)]
    lines += [f"| {row} | {' | '.join(column[row] for column in columns)} |" for row in columns[0]]
    lines += ["", "Pairs flagged in the sets as they are (removed = kept):", ""]
    for name, r in results.items():
        lines += [f"- {name}: `{Path(a).relative_to(r['folder'])}` = `{Path(b).relative_to(r['folder'])}`, "
                  f"{d} bits{' (train/test leak)' if r['split'][a] != r['split'][b] else ''}"
                  for a, b, d in r["flagged"]] or [f"- {name}: none"]
    return "\n".join(lines + ["", f"Command: `{shlex.join(['python', *sys.argv])}`", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--write", type=Path, help="append (or replace) this report's section in this markdown file")
    arguments = parser.parse_args()
    report = render({name: measure(arguments.data.resolve() / name) for name in SETS})
    publish(report, arguments.write, HEADING)


if __name__ == "__main__":
    main()
