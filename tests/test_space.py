"""The cached semantic space: built once, reused without the vectors file, rebuilt when stale
or damaged, built by one process at a time."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zeroshot_tags.semantic.sources as sources_module
import zeroshot_tags.semantic.space_cache as space_cache_module
from conftest import EXAMPLE_PHOTO, TINY_WORDS, write_word2vec
from zeroshot_tags.errors import CacheError, VocabularyError, ZeroShotTagsError
from zeroshot_tags.vocabulary.labels import LabelSet
from zeroshot_tags.semantic.space import SpaceSettings, embed_into_space, open_space
from zeroshot_tags.semantic.space_cache import MANIFEST
from zeroshot_tags.vocabulary.vocab import load_vocabulary

LABELS = LabelSet("tiny", ("n1", "n2", "n3"), (("cat", "kitten"), ("pizza",), ("unknownword",)),
                  ("cat", "pizza", "unknownword"), ("A small furry pet.", "", ""))


@pytest.fixture
def spy_loads(monkeypatch):
    """Count how often the full vectors file is read."""
    calls = []
    real = sources_module.load_keyed_vectors

    def counting(source):
        calls.append(source.spec)
        return real(source)

    sources_module.open_embedder.cache_clear()
    monkeypatch.setattr(sources_module, "load_keyed_vectors", counting)
    yield calls
    sources_module.open_embedder.cache_clear()


def unit(vector):
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def build(vectors_file, cache, words=("cat", "pizza", "beach", "#foodphotography"), **settings):
    settings = SpaceSettings.create(str(vectors_file), **{"hubness": "none", **settings})
    return open_space(settings, LABELS, load_vocabulary(list(words)), cache)


def space_directories(cache):
    """The space directories of a cache root (beside them: their lock files)."""
    return [p for p in (cache / "spaces").iterdir() if p.is_dir()]


def test_space_holds_label_and_vocabulary_vectors(tiny_vectors_file, tmp_path, spy_loads):
    space = build(tiny_vectors_file, tmp_path)
    synonyms = [unit(TINY_WORDS["cat"]), unit(TINY_WORDS["kitten"])]
    np.testing.assert_allclose(space.label_vectors[0], unit(np.mean(synonyms, axis=0)), rtol=1e-5)
    assert not space.label_vectors[2].any()  # a class no word of which is known
    assert [e.word for e in space.vocabulary.entries] == ["cat", "pizza", "beach", "foodphotography"]
    ids, scores = space.index.nearest(space.vocabulary_vectors[1], 1)
    assert ids[0] == 1 and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_second_open_reads_only_the_cache(tiny_vectors_file, tmp_path, spy_loads):
    build(tiny_vectors_file, tmp_path)
    sources_module.open_embedder.cache_clear()
    again = build(tiny_vectors_file, tmp_path)
    assert spy_loads == [str(tiny_vectors_file)]
    assert len(again.vocabulary) == 4


def test_a_changed_vectors_file_rebuilds_the_cache(tiny_vectors_file, tmp_path, spy_loads):
    build(tiny_vectors_file, tmp_path)
    changed = dict(TINY_WORDS, beach=[0.0, 0.0, 1.0, 0.0])
    write_word2vec(tiny_vectors_file, changed, binary=True)
    sources_module.open_embedder.cache_clear()
    space = build(tiny_vectors_file, tmp_path)
    assert len(spy_loads) == 2
    np.testing.assert_allclose(space.vocabulary_vectors[2], [0, 0, 1, 0])


def edit_manifest(change):
    """Damage: ``change`` edits the manifest's JSON object, which is written back."""
    def damage(directory):
        manifest = json.loads((directory / MANIFEST).read_text())
        change(manifest)
        (directory / MANIFEST).write_text(json.dumps(manifest))
    return damage


def garbage(name):
    return lambda directory: (directory / name).write_bytes(b"\x00garbage" * 3)


def a_directory(name):
    """Damage: the file ``name`` replaced by a directory that holds a file."""
    def damage(directory):
        (directory / name).unlink()
        (directory / name).mkdir()
        (directory / name / "stray").write_text("stray")
    return damage


def truncated(name):
    return lambda directory: os.truncate(directory / name, (directory / name).stat().st_size // 2)


def the_space_a_file(directory):
    shutil.rmtree(directory)
    directory.write_text("not a folder")


DAMAGES = {  # the cache of build(): 4 words, all kept, 4 dimensions, 3 labels
    "files emptied": edit_manifest(lambda m: m.update(files=[])),
    "files without digests": edit_manifest(lambda m: m.update(files={})),
    "a digest not hex": edit_manifest(lambda m: m["files"].update({"index.ann": "not a digest"})),
    "an unknown data file": edit_manifest(lambda m: m["files"].update({"extra.npy": "0" * 64})),
    "kept missing": edit_manifest(lambda m: m.pop("kept")),
    "kept out of range": edit_manifest(lambda m: m.update(kept=[0, 1, 2, 4])),
    "kept negative": edit_manifest(lambda m: m.update(kept=[-1, 1, 2, 3])),
    "kept not increasing": edit_manifest(lambda m: m.update(kept=[1, 0, 2, 3])),
    "kept a string": edit_manifest(lambda m: m.update(kept="0123")),
    "kept of strings": edit_manifest(lambda m: m.update(kept=["0", "1", "2", "3"])),
    "kept of booleans": edit_manifest(lambda m: m.update(kept=[False, True])),
    "dimension wrong": edit_manifest(lambda m: m.update(dimension=5)),
    "dimension zero": edit_manifest(lambda m: m.update(dimension=0)),
    "dimension a string": edit_manifest(lambda m: m.update(dimension="4")),
    "labels a list": edit_manifest(lambda m: m.update(labels=["tiny", 3])),
    "an unknown key": edit_manifest(lambda m: m.update(extra=1)),
    "manifest not an object": lambda directory: (directory / MANIFEST).write_text("[]"),
    "manifest cut short": lambda directory: (directory / MANIFEST).write_text('{"format": 4, '),
    "manifest garbage": garbage(MANIFEST),
    "manifest a directory": a_directory(MANIFEST),
    "index garbage": garbage("index.ann"),
    "labels garbage": garbage("labels.npy"),
    "vocabulary truncated": truncated("vocabulary.npy"),
    "penalties missing": lambda directory: (directory / "penalties.npy").unlink(),
    "center missing": lambda directory: (directory / "center.npy").unlink(),
    "index a directory": a_directory("index.ann"),
    "labels a directory": a_directory("labels.npy"),
    "the space directory a file": the_space_a_file,
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_cache_is_reported_once_and_rebuilt(tiny_vectors_file, tmp_path, spy_loads,
                                                      damage, caplog):
    build(tiny_vectors_file, tmp_path)
    (directory,) = space_directories(tmp_path)
    damage(directory)
    sources_module.open_embedder.cache_clear()
    with caplog.at_level(logging.INFO, logger="zeroshot_tags"):
        space = build(tiny_vectors_file, tmp_path)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1 and messages[0].startswith("corrupt cache, rebuilding it: ")
    assert len(spy_loads) == 2  # rebuilt from the vectors
    assert [e.word for e in space.vocabulary.entries] == ["cat", "pizza", "beach", "foodphotography"]
    assert space.index.nearest(space.vocabulary_vectors[1], 1)[0][0] == 1
    sources_module.open_embedder.cache_clear()
    assert len(build(tiny_vectors_file, tmp_path).vocabulary) == 4
    assert len(spy_loads) == 2  # the rebuilt cache is valid: read, not built again


def test_a_valid_cache_is_read_without_the_build_lock(tiny_vectors_file, tmp_path, monkeypatch):
    build(tiny_vectors_file, tmp_path)
    monkeypatch.setattr(space_cache_module, "_build_lock", None)  # calling it would fail
    assert len(build(tiny_vectors_file, tmp_path).vocabulary) == 4


@pytest.fixture(params=["under a file", "on a read-only file system", "read-only for its user"])
def unwritable_root(request, tmp_path):
    """A cache root the OS refuses to create or write, as any user (root included) where
    possible: a path under a regular file (ENOTDIR), a folder in sysfs (EPERM); a folder of
    mode 0555 stops only a user other than root."""
    if request.param == "under a file":
        (tmp_path / "file").write_text("")
        return tmp_path / "file" / "cache"
    if request.param == "on a read-only file system":
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no sysfs here")
        return Path("/sys/zeroshot-tags-cache")
    if os.geteuid() == 0:
        pytest.skip("root writes whatever the mode")
    (tmp_path / "read-only").mkdir(mode=0o555)
    return tmp_path / "read-only"


def test_a_cache_root_that_cannot_be_written_is_one_clear_error(tiny_vectors_file, unwritable_root):
    with pytest.raises(CacheError) as error:
        build(tiny_vectors_file, unwritable_root)
    message = str(error.value)
    assert message.startswith(f"cannot write the cache in {unwritable_root}")
    assert "set ZEROSHOT_TAGS_CACHE to a writable directory" in message and "\n" not in message


BUILDER = """
import sys, time
from pathlib import Path
import zeroshot_tags.semantic.space as space
import zeroshot_tags.semantic.space_cache as space_cache
from zeroshot_tags.vocabulary.labels import LabelSet
from zeroshot_tags.vocabulary.vocab import load_vocabulary

vectors, root, me, other = sys.argv[1:]
real_write = space_cache._write

def slow_write(*args):
    print("built", flush=True)
    time.sleep(1)  # long enough for the other process to reach the build lock
    real_write(*args)

space_cache._write = slow_write
Path(me).touch()
while not Path(other).exists():  # start together
    time.sleep(0.01)
labels = LabelSet("tiny", ("n1",), (("cat",),), ("cat",), ("",))
settings = space.SpaceSettings.create(vectors, hubness="none")
found = space.open_space(settings, labels, load_vocabulary(["cat", "pizza", "beach"]), Path(root))
print(" ".join(entry.word for entry in found.vocabulary.entries))
"""


def test_two_processes_build_an_empty_cache_once(tiny_vectors_file, tmp_path):
    cache = tmp_path / "cache"
    processes = [subprocess.Popen([sys.executable, "-c", BUILDER, str(tiny_vectors_file), str(cache),
                                   str(tmp_path / me), str(tmp_path / other)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for me, other in (("a", "b"), ("b", "a"))]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    lines = [stdout.splitlines() for stdout, _ in outputs]
    assert sorted(len(output) for output in lines) == [1, 2]  # one built, the other waited
    assert {output[-1] for output in lines} == {"cat pizza beach"}
    assert len(space_directories(cache)) == 1
    assert [p.name for p in (cache / "spaces").iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def zstags_suggest(tiny_vectors_file, tmp_path):
    """Run ``zstags suggest`` on the example photo with the tiny vectors, a small vocabulary
    and a cache root (started, not waited for)."""
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("cat\npizza\nbeach\ndog\n#foodphotography\n")

    def start(cache):
        return subprocess.Popen(
            ["zstags", "suggest", str(EXAMPLE_PHOTO), "--top", "3", "--vectors", str(tiny_vectors_file),
             "--vocab", str(vocabulary)],
            env=dict(os.environ, ZEROSHOT_TAGS_CACHE=str(cache)), cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return start


def finish(process):
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout, stderr


def test_two_zstags_suggest_on_an_empty_cache_both_succeed(zstags_suggest, tmp_path):
    cache = tmp_path / "cache"
    results = [finish(process) for process in [zstags_suggest(cache), zstags_suggest(cache)]]
    assert [code for code, _, _ in results] == [0, 0], results
    assert results[0][1] == results[1][1] and len(results[0][1].split()) == 3
    assert not any("Traceback" in stderr for _, _, stderr in results)
    assert len(space_directories(cache)) == 1
    assert [p.name for p in (cache / "spaces").iterdir() if p.name.startswith(".")] == []


def test_zstags_suggest_rebuilds_a_damaged_cache_in_one_line(zstags_suggest, tmp_path):
    cache = tmp_path / "cache"
    code, first, _ = finish(zstags_suggest(cache))
    assert code == 0
    for damage in ("kept out of range", "manifest a directory"):  # each ended in a traceback
        (directory,) = space_directories(cache)
        DAMAGES[damage](directory)
        code, again, stderr = finish(zstags_suggest(cache))
        assert code == 0 and again == first, stderr
        assert stderr.startswith("zstags: corrupt cache, rebuilding it: ") and len(stderr.splitlines()) == 1


def test_zstags_suggest_with_a_cache_it_cannot_write_says_so_in_one_line(zstags_suggest, tmp_path):
    (tmp_path / "file").write_text("")
    code, stdout, stderr = finish(zstags_suggest(tmp_path / "file" / "cache"))
    assert code == 1 and stdout == ""
    assert stderr.startswith(f"zstags: cannot write the cache in {tmp_path / 'file' / 'cache'}")
    assert "ZEROSHOT_TAGS_CACHE" in stderr and len(stderr.splitlines()) == 1


def test_entries_without_vectors_are_left_out_with_a_warning(tiny_vectors_file, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="zeroshot_tags"):
        space = build(tiny_vectors_file, tmp_path, words=("cat", "qqqzzz"))
    assert [e.word for e in space.vocabulary.entries] == ["cat"]
    assert "qqqzzz" in caplog.text


def test_a_vocabulary_the_vectors_cannot_express_is_an_error(tiny_vectors_file, tmp_path):
    with pytest.raises(VocabularyError, match="no word of the vocabulary"):
        build(tiny_vectors_file, tmp_path, words=("qqqzzz",))


def test_no_temporary_directories_are_left(tiny_vectors_file, tmp_path):
    build(tiny_vectors_file, tmp_path)
    assert [p.name for p in (tmp_path / "spaces").iterdir() if p.name.startswith(".")] == []


def test_csls_penalises_words_near_many_labels(tiny_vectors_file, tmp_path):
    space = build(tiny_vectors_file, tmp_path, hubness="csls")
    labels = np.asarray(space.label_vectors[:2])  # the third class has no vector
    similarities = np.asarray(space.vocabulary_vectors) @ labels.T
    np.testing.assert_allclose(space.penalties, similarities.mean(axis=1) / 2, rtol=1e-5)
    ids, scores = space.index.nearest(labels[0], 4)
    exact = np.asarray(space.vocabulary_vectors) @ labels[0] - space.penalties
    np.testing.assert_array_equal(ids, np.argsort(-exact))
    np.testing.assert_allclose(scores, exact[ids], atol=1e-5)


def test_sources_are_weighted_side_by_side(tiny_vectors_file, tmp_path):
    rotated = write_word2vec(tmp_path / "rotated.txt",
                             {w: v[1:] + v[:1] for w, v in TINY_WORDS.items()}, binary=False)
    settings = SpaceSettings.create([f"{tiny_vectors_file}@1", f"{rotated}@3"], hubness="none")
    space = open_space(settings, LABELS, load_vocabulary(["pizza", "beach"]), tmp_path)
    assert settings.weights == (0.25, 0.75)
    pizza = unit(TINY_WORDS["pizza"])
    np.testing.assert_allclose(space.vocabulary_vectors[0],
                               np.concatenate([0.5 * pizza, np.sqrt(0.75) * np.roll(pizza, -1)]),
                               rtol=1e-5)
    assert np.linalg.norm(space.vocabulary_vectors[0]) == pytest.approx(1.0)


def test_each_setting_has_its_own_cache(tiny_vectors_file, tmp_path, spy_loads):
    for hubness in ("none", "csls", "center"):
        build(tiny_vectors_file, tmp_path, hubness=hubness)
    build(tiny_vectors_file, tmp_path, label_text="names")
    assert len(space_directories(tmp_path)) == 4
    assert spy_loads == [str(tiny_vectors_file)]  # one load of the file serves them all


def count_label_embeddings(monkeypatch, settings):
    """The calls that embed LABELS, counted on each source's real embedder (wrapped)."""
    calls = []
    for source in settings.sources:
        embedder = sources_module.open_embedder(source)
        texts, real = LABELS.texts(settings.label_text_for(source)), embedder.embed_phrases

        def counting(groups, spec=source.spec, texts=texts, real=real):
            if list(groups) == texts:
                calls.append(spec)
            return real(groups)
        monkeypatch.setattr(embedder, "embed_phrases", counting)
    return calls


def test_a_centered_space_embeds_text_without_embedding_the_labels_again(tiny_vectors_file, tmp_path,
                                                                          monkeypatch):
    settings = SpaceSettings.create(str(tiny_vectors_file), hubness="center")
    space = open_space(settings, LABELS, load_vocabulary(["cat", "pizza"]), tmp_path)
    assert space.center.shape == (space.dimension,) and space.center.any()
    entries, caption = load_vocabulary(["beach", "#foodphotography"]).entries, ["a kitten eating pizza"]
    label_embeddings = count_label_embeddings(monkeypatch, settings)
    vectors = embed_into_space(settings, space.center, entries, caption)
    assert label_embeddings == []
    rebuilt = open_space(settings, LABELS, load_vocabulary(["cat", "pizza", "beach", "#foodphotography"]),
                         tmp_path)
    np.testing.assert_allclose(vectors[:2], rebuilt.vocabulary_vectors[2:], atol=1e-6)
    assert vectors[2].any()


def test_a_reloaded_centered_space_extends_as_a_rebuild_would(tiny_vectors_file, tmp_path, monkeypatch):
    settings = SpaceSettings.create(str(tiny_vectors_file), hubness="center")
    open_space(settings, LABELS, load_vocabulary(["cat", "pizza"]), tmp_path)
    label_embeddings = count_label_embeddings(monkeypatch, settings)
    reloaded = open_space(settings, LABELS, load_vocabulary(["cat", "pizza"]), tmp_path)
    added = load_vocabulary(["beach"]).entries
    extended = reloaded.extended(added, embed_into_space(settings, reloaded.center, added),
                                 settings.hubness)
    assert label_embeddings == []
    rebuilt = open_space(settings, LABELS, load_vocabulary(["cat", "pizza", "beach"]), tmp_path)
    np.testing.assert_allclose(extended.vocabulary_vectors, rebuilt.vocabulary_vectors, atol=1e-6)
    np.testing.assert_array_equal(extended.center, rebuilt.center)


@pytest.mark.parametrize("settings, message", [
    ({"hubness": "zscore"}, "unknown hubness"),
    ({"label_text": "glosses"}, "unknown label text"),
    ({"template": "a photo of"}, "exactly once"),
])
def test_bad_settings_are_refused(tiny_vectors_file, settings, message):
    with pytest.raises(ZeroShotTagsError, match=message):
        SpaceSettings.create(str(tiny_vectors_file), **settings)
