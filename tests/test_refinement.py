"""Accepted hashtags, captions and custom hashtags refine zero-shot suggestions."""

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE_PHOTO
from zeroshot_tags import Tagger
from zeroshot_tags.cli.main import main
from zeroshot_tags.vocabulary.custom import read_custom_hashtags
from zeroshot_tags.errors import VocabularyError, ZeroShotTagsError
from zeroshot_tags.tagging.refinement import Refinement, refine_queries


def tags(suggestions):
    return [s.hashtag for s in suggestions]


def test_a_refinement_normalises_hashtags_and_checks_weights():
    refinement = Refinement.create(["#Beach", "sunset", "#beach"], "  a caption ")
    assert refinement.accepted == ("#beach", "#sunset") and refinement.caption == "a caption"
    assert not Refinement.create()
    with pytest.raises(ZeroShotTagsError):
        Refinement.create(caption_weight=-1)
    with pytest.raises(ZeroShotTagsError):
        Refinement.create(["#"])


def test_refined_queries_move_toward_the_pull_and_stay_unit():
    queries = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    accepted = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    moved = refine_queries(queries, accepted, None, Refinement.create(["#a"], accept_weight=2.0))
    assert np.allclose(moved, [[1.0, 1.0, 1.0]] / np.sqrt(3), atol=1e-6)
    unmoved = refine_queries(queries, accepted, np.ones(3), Refinement.create(["#a"], "x", 0.0, 0.0))
    assert np.allclose(unmoved, queries)


def test_accepted_hashtags_are_not_suggested_again(default_tagger):
    plain = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=10))
    refined = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=5, accepted=plain[:2]))
    assert len(refined) == 5 and not set(plain[:2]) & set(refined)
    assert set(refined[:3]) <= set(plain[2:])  # the rest of a coffee photo's hashtags move up


def test_an_accepted_hashtag_pulls_the_suggestions_toward_it(default_tagger):
    pulled = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=10, accepted=["#beach"], accept_weight=2))
    assert "#beach" not in pulled
    assert {"#sea", "#ocean", "#summer", "#sand", "#island", "#vacation"} & set(pulled)


def test_a_caption_joins_the_query_with_its_weight(default_tagger):
    plain = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=5))
    captioned = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=5, caption="lazy morning at the beach",
                                            caption_weight=2))
    assert "#beach" in captioned and captioned != plain
    ignored = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=5, caption="at the beach", caption_weight=0))
    assert ignored == plain


def test_an_accepted_hashtag_outside_the_vocabulary_still_pulls(default_tagger):
    refined = tags(default_tagger.suggest(EXAMPLE_PHOTO, top=5, accepted=["#surfinglife"], accept_weight=3))
    assert "#surfinglife" not in refined and refined != tags(default_tagger.suggest(EXAMPLE_PHOTO, top=5))


def test_added_hashtags_are_suggested_at_once_saved_and_loaded_by_later_taggers(default_tagger, tmp_path):
    mine = tmp_path / "mine.txt"
    tagger = Tagger(default_tagger.backbone, custom_hashtags=mine)
    added = tagger.add_hashtags(["#morningbrew", "coffee lover: #coffeelover #coffeetime"])
    assert [entry.hashtags[0] for entry in added] == ["#morningbrew", "#coffeelover"]
    extended = tags(tagger.suggest(EXAMPLE_PHOTO, top=10))
    assert "#coffeelover" in extended
    saved = read_custom_hashtags(mine)
    assert [(e.word, e.hashtags) for e in saved.entries] == [
        ("morningbrew", ("#morningbrew",)), ("coffee lover", ("#coffeelover", "#coffeetime"))]
    rebuilt = Tagger(default_tagger.backbone, custom_hashtags=mine)
    assert tags(rebuilt.suggest(EXAMPLE_PHOTO, top=10)) == extended  # in-memory = full rebuild


def test_adding_nothing_is_a_vocabulary_error(default_tagger):
    with pytest.raises(VocabularyError):
        Tagger(default_tagger.backbone, custom_hashtags=False).add_hashtags(["", "[section]"])


def test_zstags_suggest_accept_and_caption():
    runner = CliRunner()
    plain = runner.invoke(main, ["suggest", str(EXAMPLE_PHOTO), "--top", "3"])
    accepted = runner.invoke(main, ["suggest", str(EXAMPLE_PHOTO), "--top", "3",
                                    "--accept", plain.output.split()[0], "--caption", "beach",
                                    "--caption-weight", "0"])
    assert plain.exit_code == 0 and accepted.exit_code == 0, accepted.output
    assert accepted.output.split() == plain.output.split()[1:] + accepted.output.split()[2:]


def test_zstags_suggest_refuses_an_empty_hashtag_in_one_line():
    result = CliRunner().invoke(main, ["suggest", str(EXAMPLE_PHOTO), "--accept", "#"])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "after '#'" in result.output


def test_zstags_hashtags_add_list_remove(tmp_path):
    runner = CliRunner()
    mine = str(tmp_path / "mine.txt")
    added = runner.invoke(main, ["hashtags", "add", "#MorningBrew", "golden hour: #goldenhour", "--file", mine])
    assert added.exit_code == 0 and "#morningbrew #goldenhour" in added.output
    listed = runner.invoke(main, ["hashtags", "list", "--file", mine])
    assert listed.output.splitlines() == ["morningbrew: #morningbrew", "golden hour: #goldenhour"]
    removed = runner.invoke(main, ["hashtags", "remove", "goldenhour", "--file", mine])
    assert removed.exit_code == 0
    assert runner.invoke(main, ["hashtags", "list", "--file", mine]).output == "morningbrew: #morningbrew\n"
    missing = runner.invoke(main, ["hashtags", "remove", "#nothere", "--file", mine])
    assert missing.exit_code == 1 and missing.output.count("\n") == 1
