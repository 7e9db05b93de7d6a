"""Hashtag models learned from posts' hashtag lists, and the suggestions they give a tagger."""

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE_PHOTO
from zeroshot_tags import ModelError, Tagger
from zeroshot_tags.cli.main import main
from zeroshot_tags.posts.hashtag_model import HashtagModel, caption_hashtags, line_hashtags, load_hashtag_model
from zeroshot_tags.posts.instagram_export import export_captions, repaired
from zeroshot_tags.posts.expansion import HashtagExpansion

POSTS = [["#dog", "#cute", "#puppy"], ["#dog", "#cute"], ["#dog", "#park"], ["#cat", "#cute"],
         ["#Dog", "#instagood"], ["#rare"]]


def test_learning_counts_posts_and_pairs_and_leaves_out_rare_hashtags():
    model = HashtagModel.learn(POSTS, min_count=2)
    assert model.hashtags == ("#cute", "#dog") and model.posts == 6
    assert model.counts.tolist() == [3, 4]
    assert model.together.toarray().tolist() == [[0, 2], [2, 0]]
    np.testing.assert_allclose(model.log_prior(), np.log([3 / 6, 4 / 6]))


def test_conditional_is_the_share_of_a_hashtags_posts_that_use_the_other():
    model = HashtagModel.learn(POSTS * 3, min_count=1)
    conditional = model.conditional().toarray()
    column = {tag: k for k, tag in enumerate(model.hashtags)}
    # #dog is on 12 of the 18 posts, with #puppy on 3 of them; #puppy's 3 all have #dog
    assert conditional[column["#dog"], column["#puppy"]] == pytest.approx(3 / 12)
    assert conditional[column["#puppy"], column["#dog"]] == pytest.approx(1.0)
    assert conditional[column["#dog"], column["#cat"]] == 0  # never together


def test_hashtags_are_read_from_captions_or_plain_lists():
    assert line_hashtags("Morning walk with my #dog! #Cute_dogs #") == ["#dog", "#Cute_dogs"]
    assert line_hashtags("sea love trip") == ["sea", "love", "trip"]
    assert caption_hashtags("a caption without any") == []


def test_a_saved_model_loads_back_the_same(tmp_path):
    model = HashtagModel.learn(POSTS, min_count=1)
    model.save(tmp_path / "mine.npz")
    loaded = HashtagModel.load(tmp_path / "mine.npz")
    assert loaded.hashtags == model.hashtags and loaded.posts == model.posts
    np.testing.assert_array_equal(loaded.counts, model.counts)
    np.testing.assert_array_equal(loaded.together.toarray(), model.together.toarray())


@pytest.mark.parametrize("content", [b"", b"not a model", b"PK\x03\x04 truncated zip"])
def test_a_damaged_model_file_is_one_line(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ModelError) as error:
        HashtagModel.load(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_a_model_file_holding_pickled_objects_is_refused_unread(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, format=np.int64(1), hashtags=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ModelError):
        HashtagModel.load(path)


def test_the_shipped_harrison_model():
    model = load_hashtag_model("harrison")
    assert model.posts == 57383 and len(model.hashtags) > 900
    assert {"#love", "#selfie", "#instagood", "#dog"} <= set(model.hashtags)


def test_seeds_follow_relevance_and_the_prior_tilts_them_to_popular_hashtags():
    model = HashtagModel.learn(POSTS * 3, min_count=1)
    expansion = HashtagExpansion.create(model, ["#puppy", "#cute", "#dog", "#unknown"], "#selfie")
    relevance = np.array([0.9, 0.5, 0.4, 0.3])
    seeds = expansion.seeds(relevance, temperature=0.1, prior_weight=0.0)
    assert seeds.sum() == pytest.approx(1.0) and list(np.argsort(-seeds)) == [0, 1, 2, 3]
    assert np.argmax(expansion.seeds(relevance, temperature=1.0, prior_weight=3.0)) == 2  # #dog: most used
    assert expansion.log_prior[3] == expansion.log_prior.min()  # unknown to the model: the rarest's
    assert expansion.people is None  # no #selfie among the candidates: a face changes nothing
    np.testing.assert_array_equal(expansion.seeds(relevance, 0.1, 0.0, people_weight=0.5), seeds)


def test_cooccurrence_brings_in_the_hashtag_posted_with_the_relevant_one():
    model = HashtagModel.learn([["#coffee", "#coffeetime"]] * 5 + [["#beach"]] * 5, min_count=1)
    expansion = HashtagExpansion.create(model, ["#coffee", "#beach", "#coffeetime", "#sea"], "#selfie")
    relevance = np.array([0.9, 0.2, -0.1, 0.1])
    plain = expansion.scores(relevance, 0.1, 0.0, cooccurrence_weight=0.0)
    assert plain[2] < plain[1]  # by relevance alone, #coffeetime is below #beach
    expanded = expansion.scores(relevance, 0.1, 0.0, cooccurrence_weight=1.0)
    assert expanded[2] > expanded[1] and np.argmax(expanded) == 0


def test_following_gives_the_share_of_a_candidates_posts_that_carry_each_other():
    model = HashtagModel.learn(POSTS, min_count=1)
    expansion = HashtagExpansion.create(model, ["#cute", "#dog", "#unknown", "#puppy", "#cat"], "#selfie")
    dog = expansion.following(1)
    assert dog.dtype == np.float32
    np.testing.assert_allclose(dog, [0.5, 0.0, 0.0, 0.25, 0.0])  # 4 posts of #dog: 2 with #cute, 1 with #puppy
    np.testing.assert_allclose(expansion.following(2), np.zeros(5))  # a hashtag the model does not know


def test_a_face_moves_its_share_of_the_seeds_to_the_people_hashtag():
    model = HashtagModel.learn([["#selfie", "#me"]] * 5 + [["#shirt"]] * 5, min_count=1)
    expansion = HashtagExpansion.create(model, ["#shirt", "#selfie", "#me"], "#selfie")
    relevance = np.array([0.9, 0.1, 0.0])
    without = expansion.scores(relevance, 0.1, 0.0, 1.0)
    with_face = expansion.scores(relevance, 0.1, 0.0, 1.0, people_weight=0.6)
    assert np.argmax(without) == 0 and np.argmax(with_face) == 1
    assert with_face[2] > without[2]  # #me comes with #selfie
    assert expansion.seeds(relevance, 0.1, 0.0, people_weight=0.6)[1] >= 0.6


@pytest.mark.slow
def test_the_default_uses_the_shipped_model_with_the_builtin_vocabulary_only(default_tagger):
    assert default_tagger.config.hashtag_model == "auto" and default_tagger.hashtag_model is not None
    plain = Tagger(default_tagger.backbone, hashtag_model=None)
    assert plain.hashtag_model is None and len(plain.vocabulary.entries) < len(default_tagger.vocabulary.entries)
    words = ["espresso", "beach", "dog"]
    closed = Tagger(default_tagger.backbone, vocabulary=words)
    assert closed.hashtag_model is None  # a vocabulary the user gave is ranked by relevance alone
    named = Tagger(default_tagger.backbone, vocabulary=words, hashtag_model=None)
    assert [s.hashtag for s in closed.suggest(EXAMPLE_PHOTO, top=3)] == \
        [s.hashtag for s in named.suggest(EXAMPLE_PHOTO, top=3)]
    narrowed = default_tagger.with_vocabulary(words)
    assert narrowed.hashtag_model is None and len(narrowed.vocabulary.entries) == 3


@pytest.mark.slow
def test_a_hashtag_model_suggests_what_goes_with_the_content_and_weights_change_it(default_tagger):
    plain = [s.hashtag for s in Tagger(default_tagger.backbone, hashtag_model=None).suggest(EXAMPLE_PHOTO, top=5)]
    modelled = Tagger(default_tagger.backbone, hashtag_model="harrison", people=False, spread_weight=0.0)
    suggested = modelled.suggest(EXAMPLE_PHOTO, top=30)
    hashtags = [s.hashtag for s in suggested]
    assert hashtags[0] in plain[:2]  # the content's own hashtag comes first
    assert len(set(hashtags)) == 30 and "#coffee" in hashtags and set(hashtags) - set(plain)
    assert all(a.score >= b.score for a, b in zip(suggested, suggested[1:]))
    tilted = Tagger.from_config(dataclasses.replace(modelled.config, prior_weight=3.0))
    assert [s.hashtag for s in tilted.suggest(EXAMPLE_PHOTO, top=5)] != hashtags[:5]


@pytest.mark.slow
def test_a_spread_list_holds_back_the_hashtags_posted_with_those_before_them(default_tagger):
    by_score = Tagger(default_tagger.backbone, people=False, spread_weight=0.0, related_weight=0.0)
    spread = Tagger(default_tagger.backbone, people=False, spread_weight=0.75, related_weight=0.0)
    expansion = by_score._hashtag_expansion(by_score.space)
    row = {entry.hashtags[0]: k for k, entry in enumerate(by_score.space.vocabulary.entries)}

    def posted_together(suggestions) -> float:
        """How often, by the model, each hashtag comes with one listed before it."""
        rows = [row[s.hashtag] for s in suggestions]
        return sum(expansion.following(earlier)[later] for n, later in enumerate(rows) for earlier in rows[:n])
    plain, spread_out = by_score.suggest(EXAMPLE_PHOTO, top=10), spread.suggest(EXAMPLE_PHOTO, top=10)
    assert plain[0] == spread_out[0] and plain != spread_out
    assert posted_together(spread_out) < posted_together(plain)


@pytest.mark.slow
def test_zstags_learns_a_model_from_captions_and_suggests_with_it(tmp_path):
    posts = tmp_path / "posts.txt"
    posts.write_text("\n".join(["my #coffee this morning #morningritual #latte"] * 6 + ["#beach day"] * 6))
    runner = CliRunner()
    learned = runner.invoke(main, ["hashtags", "learn", str(posts), "--out", str(tmp_path / "me.npz")])
    assert learned.exit_code == 0, learned.output
    assert "4 hashtags used by at least 5 of 12 posts" in learned.output
    result = runner.invoke(main, ["suggest", str(EXAMPLE_PHOTO), "--top", "5", "--hashtag-model",
                                  str(tmp_path / "me.npz"), "--cooccurrence-weight", "2"])
    assert result.exit_code == 0, result.output
    assert "#morningritual" in result.output.split()
    missing = runner.invoke(main, ["suggest", str(EXAMPLE_PHOTO), "--hashtag-model", str(tmp_path / "none.npz")])
    assert missing.exit_code == 1 and len(missing.output.strip().splitlines()) == 1


def instagram_export(root, captions_by_post) -> None:
    """An export laid out as Instagram's "Download your information" (JSON) writes it: a
    ``posts_1.json`` list of posts whose text is UTF-8 read as Latin-1, escaped as ASCII."""
    posts = []
    for number, captions in enumerate(captions_by_post):
        garbled = [caption.encode("utf-8").decode("latin-1") for caption in captions]
        media = [{"uri": f"media/posts/202401/{number}_{k}.jpg", "creation_timestamp": 1704067200 + number,
                  "title": garbled[0] if len(captions) == 1 else ""} for k in range(len(captions))]
        posts.append({"media": media, **({"title": garbled[0]} if len(captions) > 1 else {})})
    content = root / "your_instagram_activity" / "content"
    content.mkdir(parents=True)
    (content / "posts_1.json").write_text(json.dumps(posts))  # ensure_ascii: \u00c3\u00a9 as Instagram


def test_an_instagram_export_is_read_with_its_text_repaired(tmp_path):
    instagram_export(tmp_path, [["Café au lait ☕ #café #morning"], ["Two photos #beach #sea", "#ignored"],
                                ["no hashtags here"]])
    assert export_captions(tmp_path) == ["Café au lait ☕ #café #morning", "Two photos #beach #sea",
                                         "no hashtags here"]
    assert repaired("already fine: café") == "already fine: café"


def test_zstags_learns_from_an_instagram_export(tmp_path):
    instagram_export(tmp_path / "export", [["Coffee time #café #morning"]] * 3 + [["#beach #sea day"]] * 3)
    result = CliRunner().invoke(main, ["hashtags", "learn", str(tmp_path / "export"), "--out",
                                       str(tmp_path / "me.npz"), "--min-count", "3"])
    assert result.exit_code == 0, result.output
    assert HashtagModel.load(tmp_path / "me.npz").hashtags == ("#beach", "#café", "#morning", "#sea")


@pytest.mark.parametrize("content", ["{}", "[1, 2]", "not json"])
def test_a_posts_file_that_is_not_an_export_is_one_line(tmp_path, content):
    (tmp_path / "posts_1.json").write_text(content)
    result = CliRunner().invoke(main, ["hashtags", "learn", str(tmp_path / "posts_1.json"), "--out",
                                       str(tmp_path / "me.npz")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "not an Instagram export" in result.output or "no hashtag" in result.output
