"""The package's public names, in the style of httpx's ``test_exported_members.py``: what
``__all__`` lists is what the package exports, each name resolves, and the names checkers
see (the ``TYPE_CHECKING`` imports) are the same ones."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import zeroshot_tags


def test_all_is_sorted_and_every_name_comes_from_the_module_that_defines_it():
    assert zeroshot_tags.__all__ == sorted(zeroshot_tags.__all__)
    for name in zeroshot_tags.__all__:
        module = f"zeroshot_tags.{zeroshot_tags._PUBLIC[name]}"
        value = getattr(zeroshot_tags, name)
        assert getattr(importlib.import_module(module), name) is value, name
        assert getattr(value, "__module__", module) == module, name  # defined there, not passed on
    assert set(zeroshot_tags.__all__) <= set(dir(zeroshot_tags))


def test_type_checkers_see_the_same_names():
    tree = ast.parse(Path(zeroshot_tags.__file__).read_text())
    guarded = next(node for node in tree.body if isinstance(node, ast.If)
                   and getattr(node.test, "id", None) == "TYPE_CHECKING")
    imported = {(node.module, alias.name) for node in guarded.body for alias in node.names}
    assert imported == {(module, name) for name, module in zeroshot_tags._PUBLIC.items()}


def test_an_unknown_name_is_an_attribute_error():
    try:
        zeroshot_tags.NoSuchThing
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:
        raise AssertionError("zeroshot_tags.NoSuchThing resolved")


def test_importing_the_package_and_its_config_loads_no_torch():
    code = ("import sys, zeroshot_tags, zeroshot_tags.config; "
            "zeroshot_tags.TaggerConfig; print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
