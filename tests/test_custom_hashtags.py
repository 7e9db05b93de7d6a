"""The user's custom hashtag file: validated entries, caps, bad lines skipped, concurrent adds."""

import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from zeroshot_tags import Tagger
from zeroshot_tags.vocabulary.custom import (MAX_ENTRIES_PER_ADD, MAX_ENTRY_CHARACTERS, parse_custom_hashtags,
                                  read_custom_hashtags, remove_custom_hashtags, save_custom_hashtags)
from zeroshot_tags.errors import VocabularyError
from zeroshot_tags.vocabulary.vocab import parse_entries

CONCURRENT_ADDS = 20


def primaries(vocabulary):
    return [entry.hashtags[0] for entry in vocabulary.entries] if vocabulary else []


def warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "zeroshot_tags" and r.levelno >= logging.WARNING]


def parses_cleanly(path, caplog):
    """The file's entries, asserting that reading it reported no bad line."""
    caplog.clear()
    entries = parse_entries(path.read_text(encoding="utf-8").splitlines(), str(path))
    assert warnings(caplog) == []
    return [entry.hashtags[0] for entry in entries]


@pytest.mark.parametrize("line", [": #", "#", ":", "##", "!!", "🍕 🍕"])
def test_an_entry_without_word_or_hashtag_is_a_one_line_error_naming_it(line):
    with pytest.raises(VocabularyError) as raised:
        parse_custom_hashtags(["#fine", line])
    assert repr(line) in str(raised.value) and "\n" not in str(raised.value)


def test_entries_are_capped_in_number_and_length():
    assert len(parse_custom_hashtags([f"#tag{i}" for i in range(MAX_ENTRIES_PER_ADD)])) == MAX_ENTRIES_PER_ADD
    with pytest.raises(VocabularyError, match=f"at most {MAX_ENTRIES_PER_ADD} at a time"):
        parse_custom_hashtags([f"#tag{i}" for i in range(MAX_ENTRIES_PER_ADD + 1)])
    longest = "#" + "x" * (MAX_ENTRY_CHARACTERS - 1)
    assert parse_custom_hashtags([longest])[0].hashtags == (longest,)
    with pytest.raises(VocabularyError, match=f"at most {MAX_ENTRY_CHARACTERS}"):
        parse_custom_hashtags([longest + "x"])


def test_saving_more_than_the_cap_is_refused(tmp_path):
    entries = parse_custom_hashtags([f"#tag{i}" for i in range(MAX_ENTRIES_PER_ADD)])
    with pytest.raises(VocabularyError, match="at a time"):
        save_custom_hashtags(entries + parse_custom_hashtags(["#onemore"]), tmp_path / "mine.txt")
    assert not (tmp_path / "mine.txt").exists()


def test_a_bad_line_in_the_file_is_reported_skipped_and_dropped_by_the_next_add(tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    mine.write_text("beach: #beach\n: #\n#\nsunset\n", encoding="utf-8")
    assert primaries(read_custom_hashtags(mine)) == ["#beach", "#sunset"]
    assert [w.split(": ")[0] for w in warnings(caplog)] == [f"{mine}:2", f"{mine}:3"]
    save_custom_hashtags(parse_custom_hashtags(["#goldenhour"]), mine)
    assert parses_cleanly(mine, caplog) == ["#beach", "#sunset", "#goldenhour"]


def test_a_file_of_bad_lines_only_holds_no_entry(tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    mine.write_text(": #\n\n[section]\n", encoding="utf-8")
    assert read_custom_hashtags(mine) is None
    assert len(warnings(caplog)) == 1


def test_unusual_entries_are_written_as_they_are_read_back(tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    entries = parse_custom_hashtags(["Tokyo  Tower: #東京タワー", "#Café", "हिन्दी", "golden\nhour: #goldenhour",
                                     "#a#b", "#❤️love"])
    save_custom_hashtags(entries, mine)
    assert read_custom_hashtags(mine).entries == tuple(entries)
    assert parses_cleanly(mine, caplog) == ["#東京タワー", "#café", "#हिन्दी", "#goldenhour", "#ab", "#love"]


def test_remove_keeps_the_others(tmp_path):
    mine = tmp_path / "mine.txt"
    save_custom_hashtags(parse_custom_hashtags(["#one", "#two", "#three"]), mine)
    assert remove_custom_hashtags(["Two", "#nothere"], mine) == ["#two"]
    assert primaries(read_custom_hashtags(mine)) == ["#one", "#three"]


def test_concurrent_adds_from_threads_all_land(tmp_path, caplog):
    mine = tmp_path / "mine.txt"

    def add(number):
        save_custom_hashtags(parse_custom_hashtags([f"thread {number}: #thread{number}"]), mine)

    with ThreadPoolExecutor(CONCURRENT_ADDS) as pool:
        list(pool.map(add, range(CONCURRENT_ADDS)))
    assert sorted(parses_cleanly(mine, caplog)) == sorted(f"#thread{n}" for n in range(CONCURRENT_ADDS))


def test_concurrent_zstags_hashtags_add_processes_all_land(tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    processes = [subprocess.Popen([sys.executable, "-m", "zeroshot_tags.cli.main", "hashtags", "add",
                                   f"process {n}: #process{n}", "--file", str(mine)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(CONCURRENT_ADDS)]
    outcomes = [(process.wait(timeout=120), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert outcomes == [(0, "")] * CONCURRENT_ADDS
    assert sorted(parses_cleanly(mine, caplog)) == sorted(f"#process{n}" for n in range(CONCURRENT_ADDS))


def test_a_tagger_starts_with_a_bad_line_in_its_custom_file(default_tagger, tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    mine.write_text(": #\n", encoding="utf-8")
    tagger = Tagger(default_tagger.backbone, custom_hashtags=mine)
    assert tagger.vocabulary.digest == default_tagger.vocabulary.digest
    assert len(warnings(caplog)) == 1 and f"{mine}:1:" in warnings(caplog)[0]


@pytest.mark.parametrize("lines, message", [
    ([": #"], "not a hashtag"),
    ([f"#tag{i}" for i in range(MAX_ENTRIES_PER_ADD + 1)], "at a time"),
    (["#" + "x" * MAX_ENTRY_CHARACTERS], "at most"),
])
def test_tagger_add_hashtags_refuses_bad_entries_and_leaves_all_as_it_was(default_tagger, tmp_path,
                                                                           lines, message):
    mine = tmp_path / "mine.txt"
    tagger = Tagger(default_tagger.backbone, custom_hashtags=mine)
    mine.write_text("beach: #beach\n", encoding="utf-8")  # after the start: no space rebuild
    space = tagger.space
    with pytest.raises(VocabularyError, match=message):
        tagger.add_hashtags(lines)
    assert mine.read_text(encoding="utf-8") == "beach: #beach\n" and tagger.space is space
