"""The engine-free batch step: rows of photos (``path``, image ``bytes``) in, rows of
suggestions out (``path``, ``hashtags``, ``scores``, ``error``). A Ray actor, a Spark
``mapInPandas`` worker or a plain loop holds one :class:`TaggingStep` and feeds it batches;
a photo that cannot be read gives a row whose ``error`` names its path, never a failed batch.

Example:
    >>> step = TaggingStep(TaggerConfig(), top=5)  # doctest: +SKIP
    >>> step({"path": ["a.jpg"], "bytes": [open("a.jpg", "rb").read()]})  # doctest: +SKIP
    {'path': ['a.jpg'], 'hashtags': [['#espresso', ...]], 'scores': [[0.62, ...]], 'error': [None]}
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, Optional, Sequence

from ..config import DEFAULT_TOP, TaggerConfig
from ..images import describe

INPUT_COLUMNS = ("path", "bytes")
"""The columns a batch step reads: a photo's name and its file's bytes."""
OUTPUT_COLUMNS = ("path", "hashtags", "scores", "error")
"""The columns a batch step gives, in order."""


class TaggingStep:
    """A tagger built once from plain data, applied to batches of photo bytes.

    Args:
        config: the zero-shot tagger (a :class:`~zeroshot_tags.config.TaggerConfig` or a
            mapping of its fields, as a worker receives it).
        top: hashtags per photo.
        sample, seed: draw the hashtags among the best (see ``Tagger.suggest``); a photo's
            draw depends on ``seed`` and its pixels only, not on its batch or its worker.
    """

    def __init__(self, config: TaggerConfig | Mapping[str, Any] = TaggerConfig(), top: int = DEFAULT_TOP,
                 sample: bool = False, seed: Optional[int] = None) -> None:
        from ..tagging.tagger import Tagger

        self.tagger = Tagger.from_config(config if isinstance(config, TaggerConfig) else TaggerConfig(**config))
        self.top = top
        self.sample = sample
        self.seed = seed

    def __call__(self, batch: Mapping[str, Sequence]) -> dict[str, list]:
        """Suggestions for a batch with the columns ``path`` and ``bytes`` (lists, arrays or
        pandas columns); one output row per input row, in order."""
        paths = [str(path) for path in batch["path"]]
        photos = [bytes(data) if data is not None else b"" for data in batch["bytes"]]
        rows: dict[str, list] = {column: [] for column in OUTPUT_COLUMNS}
        for path, photo, result in zip(paths, photos, self.tagger.suggest_many(
                photos, self.top, sample=self.sample, seed=self.seed)):
            rows["path"].append(path)
            suggestions = result.suggestions or []
            rows["hashtags"].append([s.hashtag for s in suggestions])
            rows["scores"].append([float(s.score) for s in suggestions])
            rows["error"].append(None if result.error is None else _naming(path, photo, result.error))
        return rows


def _naming(path: str, photo: bytes, error: Exception) -> str:
    """An error's message with the photo's path in place of its bytes' description."""
    message = str(error)
    prefix = f"{describe(photo)}: "
    return f"{path}: {message[len(prefix):] if message.startswith(prefix) else message}"


def tag_frames(frames, config: TaggerConfig = TaggerConfig(), top: int = DEFAULT_TOP,
               step: Optional[TaggingStep] = None, sample: bool = False, seed: Optional[int] = None):
    """Spark's ``mapInPandas`` form: pandas DataFrames of ``path`` and ``bytes`` (Spark's
    ``binaryFile`` source calls them ``path`` and ``content``) in, DataFrames of the output
    columns out; the step (its tagger) is built once per Python worker and kept there."""
    import pandas as pd

    step = step or worker_step(config, top, sample, seed)
    for frame in frames:
        frame = frame.rename(columns={"content": "bytes"})
        yield pd.DataFrame(step(frame), columns=list(OUTPUT_COLUMNS))


@functools.lru_cache(maxsize=4)
def worker_step(config: TaggerConfig, top: int, sample: bool = False, seed: Optional[int] = None) -> TaggingStep:
    """The process's step for these arguments, built on first use."""
    return TaggingStep(config, top, sample, seed)
