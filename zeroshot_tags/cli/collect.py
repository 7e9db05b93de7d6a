"""``zstags collect`` and ``zstags dedup``: a labelled photo set from open image sources, and
its duplicates removed; the first steps of the cascade collect -> dedup -> clean -> train."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from ..config import COLLECT_SOURCES, CollectSettings, DedupSettings
from .common import fail

_COLLECT = CollectSettings()
_DEDUP = DedupSettings()
_SOURCE_NAMES = tuple(name for name, _ in COLLECT_SOURCES)


def dedup_options(command):
    """The duplicate rule's options, with :class:`DedupSettings`' defaults."""
    for option in reversed([
        click.option("--max-distance", type=click.IntRange(min=0), default=_DEDUP.max_distance, show_default=True,
                     help="Photos whose average and perceptual hashes both differ in at most this "
                          "many bits are duplicates."),
        click.option("--hash-size", type=click.IntRange(min=4), default=_DEDUP.hash_size, show_default=True,
                     help="Side of the hashes (bits: its square)."),
    ]):
        command = option(command)
    return command


@click.command()
@click.argument("words", nargs=-1)
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="The photo set's folder: one folder per word, sources.csv, duplicates.csv.")
@click.option("--words-file", type=click.File(encoding="utf-8"), default=None,
              help="A file of words, one a line (as well as WORDS).")
@click.option("--per-class", type=click.IntRange(min=1), default=_COLLECT.per_class, show_default=True,
              help="Photos per word.")
@click.option("--source", "sources", multiple=True, type=click.Choice(_SOURCE_NAMES),
              default=_SOURCE_NAMES, show_default=True,
              help="An image source, searched in the order given (repeat for more).")
@click.option("--endpoint", "endpoints", multiple=True, metavar="SOURCE=URL",
              help="Search a source at another address (repeat for more), e.g. a mirror.")
@click.option("--dedup/--no-dedup", default=True, show_default=True,
              help="Leave out photos that repeat one already collected, in any class.")
@dedup_options
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=_COLLECT.timeout,
              show_default=True, help="Seconds a search or a photo's download may take.")
@click.option("--retries", type=click.IntRange(min=0), default=_COLLECT.retries, show_default=True,
              help="Retries of a request that failed for a passing reason (429, 5xx, a timeout).")
def collect(words: tuple[str, ...], out: str, words_file, per_class: int, sources: tuple[str, ...],
            endpoints: tuple[str, ...], dedup: bool, max_distance: int, hash_size: int, timeout: float,
            retries: int) -> None:
    """Search open image sources (Openverse, then Wikimedia Commons) for each of WORDS and
    download its photos into OUT/<word>/, with their attribution in OUT/sources.csv. Running
    the same command again resumes without downloading twice.

    \b
    The cascade from words to a model:
      zstags collect forest sea glacier --out scenes
      zstags dedup scenes            (collect already leaves duplicates out)
      zstags clean scenes --out scenes/cleaned.csv
      zstags train scenes/cleaned.csv --out scenes.pt
      zstags evaluate scenes/cleaned.csv --out scenes-report
    """
    from ..collect.downloader import collect_photos
    from ..errors import ZeroShotTagsError

    words = words + tuple(line.strip() for line in (words_file or ()) if line.strip())
    if not words:
        fail("give at least one word (WORDS or --words-file)")
    try:
        addresses = dict(COLLECT_SOURCES) | _endpoints(endpoints)
        settings = CollectSettings(per_class=per_class, sources=tuple((name, addresses[name]) for name in sources),
                                   timeout=timeout, retries=retries,
                                   dedup=DedupSettings(hash_size, max_distance) if dedup else None)
        results = collect_photos(words, Path(out), settings, show_progress_bar=sys.stderr.isatty(),
                                 on_word=_report_word)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    empty = [result.word for result in results if not result.photos]
    click.echo(f"{out}: {sum(r.photos for r in results)} photos of {len(results) - len(empty)} words; "
               f"attribution in {Path(out) / 'sources.csv'}")
    if len(empty) == len(results):
        sys.exit(1)


@click.command()
@click.argument("data", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Only list the duplicates; change nothing.")
@dedup_options
def dedup(data: str, dry_run: bool, max_distance: int, hash_size: int) -> None:
    """Find photos of DATA (class folders, a labels.csv in it, or such a CSV file) that repeat
    another, within and across classes, and remove them: a test photo that repeats a training
    photo leaves the test split, otherwise the largest copy stays. Removed photos are listed
    in duplicates.csv beside the set, and their rows leave its labels.csv and sources.csv."""
    from ..collect.dedup import find_duplicates, remove_duplicates
    from ..errors import ZeroShotTagsError

    try:
        report = find_duplicates(Path(data), DedupSettings(hash_size, max_distance))
        for duplicate in report.removed:
            click.echo(f"duplicate\t{duplicate.path}\t{duplicate.split or duplicate.label}\tof {duplicate.kept}"
                       f"\t{duplicate.distance} bits")
        for problem in report.unreadable:
            click.echo(f"zstags: {problem}", err=True)
        listed: Optional[Path] = None if dry_run else remove_duplicates(report)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    verb, count = "found" if dry_run else "removed", len(report.removed)
    click.echo(f"{verb} {count} duplicate{'' if count == 1 else 's'} among {report.checked} photos"
               + (f"; listed in {listed}" if listed else " (dry run: nothing changed)"))


def _endpoints(pairs: tuple[str, ...]) -> dict[str, str]:
    """``SOURCE=URL`` options as a dict; a bad one stops with one line."""
    endpoints = {}
    for pair in pairs:
        name, _, url = pair.partition("=")
        if name not in _SOURCE_NAMES or not url.startswith(("http://", "https://")):
            fail(f"--endpoint {pair!r}: give SOURCE=URL, SOURCE one of {', '.join(_SOURCE_NAMES)}")
        endpoints[name] = url
    return endpoints


def _report_word(result) -> None:
    """One line per word on stdout; its failures and notes on stderr."""
    for line in result.failures + result.notes:
        click.echo(f"zstags: {line}", err=True)
    if not result.photos:
        click.echo(f"zstags: no photos found for {result.word!r}", err=True)
    click.echo(f"{result.label}: {result.photos} photos ({result.downloaded} new, "
               f"{result.duplicates} duplicates left out, {len(result.failures)} failed)")
