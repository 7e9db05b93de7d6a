"""The face detector (BlazeFace on LiteRT) against the same network through MediaPipe's own
face-detection graph, the detector of the previous release: on real photos, how often the two
agree that a photo shows a face, how many faces they count, and the CPU time of each.

Photos: the 630 Instagram posts (selfies among them) and the 500 ImageNet sample photos, each
decoded as the tagger decodes it (draft size, shorter side at least the backbone's 256).

    python benchmarks/faces.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from posts import publish
from zeroshot_tags.config import DEFAULT_BACKBONE
from zeroshot_tags.images import load_image
from zeroshot_tags.vision.backbone_specs import BACKBONE_SPECS
from zeroshot_tags.vision.people import FaceDetector

HEADING = "## The face detector against MediaPipe's graph"
GRAPH_SIDE = 256
"""The longer side the previous release read photos at for MediaPipe's graph."""
SETS = {"Instagram posts": "instagram_posts", "ImageNet sample": "imagenet_sample"}


def mediapipe_graph() -> Callable[[Sequence[Image.Image]], list[int]]:
    """Face counts by MediaPipe's full-range face-detection graph, each photo read at
    ``GRAPH_SIDE`` pixels as the previous release did (the graph scales it to 192)."""
    from mediapipe.python.solutions.face_detection import FaceDetection
    detector = FaceDetection(model_selection=1)

    def count_faces(images: Sequence[Image.Image]) -> list[int]:
        counts = []
        for image in images:
            small = image.copy()
            small.thumbnail((GRAPH_SIDE, GRAPH_SIDE))
            counts.append(len(detector.process(np.asarray(small)).detections or ()))
        return counts
    return count_faces


def timed(count_faces: Callable[[Sequence[Image.Image]], list[int]],
          images: Sequence[Image.Image]) -> tuple[np.ndarray, float]:
    """Each photo's face count and the CPU milliseconds a photo took."""
    start = time.process_time()
    counts = np.array(count_faces(images))
    return counts, (time.process_time() - start) / len(images) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--write", type=Path)
    arguments = parser.parse_args()
    min_side = BACKBONE_SPECS[DEFAULT_BACKBONE].preprocessing.min_side  # as the default tagger decodes
    detectors = {"BlazeFace on LiteRT (this release)": FaceDetector().count_faces,
                 "MediaPipe's graph (the previous release)": mediapipe_graph()}
    lines = [HEADING, "", "| photos | detector | photos with a face | CPU ms a photo |", "|---|---|---|---|"]
    agreement = []
    for name, folder in SETS.items():
        paths = sorted((arguments.data / folder / "images").glob("*"))
        images = [load_image(path, min_side=min_side) for path in paths]
        counts = {}
        for detector, count_faces in detectors.items():
            counts[detector], milliseconds = timed(count_faces, images)
            lines.append(f"| {name} ({len(images)}) | {detector} | {np.count_nonzero(counts[detector])} "
                         f"| {milliseconds:.1f} |")
        ours, graph = counts.values()
        agreement.append(f"{name}: both say whether a face is shown alike on "
                         f"{np.sum((ours > 0) == (graph > 0))} of {len(images)} photos and count the same "
                         f"faces on {np.sum(ours == graph)}.")
    lines += ["", *agreement, "", f"Command: `{shlex.join(['python', *sys.argv])}`", ""]
    publish("\n".join(lines), arguments.write, HEADING)


if __name__ == "__main__":
    main()
