"""``zstags hashtags add|list|remove``: the user's own hashtags, and ``zstags serve``: the web app."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .cli_common import fail


@click.group()
def hashtags() -> None:
    """Your own hashtags, added to the built-in vocabulary of every zero-shot suggestion."""


def _hashtag_file(context: click.Context, parameter: click.Parameter, value: Optional[Path]) -> Path:
    from .custom import custom_hashtags_file

    return value or custom_hashtags_file()


FILE_OPTION = click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
                           default=None, callback=_hashtag_file,
                           help="The hashtag file (default: custom_hashtags.txt in the cache).")


@hashtags.command("add")
@click.argument("entries", nargs=-1, required=True)
@FILE_OPTION
def add_hashtags(entries: tuple[str, ...], path: Path) -> None:
    """Add ENTRIES: '#tag', or 'words: #tag #othertag' (the words are what gets embedded);
    at most 100 at a time, of at most 200 characters each."""
    from .custom import parse_custom_hashtags, save_custom_hashtags
    from .errors import ZeroShotTagsError

    try:
        added = parse_custom_hashtags(entries)
        save_custom_hashtags(added, path)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    click.echo(f"added {' '.join(entry.hashtags[0] for entry in added)} to {path}")


@hashtags.command("list")
@FILE_OPTION
def list_hashtags(path: Path) -> None:
    """Print your hashtags, one entry per line."""
    from .custom import read_custom_hashtags
    from .errors import ZeroShotTagsError

    try:
        vocabulary = read_custom_hashtags(path)
    except ZeroShotTagsError as error:
        fail(str(error))
    for entry in vocabulary.entries if vocabulary else ():
        click.echo(f"{entry.word}: {' '.join(entry.hashtags)}")


@hashtags.command("remove")
@click.argument("tags", nargs=-1, required=True)
@FILE_OPTION
def remove_hashtags(tags: tuple[str, ...], path: Path) -> None:
    """Remove the entries of TAGS (their first hashtags)."""
    from .custom import remove_custom_hashtags
    from .errors import ZeroShotTagsError

    try:
        removed = remove_custom_hashtags(tags, path)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    if not removed:
        fail(f"none of {' '.join(tags)} is in {path}")
    click.echo(f"removed {' '.join(removed)} from {path}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--model", "models", multiple=True, type=click.Path(dir_okay=False),
              help="A model made by 'zstags train', offered beside zero-shot (repeatable).")
@click.option("--max-upload-mb", type=click.FloatRange(min=0, min_open=True), default=20,
              show_default=True, help="Largest photo upload or download.")
@click.option("--max-megapixels", type=click.FloatRange(min=0, min_open=True), default=40,
              show_default=True, help="Largest photo size.")
@click.option("--allow-private-urls", is_flag=True,
              help="Let the server fetch URLs on loopback and private networks (off: refused).")
@click.option("--max-photos-at-once", type=click.IntRange(min=1), default=2, show_default=True,
              help="Photos read, decoded and tagged at once (others wait): bounds memory.")
@click.option("--max-connections", type=click.IntRange(min=1), default=100, show_default=True,
              help="Open connections at most; more get 503 at once: bounds what waiting requests hold.")
def serve(host: str, port: int, models: tuple[str, ...], max_upload_mb: float,
          max_megapixels: float, allow_private_urls: bool, max_photos_at_once: int,
          max_connections: int) -> None:
    """Serve the web page and JSON API: drop a photo, refine its hashtags."""
    import uvicorn

    from .errors import ZeroShotTagsError
    from .tagger import Tagger
    from .trained_tagger import TrainedTagger
    from .webapp import ServedModel, ServerLimits, create_app

    try:
        served = [ServedModel("zero-shot", "zero-shot (ConSE, efficientnet-lite0)", Tagger())]
        for path in models:
            trained = TrainedTagger(path)
            served.append(ServedModel(Path(path).stem, f"trained: {Path(path).name} "
                                      f"({len(trained.entries)} classes)", trained))
    except ZeroShotTagsError as error:
        fail(str(error))
    limits = ServerLimits(int(max_upload_mb * 1024 * 1024), int(max_megapixels * 1_000_000),
                          allow_private_urls, max_photos_at_once)
    click.echo(f"zstags: serving on http://{host}:{port}/", err=True)
    uvicorn.run(create_app(served, limits), host=host, port=port, log_level="warning",
                limit_concurrency=max_connections)
