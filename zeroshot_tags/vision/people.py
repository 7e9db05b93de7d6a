"""Finding people in photos: ImageNet has no person class, so a selfie looks like its clothes
to the classifier. MediaPipe's BlazeFace full-range face detector (its weights ship inside
the ``mediapipe`` wheel) says whether a photo shows a face. LiteRT (``ai-edge-litert``) runs
the network, and the few lines below read its boxes as MediaPipe's face-detection graph does
(anchors, score threshold, non-maximum suppression): through the graph a photo costs about
12 ms of CPU here, this way 5 (benchmarks/speed.py). Both come with the ``people`` extra."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from PIL import Image

from ..config import FACE_CONFIDENCE, FACE_OVERLAP
from ..errors import MissingExtraError
from ..extras import missing_extra

MODEL_FILE = Path("modules", "face_detection", "face_detection_full_range_sparse.tflite")
"""The full-range BlazeFace network inside the ``mediapipe`` package."""
ANCHOR_STRIDE = 4
"""Pixels of the network's input between two anchors (one anchor of unit size per cell)."""


def people_extra_installed() -> bool:
    """Whether the ``people`` extra (mediapipe, ai-edge-litert) is installed (without
    importing either)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("mediapipe", "ai_edge_litert"))
    except (ImportError, ValueError):  # a parent package broken, or the module set to None
        return False


def face_model_path() -> Path:
    """The BlazeFace full-range network shipped in the installed ``mediapipe`` package.

    Raises:
        MissingExtraError: mediapipe is not installed, or holds no such file.
    """
    try:
        spec = importlib.util.find_spec("mediapipe")
    except ValueError:  # the module set to None
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise missing_extra("people", ModuleNotFoundError(name="mediapipe"))
    path = Path(spec.submodule_search_locations[0], MODEL_FILE)
    if not path.is_file():
        raise MissingExtraError(f"the installed mediapipe has no {MODEL_FILE.name} "
                                "(pip install 'zeroshot-tags[people]' installs the release that has it)")
    return path


class FaceDetector:
    """Counts the faces in photos (one LiteRT interpreter, used by one thread at a time).

    Raises:
        MissingExtraError: mediapipe or ai-edge-litert is not installed.
    """

    def __init__(self, min_confidence: float = FACE_CONFIDENCE) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise missing_extra("people", error) from error
        self.min_confidence = min_confidence
        with _native_stderr_silenced():  # LiteRT announces its XNNPACK delegate
            self._interpreter = Interpreter(model_path=str(face_model_path()), num_threads=1)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self.side = int(self._input["shape"][1])
        outputs = {int(detail["shape"][-1]): detail["index"] for detail in self._interpreter.get_output_details()}
        self._boxes, self._scores = outputs[16], outputs[1]  # a box and 6 keypoints; a score
        cells = self.side // ANCHOR_STRIDE
        centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        rows, columns = np.meshgrid(centres, centres, indexing="ij")
        self._anchors = np.stack([columns.ravel(), rows.ravel()], axis=1)
        self._lock = threading.Lock()

    def count_faces(self, images: Sequence[Image.Image]) -> list[int]:
        """The number of faces in each RGB PIL image (read at the network's side, 192 pixels)."""
        return [self._count(self._letterboxed(image)) for image in images]

    def _letterboxed(self, image: Image.Image) -> np.ndarray:
        """The image scaled to fit the network's square input, centred on black, in [-1, 1]."""
        scale = self.side / max(image.size)
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        small = rgb.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                           Image.Resampling.BILINEAR)
        canvas = np.full((1, self.side, self.side, 3), -1.0, np.float32)  # black
        top, left = (self.side - small.height) // 2, (self.side - small.width) // 2
        canvas[0, top:top + small.height, left:left + small.width] = np.asarray(small, np.float32) / 127.5 - 1
        return canvas

    def _raw_detections(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], pixels)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._boxes)[0], self._interpreter.get_tensor(self._scores)[0, :, 0]

    def _count(self, pixels: np.ndarray) -> int:
        """Faces above the confidence, overlapping boxes counted once (greedy suppression)."""
        boxes, logits = self._raw_detections(pixels)
        confidence = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
        found = np.flatnonzero(confidence >= self.min_confidence)
        if found.size == 0:
            return 0
        found = found[np.argsort(-confidence[found], kind="stable")]
        centres = boxes[found, :2] / self.side + self._anchors[found]
        halves = boxes[found, 2:4] / self.side / 2
        corners = np.hstack([centres - halves, centres + halves])
        count, remaining = 0, np.ones(found.size, bool)
        for index in range(found.size):
            if remaining[index]:
                count += 1
                remaining &= _overlap(corners[index], corners) <= FACE_OVERLAP
        return count


def _overlap(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of ``box`` with each of ``boxes`` (rows x0, y0, x1, y1)."""
    sides = np.clip(np.minimum(box[2:], boxes[:, 2:]) - np.maximum(box[:2], boxes[:, :2]), 0, None)
    inter = sides[:, 0] * sides[:, 1]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum((box[2] - box[0]) * (box[3] - box[1]) + areas - inter, 1e-12)


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to the null device meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
