"""An entry's related hashtags as suggestions of their own, following their entry."""

import numpy as np
import pytest

from conftest import EXAMPLE_PHOTO
from zeroshot_tags import SettingError, Tagger
from zeroshot_tags.config import TaggerConfig
from zeroshot_tags.tagging.related import RelatedCandidates
from zeroshot_tags.vocabulary.vocab import VocabularyEntry

ENTRIES = [VocabularyEntry("car", ("#car", "#cars", "#carsofinstagram")),
           VocabularyEntry("dog", ("#dog", "#dogs", "#cars")),
           VocabularyEntry("cars", ("#cars",))]  # unlikely, but a hashtag may be listed twice


def test_candidates_are_the_entries_own_hashtags_then_the_related_ones_each_once():
    alone = RelatedCandidates.create(ENTRIES, related=False)
    assert alone.hashtags == ("#car", "#dog", "#cars") and alone.entry.tolist() == [0, 1, 2]
    related = RelatedCandidates.create(ENTRIES, related=True)
    assert related.hashtags == ("#car", "#dog", "#cars", "#dogs", "#carsofinstagram")
    assert related.entry.tolist() == [0, 1, 2, 1, 0] and related.place.tolist() == [0, 0, 0, 1, 2]


def test_a_related_hashtag_scores_the_weight_to_its_place_times_its_entry():
    related = RelatedCandidates.create(ENTRIES, related=True)
    scores = related.scores(np.array([0.8, 0.4, 0.1]), 0.5)
    np.testing.assert_allclose(scores, [0.8, 0.4, 0.1, 0.4 * 0.5, 0.8 * 0.25])
    np.testing.assert_allclose(related.scores(np.array([0.8, 0.4, 0.1]), 0.0), [0.8, 0.4, 0.1, 0, 0])


def test_a_related_hashtag_follows_others_as_its_entry_does():
    related = RelatedCandidates.create(ENTRIES, related=True)
    follows = np.array([[0.0, 0.3, 0.2], [0.6, 0.0, 0.1], [0.5, 0.4, 0.0]])
    np.testing.assert_allclose(related.following(lambda entry: follows[entry])(4), [0.0, 0.3, 0.2, 0.3, 0.0])


def test_a_suggested_related_hashtag_keeps_its_entrys_word_and_lists_the_others():
    related = RelatedCandidates.create(ENTRIES, related=True)
    (suggestion,) = related.suggestions(ENTRIES, [(4, 0.2)])
    assert (suggestion.hashtag, suggestion.word, suggestion.score) == ("#carsofinstagram", "car", 0.2)
    assert suggestion.related == ("#car", "#cars")


@pytest.mark.slow
def test_related_hashtags_follow_their_entry_in_a_tagger_and_weight_0_keeps_the_entries(default_tagger):
    entries = default_tagger.vocabulary.entries
    own_hashtags = {entry.hashtags[0] for entry in entries}
    alone = Tagger(default_tagger.backbone, people=False, spread_weight=0.0, related_weight=0.0)
    assert all(s.hashtag in own_hashtags for s in alone.suggest(EXAMPLE_PHOTO, top=30))
    following = Tagger(default_tagger.backbone, people=False, spread_weight=0.0, related_weight=1.0)
    suggested = following.suggest(EXAMPLE_PHOTO, top=30)
    candidates = following._related_candidates(following.space)
    entry_of = dict(zip(candidates.hashtags, candidates.entry.tolist()))
    sizes = np.bincount(candidates.entry)
    start = next(k for k, s in enumerate(suggested) if sizes[entry_of[s.hashtag]] > 1)
    entry = entry_of[suggested[start].hashtag]  # at weight 1 its related hashtags tie with it, and follow it
    its = [tag for tag in candidates.hashtags if entry_of[tag] == entry]
    assert its[0] == entries[entry].hashtags[0] and [s.hashtag for s in suggested[start:start + len(its)]] == its
    assert {s.word for s in suggested[start:start + len(its)]} == {entries[entry].word}
    assert len({s.hashtag for s in suggested}) == 30


def test_the_related_weight_is_between_0_and_1():
    with pytest.raises(SettingError, match="related_weight"):
        TaggerConfig(related_weight=1.5)
