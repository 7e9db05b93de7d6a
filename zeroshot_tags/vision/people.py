"""Finding people in photos: ImageNet has no person class, so a selfie looks like its clothes
to the classifier. MediaPipe's BlazeFace full-range face detector (its weights ship inside
the ``mediapipe`` wheel; the ``people`` extra) says whether a photo shows a face."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
import warnings
from typing import Iterator, Sequence

import numpy as np

from ..config import FACE_CONFIDENCE, FACE_DETECTOR_SIDE
from ..extras import missing_extra


def people_extra_installed() -> bool:
    """Whether the ``people`` extra (mediapipe) is installed (without importing it)."""
    try:
        return importlib.util.find_spec("mediapipe") is not None
    except (ImportError, ValueError):  # a parent package broken, or the module set to None
        return False


class FaceDetector:
    """Counts the faces in photos (one MediaPipe graph, used by one thread at a time).

    Raises:
        MissingExtraError: mediapipe is not installed.
    """

    def __init__(self, min_confidence: float = FACE_CONFIDENCE) -> None:
        try:
            from mediapipe.python.solutions.face_detection import FaceDetection
        except ImportError as error:
            raise missing_extra("people", error) from error
        warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
        with _native_stderr_silenced():  # TFLite and absl announce themselves on the first run
            self._detector = FaceDetection(model_selection=1, min_detection_confidence=min_confidence)
            self._detector.process(np.zeros((FACE_DETECTOR_SIDE,) * 2 + (3,), np.uint8))
        self._lock = threading.Lock()

    def count_faces(self, images: Sequence) -> list[int]:
        """The number of faces in each RGB PIL image (read at ``FACE_DETECTOR_SIDE`` pixels)."""
        counts = []
        for image in images:
            small = image.copy()
            small.thumbnail((FACE_DETECTOR_SIDE, FACE_DETECTOR_SIDE))
            pixels = np.ascontiguousarray(np.asarray(small.convert("RGB")))
            with self._lock:
                found = self._detector.process(pixels).detections
            counts.append(len(found or ()))
        return counts


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
