"""Tagging on Ray Data (the ``ray`` extra): photos read as bytes with ``read_binary_files``
(never ``read_images``: one bad file would fail the job, and every photo would be decoded at
full size), tagged by a pool of actors that each build their tagger once, the same rows as
the local path.

Each actor takes ``(CPUs - READ_HEADROOM_CPUS) / actors`` CPUs and a read task
``READ_TASK_CPUS``, so the read and write tasks always find room (a pool that takes every CPU can stall the job), and sets the network's threads to
its share. The semantic space (and the ONNX graph) is built once, on the driver, into the shared cache directory,
which the actors read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Optional, Sequence, Union

from ..config import DEFAULT_TOP, TaggerConfig
from ..extras import missing_extra
from .batch_step import INPUT_COLUMNS, TaggingStep

if TYPE_CHECKING:
    import ray.data

READ_HEADROOM_CPUS = 0.5
"""CPUs the actor pool leaves to Ray Data's read and write tasks."""
READ_TASK_CPUS = 0.25
"""CPUs a read task asks for (reading bytes is I/O), so two fit in the headroom."""
ACTOR_MEMORY_BYTES = 1_500_000_000
"""Memory Ray reserves per actor: a tagger with its models (measured about 1 GB) and a batch."""
BATCH_SIZE = 16


class _RayTaggingStep(TaggingStep):
    """The batch step as a Ray actor: the network's threads set to the actor's CPUs first."""

    def __init__(self, config: dict, top: int, threads: int, sample: bool, seed: Optional[int]) -> None:
        super().__init__({**config, "threads": threads}, top, sample, seed)


def tag_with_ray(source: Union["ray.data.Dataset", str, os.PathLike, Sequence[Union[str, os.PathLike]]],
                 config: TaggerConfig = TaggerConfig(), top: int = DEFAULT_TOP, actors: Optional[int] = None,
                 address: Optional[str] = None, sample: bool = False,
                 seed: Optional[int] = None) -> "ray.data.Dataset":
    """A Ray Dataset of suggestions (``path``, ``hashtags``, ``scores``, ``error``) for the
    photos of ``source``: a Dataset with ``path`` and ``bytes`` columns; Parquet files
    (``.parquet``) with those columns; or files, folders, globs or URIs (``s3://...``) of
    photos, which :func:`ray.data.read_binary_files` reads.

    Ray is started (or joined at ``address``) when it is not running. ``actors`` defaults to
    one per whole CPU left after the read headroom. ``sample`` and ``seed`` draw each photo's
    hashtags as ``Tagger.suggest_many`` does, with the same draw for the same photo.

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
    Tagger.from_config(config)  # the driver builds the cached semantic space and ONNX graph the actors read
    photos = source if isinstance(source, ray.data.Dataset) else read_photos(source)
    cpus = ray.cluster_resources().get("CPU", 1.0)
    actors = actors or max(1, int(cpus - READ_HEADROOM_CPUS))
    share = max(0.1, (cpus - READ_HEADROOM_CPUS) / actors)
    plain = {name: value for name, value in vars(config).items()}
    return photos.map_batches(_RayTaggingStep, batch_size=BATCH_SIZE, batch_format="numpy",
                              fn_constructor_kwargs={"config": plain, "top": top, "threads": max(1, round(share)),
                                                     "sample": sample, "seed": seed},
                              compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=share,
                              memory=ACTOR_MEMORY_BYTES)


def read_photos(source: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]) -> "ray.data.Dataset":
    """A Dataset of ``path`` and ``bytes`` rows: the rows of Parquet files when every
    source ends in ``.parquet``, else the photo files themselves (read as bytes)."""
    import ray.data

    paths = [os.fspath(path) for path in ([source] if isinstance(source, (str, os.PathLike)) else source)]
    if paths and all(path.endswith(".parquet") for path in paths):
        # Ray's second Parquet reader lists the files in a task that takes a whole CPU, which
        # the actor pool leaves no room for (the job waits forever); the first reads them in
        # read tasks of READ_TASK_CPUS.
        context = ray.data.DataContext.get_current()
        second_reader = getattr(context, "use_datasource_v2", False)
        context.use_datasource_v2 = False
        try:
            return ray.data.read_parquet(paths, columns=list(INPUT_COLUMNS), num_cpus=READ_TASK_CPUS)
        finally:
            context.use_datasource_v2 = second_reader
    return ray.data.read_binary_files(paths, include_paths=True, num_cpus=READ_TASK_CPUS)
