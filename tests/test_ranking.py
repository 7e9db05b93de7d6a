"""Choosing suggestions from scored candidates: best first, exclusions, sampling from a pool."""

import numpy as np
import pytest

from zeroshot_tags.errors import ZeroShotTagsError
from zeroshot_tags.tagging.ranking import Spread, as_suggestions, choose
from zeroshot_tags.vocabulary.vocab import VocabularyEntry

IDS = np.array([7, 3, 5, 1])
SCORES = np.array([0.9, 0.8, 0.8, 0.1], dtype=np.float32)
HASHTAGS = ["#a", "#b", "#c", "#d"]


def test_the_best_come_first_and_equal_scores_keep_their_order():
    assert [i for i, _ in choose(IDS, SCORES, HASHTAGS, 3)] == [7, 3, 5]
    assert [i for i, _ in choose(IDS[::-1], SCORES[::-1], HASHTAGS[::-1], 3)] == [7, 5, 3]


def test_excluded_hashtags_are_left_out():
    assert [i for i, _ in choose(IDS, SCORES, HASHTAGS, 2, exclude=("#a", "#c"))] == [3, 1]
    assert choose(IDS, SCORES, HASHTAGS, 2, exclude=tuple(HASHTAGS)) == []


def test_sampling_draws_from_the_pool_repeatably_and_lists_best_first():
    draws = [choose(IDS, SCORES, HASHTAGS, 2, np.random.default_rng(seed), pool=3) for seed in range(50)]
    assert all({i for i, _ in draw} <= {7, 3, 5} for draw in draws)
    assert all(draw[0][1] >= draw[1][1] for draw in draws)
    assert len({tuple(draw) for draw in draws}) > 1
    assert choose(IDS, SCORES, HASHTAGS, 2, np.random.default_rng(0), pool=3) == draws[0]


def test_sampling_follows_given_weights():
    probabilities = np.array([0.3, 0.7])
    draws = [choose(np.arange(2), probabilities, ["#x", "#y"], 1, np.random.default_rng(seed),
                    weights=probabilities)[0][0] for seed in range(400)]
    assert 0.6 < draws.count(1) / len(draws) < 0.8


def test_a_spread_holds_back_what_is_posted_with_the_picks_before_it():
    always_with_a = {0: np.array([0.0, 1.0, 0.0, 0.0])}  # #b is on every post #a is on
    follows = lambda k: always_with_a.get(k, np.zeros(4))
    assert choose(IDS, SCORES, HASHTAGS, 3, spread=Spread(1.0, follows)) == [
        (7, pytest.approx(0.9)), (5, pytest.approx(0.8)), (1, pytest.approx(0.1))]  # scores stay the candidates'
    assert [i for i, _ in choose(IDS, SCORES, HASHTAGS, 3, spread=Spread(0.5, follows))] == [7, 5, 3]
    assert choose(IDS, SCORES, HASHTAGS, 3, spread=Spread(0.0, follows)) == choose(IDS, SCORES, HASHTAGS, 3)
    assert [i for i, _ in choose(IDS, SCORES, HASHTAGS, 3, exclude=("#c",), spread=Spread(1.0, follows))] == [7, 1, 3]
    sampled = choose(IDS, SCORES, HASHTAGS, 2, np.random.default_rng(0), pool=3, spread=Spread(1.0, follows))
    assert sampled == choose(IDS, SCORES, HASHTAGS, 2, np.random.default_rng(0), pool=3)  # a draw ignores it


def test_coverage_takes_back_what_the_nearest_posts_carry_with_the_picks():
    with_a = {0: np.array([0.6, 0.5, 0.0, 0.0])}  # half the nearest posts' weight carries #a and #b
    shared = lambda k: with_a.get(k, np.zeros(4))
    covered = Spread(0.0, lambda k: np.zeros(4), coverage_weight=1.0, shared=shared)
    assert choose(IDS, SCORES, HASHTAGS, 3, spread=covered) == [
        (7, pytest.approx(0.9)), (5, pytest.approx(0.8)), (3, pytest.approx(0.8))]  # #b: 0.8 - 0.5 < #c
    assert [i for i, _ in choose(IDS, SCORES, HASHTAGS, 4, spread=covered)] == [7, 5, 3, 1]
    unshared = Spread(0.0, lambda k: np.zeros(4), coverage_weight=1.0)
    for plain in (unshared, Spread(0.0, lambda k: np.zeros(4), coverage_weight=0.0, shared=shared)):
        assert not plain.active and choose(IDS, SCORES, HASHTAGS, 3, spread=plain) == choose(IDS, SCORES, HASHTAGS, 3)


def test_top_below_one_is_refused():
    with pytest.raises(ZeroShotTagsError, match="at least 1"):
        choose(IDS, SCORES, HASHTAGS, 0)


def test_chosen_entries_become_suggestions():
    entries = [VocabularyEntry("sea", ("#sea", "#ocean")), VocabularyEntry("sky", ("#sky",))]
    [suggestion] = as_suggestions(entries, [(0, 0.5)])
    assert (suggestion.hashtag, suggestion.word, suggestion.score, suggestion.related) == (
        "#sea", "sea", 0.5, ("#ocean",))
