"""The web app's JSON API and page assets, through FastAPI's test client (real models)."""

import io
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from conftest import EXAMPLE_PHOTO
from zeroshot_tags import Tagger, TrainedTagger
from zeroshot_tags.config import ServerLimits, TaggerConfig
from zeroshot_tags.web.app import ServedModel, create_app

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
    for asset in resources.files("zeroshot_tags.web").joinpath("static").iterdir():
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


@pytest.fixture
def own_app(default_tagger, tmp_path):
    """A client of an app whose zero-shot tagger keeps its custom hashtags in tmp_path."""
    tagger = Tagger(default_tagger.backbone, custom_hashtags=tmp_path / "mine.txt")
    return TestClient(create_app([ServedModel("zero-shot", "zero-shot (ConSE)", tagger)])), tagger


def one_line_detail(response) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail, detail
    return detail


@pytest.mark.parametrize("body, status, words", [
    ({"entries": [": #"]}, 422, "not a hashtag"),
    ({"entries": ["#fine", "#"]}, 422, "not a hashtag"),
    ({"entries": ["!!"]}, 422, "no letter or digit"),
    ({"entries": [f"#tag{i}" for i in range(101)]}, 413, "at most 100 at a time"),
    ({"entries": [f"#tag{i}" for i in range(100_000)]}, 413, "100,000 entries"),
    ({"entries": ["#" + "x" * 200]}, 422, "at most 200"),
    ({"entries": "#notalist"}, 422, "entries"),
    ({"entries": [3]}, 422, "entries.0"),
    ({}, 422, "entries"),
])
def test_bad_hashtag_entries_get_a_one_line_4xx_and_change_nothing(own_app, body, status, words):
    client, tagger = own_app
    space = tagger.space
    response = client.post("/api/hashtags", json=body)
    assert response.status_code == status and words in one_line_detail(response)
    assert not tagger.custom_file.exists() and tagger.space is space


def test_other_validation_errors_are_one_line_too(client):
    response = ask(client, top="0")
    assert response.status_code == 422 and one_line_detail(response).startswith("top: ")


def test_the_app_works_with_a_bad_line_in_the_custom_file(default_tagger, tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    mine.write_text(": #\n", encoding="utf-8")
    client = TestClient(create_app([ServedModel("zero-shot", "zero-shot (ConSE)",
                                                Tagger(default_tagger.backbone, custom_hashtags=mine))]))
    assert f"{mine}:1:" in caplog.text
    mine.write_text(": #\nbeach life: #beachlife\n#\n", encoding="utf-8")  # a hand edit meanwhile
    assert client.get("/api/hashtags").json() == {"hashtags": ["#beachlife"]}
    assert f"{mine}:3:" in caplog.text
    assert ask(client, top="3").status_code == 200
    added = client.post("/api/hashtags", json={"entries": ["#goldenhour"]})
    assert added.status_code == 200 and mine.read_text(encoding="utf-8") == (
        "beach life: #beachlife\ngoldenhour: #goldenhour\n")


def test_twenty_concurrent_adds_all_land_in_the_file_and_the_tagger(own_app, caplog):
    client, tagger = own_app
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda n: client.post("/api/hashtags", json={"entries": [f"api entry {n}: #apientry{n}"]}),
                                range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    expected = {f"#apientry{n}" for n in range(20)}
    assert set(client.get("/api/hashtags").json()["hashtags"]) == expected
    assert expected <= {entry.hashtags[0] for entry in tagger.space.vocabulary.entries}
    assert "skipped" not in caplog.text


def test_suggestions_are_answered_while_the_largest_add_embeds(own_app, monkeypatch):
    import threading

    from zeroshot_tags.tagging import tagger as tagger_module
    from zeroshot_tags.vocabulary.custom import MAX_ENTRIES_PER_ADD

    client, tagger = own_app
    embedding, answered = threading.Event(), threading.Event()
    embed = tagger_module.embed_into_space

    def embed_once_a_suggestion_is_answered(*args, **kwargs):
        embedding.set()
        answered.wait(30)  # were the model's lock held by the add, the suggestion would wait out this
        return embed(*args, **kwargs)

    monkeypatch.setattr(tagger_module, "embed_into_space", embed_once_a_suggestion_is_answered)
    entries = [f"test phrase {n}: #zstagstest{n}" for n in range(MAX_ENTRIES_PER_ADD)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        adding = pool.submit(client.post, "/api/hashtags", json={"entries": entries})
        assert embedding.wait(60)
        suggestion = ask(client, top="5")
        answered_during_the_add = not adding.done()
        answered.set()
        added = adding.result(timeout=120)
    assert suggestion.status_code == 200 and "#espresso" in hashtags(suggestion)
    assert answered_during_the_add
    assert added.status_code == 200 and len(added.json()["hashtags"]) == MAX_ENTRIES_PER_ADD
    assert "#zstagstest0" in {entry.hashtags[0] for entry in tagger.space.vocabulary.entries}


# Memory: photos decoded at their network's size, a few requests at a time (issue 10, item 2)

def test_the_served_models_decode_photos_at_their_networks_size(models, monkeypatch):
    import zeroshot_tags.web.app as webapp

    asked = []
    load = webapp.load_image
    monkeypatch.setattr(webapp, "load_image", lambda *args: asked.append(args[2]) or load(*args))
    client = TestClient(create_app(models))
    for model in ("zero-shot", "scenes"):
        assert ask(client, model=model).status_code == 200
    assert asked == [256, 256]  # both EfficientNet-Lite0: shorter side resized to 256


@pytest.mark.parametrize("at_once", [1, 2])
def test_photos_are_read_decoded_and_tagged_a_few_at_a_time(models, monkeypatch, at_once):
    import threading
    import time

    import zeroshot_tags.web.app as webapp

    lock, inside, most = threading.Lock(), [0], [0]
    load = webapp.load_image

    def slow_load(*args):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)
        with lock:
            inside[0] -= 1
        return load(*args)

    monkeypatch.setattr(webapp, "load_image", slow_load)
    client = TestClient(create_app(models, ServerLimits(max_photos_at_once=at_once)))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: ask(client, model=("zero-shot", "scenes")[n % 2]), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert most[0] == at_once


def test_at_least_one_photo_at_a_time():
    from zeroshot_tags.errors import ZeroShotTagsError

    with pytest.raises(ZeroShotTagsError, match="at least 1"):
        ServerLimits(max_photos_at_once=0)


def test_serve_passes_its_limits_on(monkeypatch):
    import uvicorn
    from click.testing import CliRunner

    import zeroshot_tags.web.app
    from zeroshot_tags.cli.main import main
    from zeroshot_tags.tagging.tagger import Tagger

    built, served = [], []
    monkeypatch.setattr(Tagger, "from_config", classmethod(lambda cls, config: config))
    monkeypatch.setattr(zeroshot_tags.web.app, "create_app", lambda models, limits: built.append((models, limits)))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    result = CliRunner().invoke(main, ["serve", "--max-photos-at-once", "3", "--max-connections", "7"])
    assert result.exit_code == 0, result.output
    models, limits = built[0]
    assert models[0].tagger == TaggerConfig()
    assert limits == ServerLimits(max_photos_at_once=3, max_connections=7)
    assert served[0]["limit_concurrency"] == 7
    assert CliRunner().invoke(main, ["serve", "--max-photos-at-once", "0"]).exit_code == 2
