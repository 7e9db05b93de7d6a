"""Speed on phone-size photos: 12-megapixel JPEGs through every path, quiet and beside a busy process.

Builds its photos at run time from ``../shared/data`` (upscaled to 4032x3024, JPEG quality 90,
in a temporary folder; never committed) and prints, side by side in one run, photos per second
of: the naive loop (``Tagger.suggest`` one photo at a time), the batch path
(``Tagger.suggest_many``: draft decoding, two lanes, one decoding while the other's network runs), the CLI on
the folder, and the network's forward pass alone (its limit: ONNX Runtime, the default, and
torch, channels last and in its default layout); the batch path without the face detector
(``people=False``) and the face detector alone (the ``people`` extra's own network, and the
same network through MediaPipe's graph, which the detector used before); warm
single-photo latency; ``zstags suggest
one.jpg`` against ``python -c "import torch, torchvision"``; the CLI's peak RSS, on the folder
and on one of 1,000 photos (links to those photos). The rates with one network thread per core
and with one thread, the starts and the peak on the folder with the package's default; each
quiet and while another process keeps one core busy (the 1,000 photos: quiet). Each rate is
the best of three passes over the photos, every path run once in each pass.

    python benchmarks/speed.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch
from PIL import Image

from faces import mediapipe_graph
from posts import publish
from zeroshot_tags import Tagger
from zeroshot_tags.config import default_network_threads
from zeroshot_tags.images import load_image

HEADING = "## Speed on phone-size photos"
FACELESS = "batch path without the face detector (people=False)"
SIZE = (4032, 3024)
MANY_PHOTOS = 1000
"""The folder the CLI's peak memory is measured on."""
FACES_ALONE = "face detector alone (the people extra: BlazeFace on LiteRT, on the decoded photos)"
FACES_GRAPH = "the same network through MediaPipe's face-detection graph (the detector until this release)"
THREADS = (None, 1)
"""One network thread per core (torch's own default) and one thread."""
PASSES = 3
"""Passes over the photos per figure of photos per second; a figure is the fastest."""


def make_photos(data: Path, folder: Path, count: int) -> list[Path]:
    """``count`` 12-MP JPEGs made from the shared photos."""
    sources = sorted((data / "food101_10class").rglob("*.jpg"))[:count]
    paths = []
    for number, source in enumerate(sources):
        path = folder / f"phone_{number:03d}.jpg"
        Image.open(source).convert("RGB").resize(SIZE, Image.Resampling.BICUBIC).save(path, quality=90)
        paths.append(path)
    return paths


@contextlib.contextmanager
def busy(on: bool) -> Iterator[None]:
    """Another process spinning on one core meanwhile (when ``on``)."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        time.sleep(0.5 if on else 0)
        yield
    finally:
        if process:
            process.kill()
            process.wait()


def seconds(run: Callable[[], object]) -> float:
    """Seconds ``run`` takes."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def rates(count: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Photos per second of each of ``runs`` over ``count`` photos: its best of ``PASSES``
    passes (as ``timeit`` reports the best: slower passes measure what else ran meanwhile).
    Each pass runs every one of them in turn, so a machine that slows down during the
    measurement slows them alike and their ratios hold."""
    fastest = dict.fromkeys(runs, float("inf"))
    for _ in range(PASSES):
        for name, run in runs.items():
            fastest[name] = min(fastest[name], seconds(run))
    return {name: count / taken for name, taken in fastest.items()}


def forward_only(tagger: Tagger, paths: Sequence[Path]) -> dict[str, Callable[[], object]]:
    """The network's forward passes alone, on the photos already decoded and preprocessed: the
    tagger's own network, and torch's in the layout it runs fastest in (channels last) and in
    its default one (NCHW); and the face detector alone on the decoded photos (and the same
    network through MediaPipe's graph)."""
    images = [load_image(path, min_side=tagger.min_side) for path in paths]
    tensors = tagger.backbone.batch(images)
    nchw = copy.deepcopy(tagger.backbone.model).to(memory_format=torch.contiguous_format)
    channels_last = copy.deepcopy(nchw).to(memory_format=torch.channels_last)

    def batches(run: Callable[[torch.Tensor], object], layout=torch.contiguous_format) -> Callable[[], object]:
        @torch.inference_mode()
        def over_all() -> None:
            for start in range(0, len(tensors), tagger.batch_size):
                run(tensors[start:start + tagger.batch_size].contiguous(memory_format=layout))
        return over_all
    return {
        "forward pass alone (the limit): the default, ONNX Runtime": batches(tagger.backbone.network),
        "forward pass alone in torch (channels last)": batches(channels_last, torch.channels_last),
        "forward pass alone in torch's default layout (NCHW)": batches(nchw),
        FACES_ALONE: lambda: tagger.count_faces(images),
        FACES_GRAPH: functools.partial(mediapipe_graph(), images),
    }


LAUNCHER = ("import os, subprocess, sys; process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "_, status, usage = os.wait4(process.pid, 0); print(status, usage.ru_maxrss)")
"""Runs a command and prints its exit status and peak RSS (KiB). Linux counts a child's peak
from its parent's memory at the fork, so the command is started by this small process rather
than by the benchmark, which holds a tagger."""


def peak_rss(command: Sequence[str]) -> tuple[float, float]:
    """Seconds a command takes and its peak resident memory in MiB."""
    start = time.perf_counter()
    status, kib = subprocess.run([sys.executable, "-c", LAUNCHER, *command], check=True, capture_output=True,
                                 text=True).stdout.split()
    if int(status):
        raise subprocess.CalledProcessError(int(status), command)
    return time.perf_counter() - start, int(kib) / 1024


def wall(command: Sequence[str]) -> float:
    """Seconds a command takes."""
    return seconds(lambda: subprocess.run(command, check=True, capture_output=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--write", type=Path)
    arguments = parser.parse_args()
    default_threads = torch.get_num_threads()  # torch's own, before a Tagger sets the package's
    zstags = [sys.executable, "-m", "zeroshot_tags.cli.main", "suggest", "--top", "5"]
    with tempfile.TemporaryDirectory() as folder:
        paths = make_photos(arguments.data, Path(folder), arguments.photos)
        rows: dict[str, dict[str, str]] = {}
        for threads in THREADS:
            threads = threads or default_threads
            label = f"{threads} thread{'s' if threads > 1 else ''}"
            tagger = Tagger(custom_hashtags=False, threads=threads)
            faceless = Tagger(custom_hashtags=False, threads=threads, people=False)
            for warming in (tagger, faceless):
                warming.suggest(paths[0])  # warm: models loaded, space cached
            forwards = forward_only(tagger, paths)
            for loaded in (False, True):
                column = f"{label}, {'busy core' if loaded else 'quiet'}"
                with busy(loaded):
                    figures = rates(len(paths), {
                        "naive loop: suggest(path) per photo": lambda: [tagger.suggest(p) for p in paths],
                        "batch path: suggest_many(paths)": lambda: list(tagger.suggest_many(paths)),
                        FACELESS: lambda: list(faceless.suggest_many(paths)),
                        **forwards,
                    })
                    latency = min(seconds(lambda: tagger.suggest(paths[0])) for _ in range(3))
                    cli = len(paths) / wall([*zstags, "--threads", str(threads), folder])
                for name, value in figures.items():
                    rows.setdefault(name, {})[column] = f"{value:.1f}"
                rows.setdefault("CLI on the folder (with its start)", {})[column] = f"{cli:.1f}"
                rows.setdefault("warm latency of one photo, ms", {})[column] = f"{latency * 1000:.0f}"
                limit = figures["forward pass alone (the limit): the default, ONNX Runtime"]
                rows.setdefault("batch / forward alone", {})[column] = \
                    f"{figures['batch path: suggest_many(paths)'] / limit:.2f}"
                rows.setdefault("batch without the face detector / forward alone", {})[column] = \
                    f"{figures[FACELESS] / limit:.2f}"
                rows.setdefault("naive / batch", {})[column] = \
                    f"{figures['naive loop: suggest(path) per photo'] / figures['batch path: suggest_many(paths)']:.2f}"
        starts: dict[str, dict[str, str]] = {}
        for loaded in (False, True):
            column = "busy core" if loaded else "quiet"
            with busy(loaded):
                one = min(wall([*zstags, str(paths[0])]) for _ in range(2))
                bare = min(wall([sys.executable, "-c", "import torch, torchvision"]) for _ in range(2))
                peak = peak_rss([*zstags, folder])[1]
            starts.setdefault("`zstags suggest one.jpg` (warm cache), s", {})[column] = f"{one:.1f}"
            starts.setdefault('`python -c "import torch, torchvision"`, s', {})[column] = f"{bare:.1f}"
            starts.setdefault("one.jpg / the bare import", {})[column] = f"{one / bare:.1f}"
            starts.setdefault("peak RSS of the CLI on the folder, MiB", {})[column] = f"{peak:.0f}"
        many = Path(folder) / "many"
        many.mkdir()
        for number in range(MANY_PHOTOS):
            (many / f"photo_{number:04d}.jpg").symlink_to(paths[number % len(paths)])
        many_seconds, many_peak = peak_rss([*zstags, str(many)])
    report = render(rows, starts, (many_seconds, many_peak), len(paths), shlex.join(["python", *sys.argv]))
    publish(report, arguments.write, HEADING)


def table(first: str, rows: dict[str, dict[str, str]]) -> list[str]:
    """A markdown table: a row per name (the column ``first``), a column per key of its values."""
    columns = list(next(iter(rows.values())))
    return ([f"| {first} | {' | '.join(columns)} |", "|---|" + "---|" * len(columns)]
            + [f"| {name} | " + " | ".join(values[c] for c in columns) + " |" for name, values in rows.items()])


def render(rows: dict[str, dict[str, str]], starts: dict[str, dict[str, str]], many: tuple[float, float],
           count: int, command: str) -> str:
    lines = [HEADING, "",
             f"{count} JPEGs of {SIZE[0]}x{SIZE[1]} (12 MP, upscaled from food101_10class at run time), "
             f"photos per second (the best of {PASSES} passes, each running every path in turn) unless marked, "
             "on the 2-core CPU; 'busy core': another process spins on one core meanwhile.", "",
             *table("path", rows), "",
             f"Starting and memory, with the package's default threads ({default_network_threads()} here: "
             "the cores shared among the lanes):", "", *table("measure", starts), "",
             f"Peak RSS of the CLI on a folder of {MANY_PHOTOS:,} photos: {many[1]:.0f} MiB "
             f"({MANY_PHOTOS / many[0]:.1f} photos/s, quiet).",
             "", f"Command: `{command}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
