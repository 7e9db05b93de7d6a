"""``zstags serve``: the web app."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from ..config import ServerLimits, TaggerConfig
from .common import fail


_LIMITS = ServerLimits()
_MB = 1024 * 1024


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--model", "models", multiple=True, type=click.Path(dir_okay=False),
              help="A model made by 'zstags train', offered beside zero-shot (repeatable).")
@click.option("--profile", "profiles", multiple=True, type=click.Path(dir_okay=False),
              help="A profile made by 'zstags learn': zero-shot blended with your own posts (repeatable).")
@click.option("--max-upload-mb", type=click.FloatRange(min=0, min_open=True),
              default=_LIMITS.max_upload_bytes / _MB, show_default=True,
              help="Largest photo upload or download.")
@click.option("--max-megapixels", type=click.FloatRange(min=0, min_open=True),
              default=_LIMITS.max_pixels / 1e6, show_default=True, help="Largest photo size.")
@click.option("--allow-private-urls", is_flag=True,
              help="Let the server fetch URLs on loopback and private networks (off: refused).")
@click.option("--max-photos-at-once", type=click.IntRange(min=1), default=_LIMITS.max_photos_at_once,
              show_default=True, help="Photos read, decoded and tagged at once (others wait): bounds memory.")
@click.option("--max-connections", type=click.IntRange(min=1), default=_LIMITS.max_connections,
              show_default=True,
              help="Open connections at most; more get 503 at once: bounds what waiting requests hold.")
def serve(host: str, port: int, models: tuple[str, ...], profiles: tuple[str, ...], max_upload_mb: float,
          max_megapixels: float, allow_private_urls: bool, max_photos_at_once: int,
          max_connections: int) -> None:
    """Serve the web page and JSON API: drop a photo, refine its hashtags."""
    from ..errors import ZeroShotTagsError
    from ..extras import missing_extra
    from ..tagging.tagger import Tagger
    from ..tagging.trained_tagger import TrainedTagger

    try:
        import uvicorn

        from ..web.app import ServedModel, create_app
    except ImportError as error:
        fail(str(missing_extra("web", error)))
    except ZeroShotTagsError as error:
        fail(str(error))
    try:
        config = TaggerConfig()
        served = [ServedModel("zero-shot", f"zero-shot (ConSE, {config.backbone})", Tagger.from_config(config))]
        for path in profiles:
            personal = Tagger.from_config(dataclasses.replace(config, profile=path))
            served.append(ServedModel(f"profile-{Path(path).stem}", f"zero-shot + your posts: {Path(path).name} "
                                      f"({len(personal.profile.hashtags)} hashtags)", personal))
        for path in models:
            trained = TrainedTagger(path)
            served.append(ServedModel(Path(path).stem, f"trained: {Path(path).name} "
                                      f"({len(trained.entries)} classes)", trained))
        limits = ServerLimits(round(max_upload_mb * _MB), round(max_megapixels * 1_000_000),
                              allow_private_urls, max_photos_at_once, max_connections)
    except ZeroShotTagsError as error:
        fail(str(error))
    click.echo(f"zstags: serving on http://{host}:{port}/", err=True)
    uvicorn.run(create_app(served, limits), host=host, port=port, log_level="warning",
                limit_concurrency=limits.max_connections)
