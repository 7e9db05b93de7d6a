"""``zstags hashtags add|list|remove``: the user's own hashtags; ``zstags hashtags learn``: a
hashtag model from posts."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from ..config import MIN_HASHTAG_POSTS
from .common import fail


@click.group()
def hashtags() -> None:
    """Your own hashtags, added to the built-in vocabulary of every zero-shot suggestion."""


def _hashtag_file(context: click.Context, parameter: click.Parameter, value: Optional[Path]) -> Path:
    from ..vocabulary.custom import custom_hashtags_file

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
    from ..vocabulary.custom import parse_custom_hashtags, save_custom_hashtags
    from ..errors import ZeroShotTagsError

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
    from ..vocabulary.custom import read_custom_hashtags
    from ..errors import ZeroShotTagsError

    try:
        vocabulary = read_custom_hashtags(path)
    except ZeroShotTagsError as error:
        fail(str(error))
    for entry in vocabulary.entries if vocabulary else ():
        click.echo(entry.line)


@hashtags.command("remove")
@click.argument("tags", nargs=-1, required=True)
@FILE_OPTION
def remove_hashtags(tags: tuple[str, ...], path: Path) -> None:
    """Remove the entries of TAGS (their first hashtags)."""
    from ..vocabulary.custom import remove_custom_hashtags
    from ..errors import ZeroShotTagsError

    try:
        removed = remove_custom_hashtags(tags, path)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    if not removed:
        fail(f"none of {' '.join(tags)} is in {path}")
    click.echo(f"removed {' '.join(removed)} from {path}")


@hashtags.command("learn")
@click.argument("posts", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the hashtag model (.npz), for --hashtag-model.")
@click.option("--min-count", type=click.IntRange(min=1), default=MIN_HASHTAG_POSTS, show_default=True,
              help="Leave out hashtags used by fewer posts.")
def learn_hashtags(posts: Path, out: Path, min_count: int) -> None:
    """Learn a hashtag model from POSTS: a text file with one post per line (its caption, whose
    #hashtags are read, or its hashtags separated by spaces), or an Instagram data export in
    JSON (its folder or a posts_N.json file)."""
    from ..errors import ZeroShotTagsError
    from ..posts.hashtag_model import HashtagModel, caption_hashtags, line_hashtags
    from ..posts.instagram_export import export_captions

    try:
        if posts.is_dir() or posts.suffix.lower() == ".json":
            tag_lists = [caption_hashtags(caption) for caption in export_captions(posts)]
        else:
            lines = posts.read_text(encoding="utf-8", errors="replace").splitlines()
            tag_lists = [line_hashtags(line) for line in lines]
        model = HashtagModel.learn(tag_lists, min_count)
        model.save(out)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    click.echo(f"{out}: {len(model.hashtags)} hashtags used by at least {min_count} of {model.posts} posts")
