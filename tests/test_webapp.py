"""The web app's JSON API and page assets, through FastAPI's test client (real models)."""

import io
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from conftest import EXAMPLE_PHOTO
from zeroshot_tags import Tagger, TrainedTagger
from zeroshot_tags.webapp import ServedModel, ServerLimits, create_app

PHOTO = EXAMPLE_PHOTO.read_bytes()


@pytest.fixture(scope="module")
def models(default_tagger, trained_model, tmp_path_factory):
    custom = tmp_path_factory.mktemp("custom") / "hashtags.txt"
    return [ServedModel("zero-shot", "zero-shot (ConSE)", Tagger(default_tagger.backbone, custom_hashtags=custom)),
            ServedModel("scenes", "trained: scenes.pt", TrainedTagger(trained_model))]


@pytest.fixture(scope="module")
def client(models):
    return TestClient(create_app(models))


def ask(client, photo=PHOTO, **fields):
    files = {"image": ("photo.jpg", photo, "image/jpeg")} if photo is not None else None
    return client.post("/api/suggest", files=files, data=fields)


def hashtags(response):
    return [s["hashtag"] for s in response.json()["suggestions"]]


def test_the_page_and_its_assets_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/static/app.js"' in page.text
    for asset in ("app.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200
    for asset in resources.files("zeroshot_tags").joinpath("static").iterdir():
        assert "https://" not in asset.read_text("utf-8") and "http://" not in asset.read_text("utf-8")


def test_the_json_api_is_described_by_openapi_without_cdn_pages(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/suggest", "/api/models", "/api/hashtags"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 404


def test_models_lists_zero_shot_first_then_the_trained_one(client):
    assert [(m["id"], m["zero_shot"]) for m in client.get("/api/models").json()] == [
        ("zero-shot", True), ("scenes", False)]


def test_an_uploaded_photo_gets_scored_hashtags_from_the_chosen_model(client):
    response = ask(client, top="5")
    assert response.status_code == 200
    answer = response.json()
    assert answer["model"] == "zero-shot" and answer["model_name"] == "zero-shot (ConSE)"
    assert "#espresso" in hashtags(response) and len(answer["suggestions"]) == 5
    trained = ask(client, model="scenes", top="2")
    assert trained.json()["model_name"] == "trained: scenes.pt"
    assert set(hashtags(trained)) == {"#forest", "#sea"}


def test_accepted_hashtags_refine_the_list_and_are_not_repeated(client):
    first = hashtags(ask(client, top="5"))
    refined = ask(client, top="5", accepted=first[:2])
    assert refined.json()["accepted"] == first[:2]
    assert not set(first[:2]) & set(hashtags(refined))


def test_a_caption_changes_the_suggestions(client):
    assert "#beach" in hashtags(ask(client, top="5", caption="a lazy morning at the beach", caption_weight="2"))


def test_custom_hashtags_are_added_listed_and_suggested(client, models):
    added = client.post("/api/hashtags", json={"entries": ["espresso shot: #espressoshot"]})
    assert added.status_code == 200 and added.json() == {"hashtags": ["#espressoshot"]}
    assert client.get("/api/hashtags").json() == {"hashtags": ["#espressoshot"]}
    assert "#espressoshot" in hashtags(ask(client, top="10"))
    assert "espressoshot" in models[0].tagger.custom_file.read_text()


@pytest.mark.parametrize("fields, status, words", [
    ({"model": "nope"}, 404, "no model 'nope'"),
    ({"top": "0"}, 422, ""),
    ({"accepted": "#"}, 400, "after '#'"),
])
def test_bad_requests_get_clear_errors(client, fields, status, words):
    response = ask(client, **fields)
    assert response.status_code == status and words in str(response.json()["detail"])


def test_a_file_that_is_not_an_image_is_refused_in_one_line(client):
    response = ask(client, photo=b"%PDF-1.4 not a photo")
    assert response.status_code == 400
    assert "not an image" in response.json()["detail"] and "\n" not in response.json()["detail"]


def test_no_photo_at_all_is_refused(client):
    response = ask(client, photo=None, caption="only words")
    assert response.status_code == 400 and "give a photo" in response.json()["detail"]


def test_uploads_over_the_byte_or_pixel_limits_are_refused(models):
    small = TestClient(create_app(models, ServerLimits(max_upload_bytes=20_000, max_pixels=100_000)))
    assert ask(small).status_code == 413  # the example photo is about 60 kB
    tiny = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 120, 40)).save(tiny, "PNG")  # 120,000 pixels, 1 kB
    too_many = ask(small, photo=tiny.getvalue())
    assert too_many.status_code == 400 and "100,000 pixels" in too_many.json()["detail"]


def test_urls_on_loopback_are_refused_unless_allowed(client, models, image_server):
    refused = ask(client, photo=None, url=f"{image_server}/photo.jpg")
    assert refused.status_code == 400 and "loopback" in refused.json()["detail"]
    assert "private" in ask(client, photo=None, url="http://192.168.1.1/x.jpg").json()["detail"]
    home = TestClient(create_app(models, ServerLimits(allow_private_urls=True)))
    assert "#espresso" in hashtags(ask(home, photo=None, url=f"{image_server}/photo.jpg"))
    missing = ask(home, photo=None, url=f"{image_server}/missing.jpg")
    assert missing.status_code == 400 and "404" in missing.json()["detail"]


def test_concurrent_requests_share_the_models_safely(client):
    expected = hashtags(ask(client, top="5"))
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda model: ask(client, top="5", model=model),
                                ["zero-shot", "scenes"] * 4))
    assert all(a.status_code == 200 for a in answers)
    assert all(hashtags(a) == expected for a in answers[::2])
    assert ask(client, top="5").status_code == 200  # and the app still answers
