"""The package's layout keeps data moving forward (docs/DESIGN in ../shared and the README's
Layout): what each subpackage may import, and that none of them loads torch on import."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import zeroshot_tags

PACKAGE = Path(zeroshot_tags.__file__).parent
DATA_PACKAGES = ("builtin_vocab",)
"""Installed, ``vocab/`` becomes this package: data, no code."""
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir()
                     if (p / "__init__.py").is_file() and p.name not in DATA_PACKAGES)
NEVER_IMPORTS = {
    "semantic": {"vision", "tagging", "supervised", "evaluation", "web", "cli"},
    "vocabulary": {"vision", "semantic", "tagging", "supervised", "evaluation", "web", "cli"},
    "vision": {"semantic", "tagging", "supervised", "evaluation", "web", "cli"},
    "posts": {"vision", "semantic", "tagging", "supervised", "evaluation", "web", "cli"},
    "personal": {"tagging", "supervised", "evaluation", "web", "cli"},
    "distributed": {"supervised", "evaluation", "web", "cli"},
    "collect": {"vision", "semantic", "tagging", "personal", "posts", "distributed", "evaluation", "web", "cli"},
    "tagging": {"evaluation", "web", "cli"},
    "supervised": {"evaluation", "web", "cli"},
    "evaluation": {"web", "cli"},
    "web": {"cli"},
}
TOP_LEVEL = ("errors", "config", "extras", "images", "text", "atomic", "files", "cache", "assets")


def imported_subpackages(path: Path) -> set[str]:
    """The subpackages of zeroshot_tags a module imports (at its top or inside functions)."""
    package = path.parent.name if path.parent != PACKAGE else None
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 0 and node.module.startswith("zeroshot_tags."):
                found.add(node.module.split(".")[1])
            elif node.level == 1 and package:
                found.add(package)
            elif node.level == 1 or node.level == 2:
                found.add(node.module.split(".")[0])
    return found & set(SUBPACKAGES)


def test_the_layout_has_the_subpackages_by_role():
    assert SUBPACKAGES == ["cli", "collect", "distributed", "evaluation", "personal", "posts", "semantic",
                           "supervised", "tagging", "vision", "vocabulary", "web"]
    flat = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert flat == sorted(TOP_LEVEL)


@pytest.mark.parametrize("subpackage", sorted(NEVER_IMPORTS))
def test_data_moves_forward_only(subpackage):
    wrong = {path.name: imported_subpackages(path) & NEVER_IMPORTS[subpackage]
             for path in (PACKAGE / subpackage).glob("*.py")}
    assert {name: found for name, found in wrong.items() if found} == {}


def test_the_top_level_modules_import_no_subpackage():
    wrong = {name: imported_subpackages(PACKAGE / f"{name}.py") for name in TOP_LEVEL}
    assert {name: found for name, found in wrong.items() if found} == {}


def test_no_subpackage_loads_torch_on_import():
    code = ("import sys, importlib; "
            f"[importlib.import_module('zeroshot_tags.' + name) for name in {SUBPACKAGES!r}]; "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
