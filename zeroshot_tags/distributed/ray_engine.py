"""Tagging on Ray Data (the ``ray`` extra): photos read as bytes with ``read_binary_files``
(never ``read_images``: one bad file would fail the job, and every photo would be decoded at
full size), tagged by a pool of actors that each build their tagger once, the same rows as
the local path.

Each actor takes ``(CPUs - READ_HEADROOM_CPUS) / actors`` CPUs and a read task
``READ_TASK_CPUS``, so the read and write tasks always find room (a pool that takes every CPU can stall the job), and sets torch's threads to
its share. The semantic space is built once, on the driver, into the shared cache directory,
which the actors read.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from ..config import DEFAULT_TOP, TaggerConfig
from ..extras import missing_extra
from .batch_step import TaggingStep

READ_HEADROOM_CPUS = 0.5
"""CPUs the actor pool leaves to Ray Data's read and write tasks."""
READ_TASK_CPUS = 0.25
"""CPUs a read task asks for (reading bytes is I/O), so two fit in the headroom."""
ACTOR_MEMORY_BYTES = 1_500_000_000
"""Memory Ray reserves per actor: a tagger with its models (measured about 1 GB) and a batch."""
BATCH_SIZE = 16


class _RayTaggingStep(TaggingStep):
    """The batch step as a Ray actor: torch's threads set to the actor's CPUs first."""

    def __init__(self, config: dict, top: int, threads: int) -> None:
        super().__init__({**config, "threads": threads}, top)


def tag_with_ray(source: Union["ray.data.Dataset", str, os.PathLike, Sequence[Union[str, os.PathLike]]],
                 config: TaggerConfig = TaggerConfig(), top: int = DEFAULT_TOP, actors: Optional[int] = None,
                 address: Optional[str] = None) -> "ray.data.Dataset":
    """A Ray Dataset of suggestions (``path``, ``hashtags``, ``scores``, ``error``) for the
    photos of ``source``: a Dataset with ``path`` and ``bytes`` columns, or files, folders,
    globs or URIs (``s3://...``) that :func:`ray.data.read_binary_files` reads.

    Ray is started (or joined at ``address``) when it is not running. ``actors`` defaults to
    one per whole CPU left after the read headroom.

    Raises:
        MissingExtraError: Ray Data is not installed.
    """
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise missing_extra("ray", error) from error
    from ..tagging.tagger import Tagger

    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(address=address, include_dashboard=False, configure_logging=False)
    Tagger.from_config(config)  # the driver builds the cached semantic space the actors read
    if isinstance(source, ray.data.Dataset):
        photos = source
    else:
        paths = [os.fspath(path) for path in ([source] if isinstance(source, (str, os.PathLike)) else source)]
        photos = ray.data.read_binary_files(paths, include_paths=True, num_cpus=READ_TASK_CPUS)
    cpus = ray.cluster_resources().get("CPU", 1.0)
    actors = actors or max(1, int(cpus - READ_HEADROOM_CPUS))
    share = max(0.1, (cpus - READ_HEADROOM_CPUS) / actors)
    plain = {name: value for name, value in vars(config).items()}
    return photos.map_batches(_RayTaggingStep, batch_size=BATCH_SIZE, batch_format="numpy",
                              fn_constructor_kwargs={"config": plain, "top": top, "threads": max(1, round(share))},
                              compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=share,
                              memory=ACTOR_MEMORY_BYTES)
