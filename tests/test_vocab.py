import pytest

from zeroshot_tags.errors import VocabularyError
from zeroshot_tags.vocab import builtin_vocabulary, load_vocabulary, parse_vocabulary


def test_line_forms():
    vocabulary = parse_vocabulary([
        "[food]",
        "beach: #beach #beachlife",
        "apple pie",
        "#foodphotography",
        "",
    ], source="test")
    assert [(e.word, e.hashtags) for e in vocabulary.entries] == [
        ("beach", ("#beach", "#beachlife")),
        ("apple pie", ("#applepie",)),
        ("foodphotography", ("#foodphotography",)),
    ]


def test_user_list_each_entry_is_its_own_candidate():
    vocabulary = load_vocabulary(["apple pie", "#FoodPorn", "beef_tartare"])
    assert [e.hashtags for e in vocabulary.entries] == [("#applepie",), ("#foodporn",), ("#beeftartare",)]
    assert vocabulary.entries[2].word == "beef_tartare"


def test_user_file(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("sunset\n#goldenhour\n")
    assert [e.hashtags[0] for e in load_vocabulary(path).entries] == ["#sunset", "#goldenhour"]


@pytest.mark.parametrize("spec", [[], ["", "   "], ["[only a heading]"]])
def test_empty_vocabulary_is_an_error(spec):
    with pytest.raises(VocabularyError, match="empty"):
        load_vocabulary(spec)


def test_missing_vocabulary_file(tmp_path):
    with pytest.raises(VocabularyError, match="not found"):
        load_vocabulary(tmp_path / "nope.txt")


def test_extend_adds_entries_and_replaces_same_hashtag():
    base = load_vocabulary(["beach", "sea"])
    extended = base.extended(load_vocabulary(["#beach", "mountain"]))
    assert [e.hashtags[0] for e in extended.entries] == ["#sea", "#beach", "#mountain"]
    assert extended.digest != base.digest


def test_builtin_vocabulary_is_large_and_clean():
    vocabulary = builtin_vocabulary()
    assert len(vocabulary) >= 500
    primaries = [e.hashtags[0] for e in vocabulary.entries]
    assert len(set(primaries)) == len(primaries)
    words = {e.word for e in vocabulary.entries}
    for subject in ("dog", "beach", "pizza", "wedding", "snow", "dress", "football", "happy",
                    "city", "family", "sunset", "coffee"):
        assert subject in words


def test_builtin_vocabulary_covers_the_harrison_hashtags(shared_data):
    harrison = [line.split()[0] for line in
                (shared_data / "harrison_tags" / "vocab_index.txt").read_text().splitlines()]
    ours = {tag for e in builtin_vocabulary().entries for tag in e.hashtags}
    covered = [tag for tag in harrison if f"#{tag}" in ours]
    # The rest are engagement tags (#likeforlike), names and fillers ("the", "you").
    assert len(covered) / len(harrison) > 0.6
    for meaningful in ("beach", "food", "dog", "sunset", "wedding", "makeup", "coffee"):
        assert meaningful in covered
