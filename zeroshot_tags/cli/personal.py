"""``zstags learn``: a profile from a person's own posts, for ``zstags suggest --profile``."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEFAULT_BACKBONE
from .common import BACKBONE_NAMES, fail


@click.command()
@click.argument("history", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the profile (for --profile).")
@click.option("--backbone", default=DEFAULT_BACKBONE, show_default=True, type=click.Choice(BACKBONE_NAMES),
              help="The backbone whose features the profile learns from (suggest with the same).")
def learn(history: Path, out: Path, backbone: str) -> None:
    """Learn a profile from HISTORY, your own posts: a CSV of file,tags (tags separated by
    spaces, # optional; paths relative to the CSV), a folder holding one, or an Instagram data
    export (JSON: each post's photos with its caption's hashtags). Photos that cannot be read
    are reported and left out (exit status 1); the profile is still written."""
    from ..errors import ZeroShotTagsError
    from ..personal.profile import Profile

    skipped = []

    def report_skipped(error) -> None:
        skipped.append(error)
        click.echo(f"zstags: {' '.join(str(error).split())}; photo left out", err=True)

    def report_epoch(epoch) -> None:
        click.echo(f"head epoch {epoch.epoch}: loss {epoch.train_loss:.4f} val loss {epoch.val_loss:.4f}", err=True)

    try:
        profile = Profile.learn(history, backbone, on_skipped=report_skipped, on_epoch=report_epoch)
        profile.save(out)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    click.echo(f"{out}: {len(profile.hashtags)} hashtags of {len(profile.features)} photos")
    if skipped:
        raise SystemExit(1)
