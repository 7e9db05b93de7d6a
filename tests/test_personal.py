"""A person's own posts: reading a history, learning a profile on real photos, suggesting with it."""

import csv
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import zstags_serve
from zeroshot_tags import ModelError, Profile, Tagger
from zeroshot_tags.cli.main import main
from zeroshot_tags.config import DEFAULT_PROFILE_SPREAD_WEIGHT, TaggerConfig
from zeroshot_tags.errors import LabelledDataError, SettingError
from zeroshot_tags.personal.history import read_history
from zeroshot_tags.personal.profile import PersonalWeights
from zeroshot_tags.tagging.blend import PersonalScores

LEARNED = 8
"""Photos of each class the profile learns from; the others of the photo folder are new."""
TAGS = {"forest": "#forest hiking #nature", "sea": "sea #waves nature"}


@pytest.fixture(scope="module")
def history(photo_folder, tmp_path_factory):
    """A CSV history of 8 forest and 8 sea photos with the hashtags their poster chose, one
    truncated photo and one missing."""
    root = tmp_path_factory.mktemp("history")
    rows = []
    for label in TAGS:
        for photo in sorted((photo_folder / label).glob("*.jpg"))[:LEARNED]:
            shutil.copy(photo, root / photo.name)
            rows.append({"file": photo.name, "tags": TAGS[label]})
    broken = sorted((photo_folder / "sea").glob("*.jpg"))[0].read_bytes()[:500]
    (root / "broken.jpg").write_bytes(broken)
    rows += [{"file": "broken.jpg", "tags": "#sea"}, {"file": "gone.jpg", "tags": "#forest"},
             {"file": "untagged.jpg", "tags": ""}]
    with open(root / "posts.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["file", "tags"])
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope="module")
def profile(history, lite0):
    skipped = []
    learned = Profile.learn(str(history), lite0.name, on_skipped=skipped.append)
    assert sorted(str(error).split(":")[0].rsplit("/", 1)[-1] for error in skipped) == ["broken.jpg", "gone.jpg"]
    return learned


def new_photos(photo_folder, label):
    return sorted((photo_folder / label).glob("*.jpg"))[LEARNED:]


def test_a_csv_history_reads_hashtags_with_or_without_hash_and_skips_untagged_rows(history):
    posts = read_history(history)  # the folder holding one CSV
    assert len(posts) == 2 * LEARNED + 2 and posts == read_history(history / "posts.csv")
    assert posts[0].hashtags == ("#forest", "#hiking", "#nature") and posts[0].photo.parent == history
    assert all(post.photo.name != "untagged.jpg" for post in posts)


def test_a_history_without_its_columns_or_with_two_csv_files_is_one_clear_error(tmp_path):
    (tmp_path / "a.csv").write_text("path,labels\nx.jpg,#a\n")
    with pytest.raises(LabelledDataError, match="file and tags"):
        read_history(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("file,tags\n")
    with pytest.raises(LabelledDataError, match="2 CSV files"):
        read_history(tmp_path)


def test_an_instagram_export_gives_each_photo_its_posts_repaired_hashtags(photo_folder, tmp_path):
    """Laid out as Instagram's JSON export: media/posts/<month>/ files, and
    your_instagram_activity/content/posts_1.json whose text is UTF-8 read as Latin-1."""
    photos = sorted((photo_folder / "forest").glob("*.jpg"))[:3]
    (tmp_path / "media" / "posts" / "202401").mkdir(parents=True)
    for photo in photos:
        shutil.copy(photo, tmp_path / "media" / "posts" / "202401" / photo.name)
    uri = [f"media/posts/202401/{photo.name}" for photo in photos]
    garbled = "Forêt ☀ #forêt #hiking".encode("utf-8").decode("latin-1")
    posts = [{"media": [{"uri": uri[0], "creation_timestamp": 1704067200, "title": garbled}]},
             {"title": "two photos #trees", "media": [{"uri": uri[1], "title": ""}, {"uri": uri[2], "title": ""}]},
             {"media": [{"uri": "../../etc/passwd", "title": "#escape"}]}]
    content = tmp_path / "your_instagram_activity" / "content"
    content.mkdir(parents=True)
    (content / "posts_1.json").write_text(json.dumps(posts))
    read = read_history(tmp_path)
    assert [(post.photo.name, post.hashtags) for post in read] == [
        (photos[0].name, ("#forêt", "#hiking")), (photos[1].name, ("#trees",)), (photos[2].name, ("#trees",))]
    assert read == read_history(content / "posts_1.json")


def test_each_personal_model_and_the_profile_tell_forest_from_sea(profile, photo_folder):
    assert profile.hashtags == ("#forest", "#hiking", "#nature", "#sea", "#waves")
    assert len(profile.features) == 2 * LEARNED
    from zeroshot_tags.vision.features import FeatureExtractor
    from zeroshot_tags.vision.backbones import load_backbone

    extractor = FeatureExtractor(load_backbone(profile.backbone))
    forest = extractor.features(new_photos(photo_folder, "forest")).numpy()
    sea = extractor.features(new_photos(photo_folder, "sea")).numpy()
    column = {tag: k for k, tag in enumerate(profile.hashtags)}
    for weights in (PersonalWeights(1, 0, 0), PersonalWeights(0, 1, 0), PersonalWeights(0, 0, 1), PersonalWeights()):
        on_forest, on_sea = profile.scores(forest, weights), profile.scores(sea, weights)
        assert on_forest[:, column["#forest"]].mean() > on_forest[:, column["#sea"]].mean(), weights
        assert on_sea[:, column["#waves"]].mean() > on_sea[:, column["#hiking"]].mean(), weights


def test_a_saved_profile_loads_back_the_same_and_a_damaged_one_is_refused(profile, tmp_path):
    path = tmp_path / "me.profile"
    profile.save(path)
    loaded = Profile.load(path)
    assert loaded.hashtags == profile.hashtags and loaded.backbone == profile.backbone
    features = np.random.default_rng(0).normal(size=(3, profile.features.shape[1])).astype(np.float32)
    np.testing.assert_allclose(loaded.scores(features), profile.scores(features), rtol=1e-6)
    (tmp_path / "cut.profile").write_bytes(path.read_bytes()[:1000])
    np.savez(tmp_path / "pickled.profile.npz", format=np.int64(1), hashtags=np.array([{"x": 1}], dtype=object))
    for damaged in (tmp_path / "cut.profile", tmp_path / "pickled.profile.npz", tmp_path / "missing.profile"):
        with pytest.raises(ModelError):
            Profile.load(damaged)


def test_a_tagger_with_a_profile_blends_the_persons_hashtags_with_zero_shot_ones(profile, lite0, photo_folder,
                                                                                tmp_path):
    path = tmp_path / "me.profile"
    profile.save(path)
    tagger = Tagger(lite0, custom_hashtags=False, profile=path)
    assert tagger.config.profile == str(path)
    assert tagger.spread_weight == DEFAULT_PROFILE_SPREAD_WEIGHT != Tagger(lite0, custom_hashtags=False).spread_weight
    for label, expected in (("forest", "#forest"), ("sea", "#sea")):
        results = [[s.hashtag for s in result] for result in tagger.suggest(new_photos(photo_folder, label), top=10)]
        assert all(hashtags[0] in profile.hashtags and len(set(hashtags)) == 10 for hashtags in results)
        assert all(set(hashtags) - set(profile.hashtags) for hashtags in results)  # and hashtags never used
        assert any(expected in hashtags[:3] for hashtags in results)
    alone = Tagger(lite0, custom_hashtags=False, profile=path, personal_weight=1.0, neighbour_weight=1.0,
                   factor_weight=0, head_weight=0, own_cooccurrence_weight=0, coverage_weight=0)
    voted = [s.hashtag for s in alone.suggest(new_photos(photo_folder, "sea")[0], top=5) if s.score > 0]
    assert {"#sea", "#waves"} <= set(voted) <= set(profile.hashtags) and "#forest" not in voted


def test_a_profile_of_another_backbone_is_refused(profile, tmp_path):
    path = tmp_path / "other.profile"
    Profile(**{**{f: getattr(profile, f) for f in ("hashtags", "features", "tags", "photo_factors",
                                                  "hashtag_factors", "head")}, "backbone": "resnet18"}).save(path)
    with pytest.raises(SettingError, match="resnet18"):
        Tagger(custom_hashtags=False, profile=path)


def test_zstags_learn_reports_unreadable_photos_and_suggest_uses_the_profile(history, photo_folder, tmp_path):
    runner = CliRunner()
    out = tmp_path / "me.profile"
    learned = runner.invoke(main, ["learn", str(history), "--out", str(out)])
    assert learned.exit_code == 1  # two photos left out, the profile still written
    lines = learned.output.splitlines()
    assert sum("photo left out" in line for line in lines) == 2
    assert any(line.startswith("head epoch 1: loss") for line in lines)
    assert lines[-1] == f"{out}: 5 hashtags of {2 * LEARNED} photos"
    suggested = runner.invoke(main, ["suggest", str(new_photos(photo_folder, "sea")[0]), "--profile", str(out),
                                     "--personal-weight", "0.9", "--top", "3"])
    assert suggested.exit_code == 0, suggested.output
    assert "#sea" in suggested.output.split()
    missing = runner.invoke(main, ["learn", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.profile")])
    assert missing.exit_code == 1 and len(missing.output.strip().splitlines()) == 1


def test_zstags_serve_offers_a_profile_in_its_model_menu(profile, photo_folder, session_cache, tmp_path):
    import requests

    path = tmp_path / "me.profile"
    profile.save(path)
    with zstags_serve(tmp_path / "serve.log", session_cache, "--profile", str(path)) as server:
        models = requests.get(f"{server.url}/api/models", timeout=30).json()
        assert [m["id"] for m in models] == ["zero-shot", "profile-me"] and "5 hashtags" in models[1]["name"]
        photo = new_photos(photo_folder, "sea")[0]
        answer = requests.post(f"{server.url}/api/suggest", data={"model": "profile-me"}, timeout=120,
                               files={"image": (photo.name, photo.read_bytes(), "image/jpeg")})
    assert answer.status_code == 200, answer.text
    assert {s["hashtag"] for s in answer.json()["suggestions"]} & set(profile.hashtags)


def test_the_persons_own_posts_carry_the_zero_shot_seeds_to_the_hashtags_they_post_with_them(
        profile, lite0, photo_folder, tmp_path):
    column = {tag: k for k, tag in enumerate(profile.hashtags)}
    on_sea = np.zeros(len(profile.hashtags), np.float32)
    on_sea[column["#sea"]] = 1.0
    together = profile.cooccurring(on_sea)
    assert together[column["#sea"]] == together[column["#waves"]] == together[column["#nature"]] == 1.0
    assert together[column["#forest"]] == together[column["#hiking"]] == 0.0
    path = tmp_path / "me.profile"
    profile.save(path)
    only_cooccurrence = Tagger(lite0, custom_hashtags=False, profile=path, personal_weight=1.0, neighbour_weight=0,
                               factor_weight=0, head_weight=0, own_cooccurrence_weight=1.0, coverage_weight=0)
    for result in only_cooccurrence.suggest(new_photos(photo_folder, "sea") + new_photos(photo_folder, "forest"),
                                            top=30):
        score = {s.hashtag: s.score for s in result}  # the person always posts these two together
        assert score["#sea"] == pytest.approx(score["#waves"]) and score["#sea"] > 0
        assert score["#forest"] == pytest.approx(score["#hiking"]) and score["#forest"] > 0


def test_the_nearest_posts_share_a_hashtag_with_another_as_they_vote(profile, photo_folder):
    from zeroshot_tags.personal.neighbours import neighbour_votes
    from zeroshot_tags.vision.backbones import load_backbone
    from zeroshot_tags.vision.features import FeatureExtractor

    sea = FeatureExtractor(load_backbone(profile.backbone)).features(new_photos(photo_folder, "sea")[:1]).numpy()
    near = profile.nearest(sea, 2 * LEARNED)  # every photo of the person, weighted by similarity
    assert near.nnz == 2 * LEARNED and profile.nearest(sea, 3).nnz == 3
    column = {tag: k for k, tag in enumerate(profile.hashtags)}
    votes = neighbour_votes(near, profile.tags)[0]
    scores = PersonalScores(profile, profile.scores(sea, near=near)[0], near[0])
    np.testing.assert_allclose(scores.shared(column["#nature"]), votes, rtol=1e-6)  # on every post
    on_sea = scores.shared(column["#sea"])
    assert on_sea[column["#forest"]] == on_sea[column["#hiking"]] == 0.0
    np.testing.assert_allclose(on_sea[[column["#waves"], column["#nature"]]], votes[column["#sea"]], rtol=1e-6)


def test_coverage_turns_the_list_from_what_the_nearest_posts_all_carry(profile, lite0, photo_folder, tmp_path):
    """The person's sea posts all carry #sea, #waves and #nature, and a new sea photo's nearest
    posts are sea posts: once #sea is listed, coverage takes back the other two, and the
    zero-shot side goes on."""
    path = tmp_path / "me.profile"
    profile.save(path)
    settings = dict(custom_hashtags=False, profile=path, personal_weight=0.5, neighbour_weight=1.0, factor_weight=0,
                    head_weight=0, own_cooccurrence_weight=0, neighbours=2 * LEARNED)
    photo = new_photos(photo_folder, "sea")[0]
    plain = [s.hashtag for s in Tagger(lite0, coverage_weight=0.0, **settings).suggest(photo, top=3)]
    covered = [s.hashtag for s in Tagger(lite0, coverage_weight=1.0, **settings).suggest(photo, top=3)]
    assert plain[0] == covered[0] == "#sea" and set(plain) == {"#sea", "#waves", "#nature"}
    zero_shot = Tagger(lite0, coverage_weight=0.0, **{**settings, "personal_weight": 0.0}).suggest(photo, top=3)
    assert covered[1:] == [s.hashtag for s in zero_shot if s.hashtag != "#sea"][:2]


@pytest.mark.parametrize("setting, message", [({"coverage_weight": -0.5}, "cannot be negative"),
                                              ({"neighbours": 0}, "neighbours must be at least 1")])
def test_a_negative_coverage_or_no_neighbours_is_refused(setting, message):
    with pytest.raises(SettingError, match=message):
        TaggerConfig(**setting)
