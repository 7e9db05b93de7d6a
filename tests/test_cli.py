"""The zstags command, through click's CliRunner and as a real process."""

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import EXAMPLE_PHOTO
from zeroshot_tags.cli.main import main

pytestmark = pytest.mark.slow  # most tests run zstags on the real default models


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(main, list(map(str, args)))
    return invoke


def test_help_answers_without_importing_torch():
    code = ("import sys; from click.testing import CliRunner; from zeroshot_tags.cli.main import main; "
            "result = CliRunner().invoke(main, ['suggest', '--help']); "
            "assert result.exit_code == 0 and '--top' in result.output, result.output; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_suggest_one_photo(run):
    result = run("suggest", EXAMPLE_PHOTO, "--top", 5)
    assert result.exit_code == 0, result.output
    tags = result.output.split()
    assert len(tags) == 5 and all(t.startswith("#") for t in tags)


def test_json_one_object_per_image_and_folders(run, tmp_path):
    Image.open(EXAMPLE_PHOTO).save(tmp_path / "a.png")
    Image.open(EXAMPLE_PHOTO).convert("L").save(tmp_path / "b.jpg")
    (tmp_path / "readme.txt").write_text("not an image; folders list only image files")
    result = run("suggest", tmp_path, EXAMPLE_PHOTO, "--json", "--top", 3)
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [o["image"] for o in objects] == [str(tmp_path / "a.png"), str(tmp_path / "b.jpg"), str(EXAMPLE_PHOTO)]
    assert all(len(o["suggestions"]) == 3 for o in objects)
    assert set(objects[0]["suggestions"][0]) == {"hashtag", "word", "score", "related"}


def test_bad_inputs_fail_alone_with_one_line_each(run, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    result = run("suggest", EXAMPLE_PHOTO, tmp_path / "missing.jpg", text, "--top", 2)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{EXAMPLE_PHOTO}\t#")
    assert any(line.startswith("zstags:") and "missing.jpg: no such file" in line for line in lines)
    assert any(line.startswith("zstags:") and "notes.jpg: not an image" in line for line in lines)
    assert len(lines) == 3


def test_user_vocabulary_file(run, tmp_path):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("coffee\n#beachlife\nmountain bike\n")
    result = run("suggest", EXAMPLE_PHOTO, "--vocab", vocabulary, "--top", 3, "--scores")
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] == "#coffee"
    assert set(result.output.split()[::2]) == {"#coffee", "#beachlife", "#mountainbike"}


def test_empty_vocabulary_is_a_clear_error(run, tmp_path):
    vocabulary = tmp_path / "empty.txt"
    vocabulary.write_text("\n")
    result = run("suggest", EXAMPLE_PHOTO, "--vocab", vocabulary)
    assert result.exit_code == 1
    assert "vocabulary is empty" in result.output and len(result.output.splitlines()) == 1


def test_missing_backbone_weights_are_a_clear_error(run, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    result = run("suggest", EXAMPLE_PHOTO, "--backbone", "resnet50")
    assert result.exit_code == 1
    assert "resnet50-" in result.output and len(result.output.splitlines()) == 1


def test_installed_command_runs(tmp_path):
    result = subprocess.run(["zstags", "suggest", str(EXAMPLE_PHOTO), "--top", "3"],
                            capture_output=True, text=True, cwd=tmp_path, check=True)
    assert len(result.stdout.split()) == 3


def test_urls_beside_files(run, image_server):
    result = run("suggest", f"{image_server}/photo.jpg", EXAMPLE_PHOTO, f"{image_server}/gone.jpg",
                 "--top", 3)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    url_tags = next(line for line in lines if line.startswith(f"{image_server}/photo.jpg\t"))
    file_tags = next(line for line in lines if line.startswith(f"{EXAMPLE_PHOTO}\t"))
    assert url_tags.split("\t")[1] == file_tags.split("\t")[1]
    assert any("gone.jpg: download failed" in line and "404" in line for line in lines)


def test_a_folder_without_images_is_an_error(run, tmp_path):
    result = run("suggest", tmp_path)
    assert result.exit_code == 1 and "no image files" in result.output


def test_suggest_options_are_the_tagger_config_with_its_defaults():
    import dataclasses

    from zeroshot_tags.cli.main import suggest
    from zeroshot_tags.config import TaggerConfig

    defaults = TaggerConfig()
    options = {param.name: param for param in suggest.params}
    settable = [field.name for field in dataclasses.fields(TaggerConfig)
                if field.name not in ("cache_dir", "device", "max_pixels")]  # environment, not options
    assert [name for name in settable if name not in options] == []
    context = click.Context(suggest)
    for name in settable:
        assert options[name].get_default(context) == getattr(defaults, name), name


def test_every_lever_is_an_option(run):
    result = run("suggest", EXAMPLE_PHOTO, "--top", 3, "--vectors", "glove-6b-50d@2",
                 "--label-text", "names", "--hubness", "center", "--temperature", 2, "-T", 10,
                 "--backbone", "efficientnet-lite0+efficientnet-lite0", "--flip", "--scores")
    assert result.exit_code == 0, result.output
    assert len(result.output.split()) == 6


@pytest.mark.parametrize("args, message", [
    (["--template", "a photo of"], "exactly once"),
    (["--vectors", "glove-6b-50d@0"], "weight must be positive"),
    (["--vectors", "no/such/vectors.bin"], "does not exist"),
])
def test_bad_settings_fail_with_one_line(run, args, message):
    result = run("suggest", EXAMPLE_PHOTO, *args)
    assert result.exit_code == 1
    assert result.output.startswith("zstags:") and message in result.output
    assert len(result.output.splitlines()) == 1


def test_an_unknown_backbone_is_a_usage_error(run):
    result = run("suggest", EXAMPLE_PHOTO, "--backbone", "efficientnet-lite0+vgg99")
    assert result.exit_code == 2 and "'vgg99' is not one of" in result.output


def zstags(*args, cwd=None):
    """``zstags ARGS`` as a real process (its logging prints ``zstags: ...`` on stderr)."""
    return subprocess.run([sys.executable, "-m", "zeroshot_tags.cli.main", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("entry", [": #", "#", ":", "##", "!!"])
def test_hashtags_add_refuses_an_entry_without_word_or_hashtag_in_one_line(tmp_path, entry):
    mine = tmp_path / "mine.txt"
    mine.write_text("beach: #beach\n", encoding="utf-8")
    result = zstags("hashtags", "add", entry, "--file", mine)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("zstags: ") and result.stderr.count("\n") == 1
    assert repr(entry) in result.stderr
    assert mine.read_text(encoding="utf-8") == "beach: #beach\n"


def test_hashtags_add_refuses_too_many_or_too_long_entries(run, tmp_path):
    mine = tmp_path / "mine.txt"
    too_many = run("hashtags", "add", *[f"#tag{n}" for n in range(101)], "--file", mine)
    assert too_many.exit_code == 1 and "at most 100 at a time" in too_many.output
    too_long = run("hashtags", "add", "#" + "x" * 200, "--file", mine)
    assert too_long.exit_code == 1 and "at most 200" in too_long.output
    assert len(too_long.output.splitlines()) == 1 and not mine.exists()


def test_hashtags_list_reports_and_skips_a_bad_line(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("beach: #beach\n: #\nsunset\n", encoding="utf-8")
    result = zstags("hashtags", "list", "--file", mine)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["beach: #beach", "sunset: #sunset"]
    assert result.stderr.startswith(f"zstags: {mine}:2: ") and result.stderr.count("\n") == 1
    assert "skipped" in result.stderr


def test_suggest_works_with_a_bad_line_in_the_custom_hashtags(run, tmp_path, caplog):
    mine = tmp_path / "mine.txt"
    mine.write_text(": #\n#\n", encoding="utf-8")
    result = run("suggest", EXAMPLE_PHOTO, "--top", 3, "--custom-hashtags", mine)
    assert result.exit_code == 0, result.output
    assert len(result.output.split()) == 3
    assert f"{mine}:1:" in caplog.text and f"{mine}:2:" in caplog.text


def test_suggest_works_with_a_bad_line_in_the_vocab_file(run, tmp_path, caplog):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("coffee\n: #\n#beachlife\n##\nmountain bike\n")  # the entries of test_user_vocabulary_file
    result = run("suggest", EXAMPLE_PHOTO, "--vocab", vocabulary, "--top", 3)
    assert result.exit_code == 0, result.output
    assert set(result.output.split()) == {"#coffee", "#beachlife", "#mountainbike"}
    assert f"{vocabulary}:2:" in caplog.text and f"{vocabulary}:4:" in caplog.text


def test_serve_starts_with_a_bad_line_in_the_default_custom_hashtags(run, tmp_path, session_cache,
                                                                       monkeypatch, caplog):
    import uvicorn
    from fastapi.testclient import TestClient

    (session_cache / "spaces").mkdir(exist_ok=True)
    cache = tmp_path / "cache"  # its own custom_hashtags.txt, beside the session's cached spaces
    cache.mkdir()
    (cache / "spaces").symlink_to(session_cache / "spaces")
    (cache / "custom_hashtags.txt").write_text(": #\n", encoding="utf-8")
    monkeypatch.setenv("ZEROSHOT_TAGS_CACHE", str(cache))
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    result = run("serve", "--port", 8765)
    assert result.exit_code == 0, result.output
    assert "custom_hashtags.txt:1:" in caplog.text
    client = TestClient(served[0])
    assert client.get("/api/hashtags").json() == {"hashtags": []}
    assert client.post("/api/hashtags", json={"entries": [": #"]}).status_code == 422
