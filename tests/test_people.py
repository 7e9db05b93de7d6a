"""Finding people in real photos (the ``people`` extra: MediaPipe's BlazeFace run by LiteRT)."""

import numpy as np
import pytest
from PIL import Image

from conftest import EXAMPLE_PHOTO, SHARED_DATA
from zeroshot_tags import Tagger
from zeroshot_tags.config import PEOPLE_HASHTAG

pytest.importorskip("mediapipe", reason="the people extra (mediapipe) is not installed")
pytest.importorskip("ai_edge_litert", reason="the people extra (ai-edge-litert) is not installed")
from zeroshot_tags.vision.people import FaceDetector  # noqa: E402

IMAGENET = SHARED_DATA / "imagenet_sample" / "images"
WITH_FACES = ("n02669723_academic_gown.JPEG", "n03617480_kimono.JPEG", "n03450230_gown.JPEG")
WITHOUT_FACES = ("n01530575_brambling.JPEG", "n09246464_cliff.JPEG", "n07697537_hotdog.JPEG")


def photo(name: str) -> Image.Image:
    return Image.open(IMAGENET / name).convert("RGB")


def thumbnail(image: Image.Image) -> Image.Image:
    small = image.copy()
    small.thumbnail((256, 256))
    return small


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


def test_faces_are_found_in_portraits_and_not_in_a_bird_a_cliff_or_a_hot_dog(detector):
    assert all(count >= 1 for count in detector.count_faces([photo(name) for name in WITH_FACES]))
    assert detector.count_faces([photo(name) for name in WITHOUT_FACES]) == [0, 0, 0]


def test_two_portraits_side_by_side_are_two_faces_and_a_portrait_alone_one(detector):
    portrait = photo(WITH_FACES[0])
    pair = Image.new("RGB", (portrait.width * 2, portrait.height))
    pair.paste(portrait, (0, 0))
    pair.paste(portrait, (portrait.width, 0))
    assert detector.count_faces([portrait, pair]) == [1, 2]


def test_a_stricter_confidence_finds_fewer_faces(detector):
    portraits = [photo(name) for name in WITH_FACES]
    assert FaceDetector(min_confidence=0.999999).count_faces(portraits) == [0, 0, 0]
    assert detector.count_faces(portraits) != [0, 0, 0]


def test_a_huge_photo_is_read_small_and_left_unchanged(detector):
    big = photo(WITH_FACES[0]).resize((4000, 3000))
    assert detector.count_faces([big]) == [1] and big.size == (4000, 3000)


def test_it_reads_the_network_as_mediapipes_own_graph_does(detector):
    """The boxes are decoded here (anchors, threshold, suppression): on the 500 ImageNet sample
    photos, about 50 of them with faces, MediaPipe's face-detection graph around the same
    network, given each photo at 256 pixels as the previous release did, must agree on 97% of
    them (they resize differently; benchmarks/faces.py measures 490 of 500)."""
    from mediapipe.python.solutions.face_detection import FaceDetection
    graph = FaceDetection(model_selection=1)
    photos = [photo(path.name) for path in sorted(IMAGENET.glob("*"))]
    counts = detector.count_faces(photos)
    graph_counts = [len(graph.process(np.asarray(thumbnail(image))).detections or ()) for image in photos]
    assert sum(count > 0 for count in graph_counts) >= 40  # faces are among them
    assert sum((ours > 0) == (theirs > 0) for ours, theirs in zip(counts, graph_counts)) >= 485


@pytest.mark.slow
def test_a_face_brings_the_people_hashtag_and_can_be_switched_off(default_tagger):
    portrait = IMAGENET / WITH_FACES[0]
    with_people = Tagger(default_tagger.backbone, people=True)
    without = Tagger(default_tagger.backbone, people=False)
    assert PEOPLE_HASHTAG in [s.hashtag for s in with_people.suggest(portrait, top=3)]
    assert PEOPLE_HASHTAG not in [s.hashtag for s in without.suggest(portrait, top=3)]
    assert with_people.count_faces([Image.open(EXAMPLE_PHOTO).convert("RGB")]) == [0]
    assert without.count_faces([photo(WITH_FACES[0])]) == [0]  # switched off: never looked for
