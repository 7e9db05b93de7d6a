"""ONNX Runtime against torch for the default backbone's forward pass on CPU, side by side.

The package's two networks for EfficientNet-Lite0 (:mod:`zeroshot_tags.vision.networks`): the
graph exported to ONNX and run by ONNX Runtime's CPU provider (the default on CPU), and the
torch network (channels last). Both run the same preprocessed batches of 12-MP photos (made
at run time as ``benchmarks/speed.py`` makes them), quiet and while another process keeps one
core busy. Reported: photos per second of each, the largest difference of the class
probabilities, and on how many photos the default tagger's top-5 hashtags are the same.

    python benchmarks/onnx_runtime.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np

from posts import publish
from speed import busy, make_photos, rate
from zeroshot_tags import Tagger
from zeroshot_tags.images import load_image
from zeroshot_tags.vision.backbones import softmax
from zeroshot_tags.vision.networks import TorchNetwork

BATCH = 16
THREADS = 2
HEADING = "## ONNX Runtime for the backbone"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--write", type=Path, help="append (or replace) this report's section in this file")
    arguments = parser.parse_args()
    tagger = Tagger(custom_hashtags=False, people=False, threads=THREADS)
    networks = {"onnx": tagger.backbone.network, "torch": TorchNetwork(tagger.backbone.model)}
    with tempfile.TemporaryDirectory() as folder:
        images = [load_image(path, tagger.max_pixels, tagger.min_side)
                  for path in make_photos(arguments.data, Path(folder), arguments.photos)]
    batches = [tagger.backbone.batch(images[start:start + BATCH]) for start in range(0, len(images), BATCH)]

    def probabilities(runtime: str) -> np.ndarray:
        return np.vstack([softmax(networks[runtime](batch)[1]) for batch in batches])

    probabilities("torch"), probabilities("onnx")  # warm
    lines = [HEADING, "", f"The default backbone's forward pass alone on {len(images)} preprocessed 12-MP photos "
             f"(batches of {BATCH}, {THREADS} threads each), photos/s, in one run:", "",
             "| | torch (channels-last) | ONNX Runtime (CPU) | ratio |", "|---|---|---|---|"]
    for loaded in (False, True):
        with busy(loaded):
            torch_rate = max(rate(len(images), lambda: probabilities("torch")) for _ in range(3))
            onnx_rate = max(rate(len(images), lambda: probabilities("onnx")) for _ in range(3))
        lines.append(f"| {'one core busy' if loaded else 'quiet'} | {torch_rate:.1f} | {onnx_rate:.1f} | "
                     f"{onnx_rate / torch_rate:.2f} |")
    by_torch, by_onnx = probabilities("torch"), probabilities("onnx")
    same = sum([s.hashtag for s in tagger.rank(tagger.queries(a[None])[0], 5)]
               == [s.hashtag for s in tagger.rank(tagger.queries(b[None])[0], 5)] for a, b in zip(by_torch, by_onnx))
    lines += ["", f"Largest difference of a class probability: {np.abs(by_torch - by_onnx).max():.1e}; the "
              f"default tagger's top-5 hashtags are the same for {same} of {len(images)} photos.", "",
              f"Command: `{shlex.join(['python', *sys.argv])}`", ""]
    report = "\n".join(lines)
    publish(report, arguments.write, HEADING)


if __name__ == "__main__":
    main()
