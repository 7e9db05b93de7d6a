import pytest

from zeroshot_tags.errors import VocabularyError
from zeroshot_tags.text import hashtag_form, is_hashtag
from zeroshot_tags.vocabulary.vocab import builtin_vocabulary, load_vocabulary, parse_line, parse_vocabulary


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


BAD_LINES = ["#", ": #", ":", "##", "!!!", "🍕", "beach #", "beach: #!!", "?!: #beach"]


@pytest.mark.parametrize("line", BAD_LINES)
def test_a_line_without_word_or_hashtag_is_an_error_naming_it_in_a_users_list(line):
    with pytest.raises(VocabularyError) as raised:
        load_vocabulary(["coffee", line])
    message = str(raised.value)
    assert repr(line) in message and "\n" not in message


def test_a_bad_line_in_a_file_is_reported_with_its_number_and_skipped(tmp_path, caplog):
    path = tmp_path / "mine.txt"
    path.write_text("coffee\n" + "\n".join(BAD_LINES) + "\n#goldenhour\n", encoding="utf-8")
    vocabulary = load_vocabulary(path)
    assert [e.hashtags[0] for e in vocabulary.entries] == ["#coffee", "#goldenhour"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "zeroshot_tags"]
    assert [w.split(": ")[0] for w in warnings] == [f"{path}:{n}" for n in range(2, 2 + len(BAD_LINES))]
    assert all(w.endswith("line skipped") and "\n" not in w for w in warnings)


def test_a_file_of_bad_lines_only_is_empty(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text(": #\n#\n")
    with pytest.raises(VocabularyError, match="empty"):
        load_vocabulary(path)


def test_the_builtin_vocabulary_has_no_bad_line(caplog):
    builtin_vocabulary()
    assert not [r for r in caplog.records if r.name == "zeroshot_tags"]


@pytest.mark.parametrize("text, form", [
    ("golden hour", "#goldenhour"),
    ("#Café", "#café"),
    ("e\u0301te\u0301", "#été"),                    # composed: e + combining accent -> é
    ("#東京タワー", "#東京タワー"),
    ("हिन्दी", "#हिन्दी"),                          # vowel signs are combining marks, kept
    ("#❤️love", "#love"),                          # emoji and their variation selectors dropped
    ("#i_love_you", "#iloveyou"),
    ("🍕", "#"), ("#", "#"), ("!?", "#"), ("  ", "#"),
])
def test_hashtag_forms_of_odd_input_and_which_are_hashtags(text, form):
    assert hashtag_form(text) == form
    assert is_hashtag(form) == (form != "#")


def test_a_long_word_keeps_its_length_and_a_bad_line_is_quoted_short():
    assert hashtag_form("x" * 500) == "#" + "x" * 500
    with pytest.raises(VocabularyError) as raised:
        parse_line("#" * 500)
    assert len(str(raised.value)) < 200


def test_an_entry_is_always_one_line():
    entry = parse_line("golden\n  hour :\t#GoldenHour #golden_hour")
    assert entry.word == "golden hour" and entry.hashtags == ("#goldenhour",)
