"""``zstags suggest`` on inputs that are not plain readable image files: FIFOs, symbolic link
loops, folders named like photos, unreadable files and folders, names that are not UTF-8,
and checkpoints that are malicious pickles. Each bad item is one ``zstags: <path>: <reason>``
line on stderr, the good images still get their hashtags, the exit status is 1, nothing hangs.

Every test runs the installed ``zstags`` as a real process, with stdout encoded strictly as
UTF-8 (as on a desktop's UTF-8 locale), tiny word vectors and a small vocabulary.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EXAMPLE_PHOTO, TINY_WORDS, write_word2vec

pytestmark = pytest.mark.slow  # most tests run zstags on the real default models

ZSTAGS = Path(sys.executable).with_name("zstags")
TIMEOUT_SECONDS = 180  # a FIFO opened for reading would block until then
REFUSED = ("not a zeroshot-tags model (refused by the safe weights_only loader, which runs none "
           "of its code)")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Setup:
    cache: Path
    vectors: Path
    vocabulary: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    """One cache for the module, so the tiny semantic space is built once."""
    root = tmp_path_factory.mktemp("hostile")
    vocabulary = root / "vocab.txt"
    vocabulary.write_text("\n".join(TINY_WORDS) + "\n", encoding="utf-8")
    return Setup(root / "cache", write_word2vec(root / "tiny.bin", TINY_WORDS, binary=True),
                 vocabulary)


def zstags(setup: Setup, cwd: Path, *args, preexec_fn=None) -> Run:
    """``zstags suggest ARGS`` run in ``cwd``; ARGS may be bytes (names that are not UTF-8).
    Its output must be valid UTF-8."""
    command = [str(ZSTAGS), "suggest", "--vectors", str(setup.vectors),
               "--vocab", str(setup.vocabulary), *args]
    env = {**os.environ, "ZEROSHOT_TAGS_CACHE": str(setup.cache), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                          timeout=TIMEOUT_SECONDS, preexec_fn=preexec_fn)
    return Run(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


@pytest.fixture(scope="module")
def tags(setup) -> str:
    """The hashtags the example photo gets (the first run, which builds the cache)."""
    result = zstags(setup, EXAMPLE_PHOTO.parent, EXAMPLE_PHOTO.name)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 5 and result.stdout.startswith("#")
    return result.stdout.strip()


def photo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE_PHOTO, path)
    return path


def lines(*texts: str) -> str:
    return "".join(f"{text}\n" for text in texts)


def test_a_fifo_given_is_reported_and_never_opened(setup, tags, tmp_path):
    photo(tmp_path / "coffee.jpg")
    os.mkfifo(tmp_path / "x.jpg")
    result = zstags(setup, tmp_path, "coffee.jpg", "x.jpg")
    assert result.stderr == lines("zstags: x.jpg: not a regular file (a FIFO)")
    assert result.stdout == lines(f"coffee.jpg\t{tags}")
    assert result.returncode == 1


def test_a_fifo_in_a_folder_is_reported_and_never_opened(setup, tags, tmp_path):
    photo(tmp_path / "album" / "coffee.jpg")
    os.mkfifo(tmp_path / "album" / "x.jpg")
    os.mkfifo(tmp_path / "album" / "notes")  # no image suffix: not listed, as a .txt is not
    result = zstags(setup, tmp_path, "album")
    assert result.stderr == lines("zstags: album/x.jpg: not a regular file (a FIFO)")
    assert result.stdout == lines(f"album/coffee.jpg\t{tags}")
    assert result.returncode == 1


def test_links_in_a_folder_loops_are_reported_and_not_followed(setup, tags, tmp_path):
    album = tmp_path / "album"
    photo(album / "coffee.jpg")
    (album / "loop").symlink_to(".")  # a folder link: not followed, so no album/loop/...
    (album / "a").symlink_to("b.jpg")
    (album / "b.jpg").symlink_to("a")
    (album / "gone.jpg").symlink_to("nowhere.jpg")
    result = zstags(setup, tmp_path, "album")
    assert result.stderr == lines("zstags: album/b.jpg: symbolic link loop",
                                  "zstags: album/gone.jpg: broken symbolic link")
    assert result.stdout == lines(f"album/coffee.jpg\t{tags}")
    assert result.returncode == 1


def test_link_loops_given_directly(setup, tags, tmp_path):
    photo(tmp_path / "coffee.jpg")
    photo(tmp_path / "itself" / "inside.jpg")
    (tmp_path / "itself" / "loop").symlink_to(".")
    (tmp_path / "a.jpg").symlink_to("b.jpg")
    (tmp_path / "b.jpg").symlink_to("a.jpg")
    result = zstags(setup, tmp_path, "coffee.jpg", "b.jpg", "itself/loop")
    assert result.stderr == lines("zstags: b.jpg: symbolic link loop")
    assert result.stdout == lines(f"coffee.jpg\t{tags}", f"itself/loop/inside.jpg\t{tags}")
    assert result.returncode == 1


def test_folders_named_like_photos(setup, tags, tmp_path):
    photo(tmp_path / "coffee.jpg")
    (tmp_path / "photo.jpg").mkdir()  # given, and empty: one line
    photo(tmp_path / "album" / "photo.jpg" / "inner.jpg")  # in a folder: searched like any
    (tmp_path / "album" / "empty.jpg").mkdir()  # an empty subfolder is no error
    result = zstags(setup, tmp_path, "coffee.jpg", "photo.jpg", "album")
    assert result.stderr == lines("zstags: photo.jpg: no image files in this folder")
    assert result.stdout == lines(f"coffee.jpg\t{tags}", f"album/photo.jpg/inner.jpg\t{tags}")
    assert result.returncode == 1


def without_root_powers() -> None:
    """In the child, before exec: drop the capabilities that let root read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set, so the program run keeps
    uid 0, and with it the interpreter under /root, but obeys file modes."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in (1, 2):
        if prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop capability")


@pytest.fixture
def unprivileged(tmp_path):
    """A preexec_fn under which a mode 000 file really cannot be read (None when not root)."""
    if os.geteuid() != 0:
        return None
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        check = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"],
                               preexec_fn=without_root_powers, capture_output=True, text=True)
    except subprocess.SubprocessError as error:
        pytest.skip(f"cannot drop root's file capabilities here ({error})")
    assert "PermissionError" in check.stderr, check.stderr
    return without_root_powers


def test_unreadable_files_and_folders(setup, tags, tmp_path, unprivileged):
    photo(tmp_path / "coffee.jpg")
    locked = [photo(tmp_path / "secret.jpg"), photo(tmp_path / "album" / "hidden.jpg"),
              photo(tmp_path / "locked" / "in.jpg").parent,
              photo(tmp_path / "album" / "sub" / "x.jpg").parent,
              photo(tmp_path / "shut" / "coffee.jpg").parent]
    photo(tmp_path / "album" / "coffee.jpg")
    for path in locked:
        path.chmod(0)
    try:
        result = zstags(setup, tmp_path, "coffee.jpg", "secret.jpg", "locked/in.jpg", "album",
                        "shut", preexec_fn=unprivileged)
    finally:
        for path in locked:
            path.chmod(0o755)
    assert sorted(result.stderr.splitlines()) == [
        f"zstags: {name}: permission denied"
        for name in ("album/hidden.jpg", "album/sub", "locked/in.jpg", "secret.jpg", "shut")]
    assert result.stdout == lines(f"coffee.jpg\t{tags}", f"album/coffee.jpg\t{tags}")
    assert result.returncode == 1


@pytest.fixture
def undecodable_names(tmp_path):
    """caf\\xe9.jpg (Latin-1, not UTF-8) given and in a folder, beside a file that is not an
    image; and a missing name."""
    shutil.copy(EXAMPLE_PHOTO, os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg"))
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"album"))
    shutil.copy(EXAMPLE_PHOTO, os.path.join(os.fsencode(tmp_path), b"album/caf\xe9.jpg"))
    with open(os.path.join(os.fsencode(tmp_path), b"album/bad\xff.jpg"), "wb") as file:
        file.write(b"not an image")
    return (b"caf\xe9.jpg", b"gone\xe9.jpg", b"album")


def test_names_that_are_not_utf8_print_escaped(setup, tags, tmp_path, undecodable_names):
    result = zstags(setup, tmp_path, *undecodable_names)
    assert "Traceback" not in result.stderr
    assert result.stderr == lines("zstags: gone\\xe9.jpg: no such file",
                                  "zstags: album/bad\\xff.jpg: not an image this tool can read")
    assert result.stdout == lines(f"caf\\xe9.jpg\t{tags}", f"album/caf\\xe9.jpg\t{tags}")
    assert result.returncode == 1


def test_names_that_are_not_utf8_in_json(setup, tags, tmp_path, undecodable_names):
    result = zstags(setup, tmp_path, *undecodable_names, "--json")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 2
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["image"] for o in objects] == ["caf\\xe9.jpg", "album/caf\\xe9.jpg"]
    assert all(" ".join(s["hashtag"] for s in o["suggestions"]) == tags for o in objects)
    assert result.returncode == 1


def test_a_name_too_long_is_one_line(setup, tags, tmp_path):
    photo(tmp_path / "coffee.jpg")
    long_name = "a" * 300 + ".jpg"
    result = zstags(setup, tmp_path, "coffee.jpg", long_name)
    assert result.stderr == lines(f"zstags: {long_name}: file name too long")
    assert result.stdout == lines(f"coffee.jpg\t{tags}")
    assert result.returncode == 1


class RunsACommand:
    """Unpickling it runs a shell command: what a malicious checkpoint does."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_a_malicious_checkpoint_is_refused_unrun(setup, tmp_path, writer):
    import torch

    photo(tmp_path / "photo.jpg")
    marker = tmp_path / "MARKER"
    payload = RunsACommand(f"touch {shlex.quote(str(marker))}")
    with open(tmp_path / "evil.pt", "wb") as file:
        if writer == "torch.save":
            torch.save({"format": 1, "backbone": payload}, file)
        else:
            pickle.dump(payload, file, protocol=4)
    with open(tmp_path / "evil.pt", "rb") as file:  # the unsafe loaders run it...
        torch.load(file, weights_only=False) if writer == "torch.save" else pickle.load(file)
    assert marker.exists()
    marker.unlink()
    result = zstags(setup, tmp_path, "photo.jpg", "--model", "evil.pt")
    assert not marker.exists()  # ...zstags does not
    assert result.stderr == lines(f"zstags: evil.pt: {REFUSED}")
    assert result.stdout == "" and result.returncode == 1


def test_a_fifo_checkpoint_is_reported_and_never_opened(setup, tmp_path):
    photo(tmp_path / "photo.jpg")
    os.mkfifo(tmp_path / "model.pt")
    result = zstags(setup, tmp_path, "photo.jpg", "--model", "model.pt")
    assert result.stderr == lines("zstags: model.pt: not a regular file (a FIFO)")
    assert result.stdout == "" and result.returncode == 1
