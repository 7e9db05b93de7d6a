"""Finding people in real photos (the ``people`` extra: MediaPipe's face detector)."""

import pytest
from PIL import Image

from conftest import EXAMPLE_PHOTO, SHARED_DATA
from zeroshot_tags import Tagger
from zeroshot_tags.config import PEOPLE_HASHTAG

pytest.importorskip("mediapipe", reason="the people extra (mediapipe) is not installed")
from zeroshot_tags.vision.people import FaceDetector  # noqa: E402

IMAGENET = SHARED_DATA / "imagenet_sample" / "images"
WITH_FACES = ("n02669723_academic_gown.JPEG", "n03617480_kimono.JPEG", "n03450230_gown.JPEG")
WITHOUT_FACES = ("n01530575_brambling.JPEG", "n09246464_cliff.JPEG", "n07697537_hotdog.JPEG")


def photo(name: str) -> Image.Image:
    return Image.open(IMAGENET / name).convert("RGB")


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


def test_faces_are_found_in_portraits_and_not_in_a_bird_a_cliff_or_a_hot_dog(detector):
    assert all(count >= 1 for count in detector.count_faces([photo(name) for name in WITH_FACES]))
    assert detector.count_faces([photo(name) for name in WITHOUT_FACES]) == [0, 0, 0]


def test_a_huge_photo_is_read_small_and_left_unchanged(detector):
    big = photo(WITH_FACES[0]).resize((4000, 3000))
    assert detector.count_faces([big]) == [1] and big.size == (4000, 3000)


@pytest.mark.slow
def test_a_face_brings_the_people_hashtag_and_can_be_switched_off(default_tagger):
    portrait = IMAGENET / WITH_FACES[0]
    with_people = Tagger(default_tagger.backbone, people=True)
    without = Tagger(default_tagger.backbone, people=False)
    assert PEOPLE_HASHTAG in [s.hashtag for s in with_people.suggest(portrait, top=3)]
    assert PEOPLE_HASHTAG not in [s.hashtag for s in without.suggest(portrait, top=3)]
    assert with_people.count_faces([Image.open(EXAMPLE_PHOTO).convert("RGB")]) == [0]
    assert without.count_faces([photo(WITH_FACES[0])]) == [0]  # switched off: never looked for
