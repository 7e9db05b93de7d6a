"""The ``zstags`` command: a thin layer over the library, imported lazily so --help is instant."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional, Union

import click

from ..config import (DEFAULT_ACCEPT_WEIGHT, DEFAULT_CAPTION_WEIGHT, DEFAULT_PROFILE_SPREAD_WEIGHT,
                      DEFAULT_SPREAD_WEIGHT, DEFAULT_TOP, ENGINES, HASHTAG_MODELS,
                      HUBNESS, LABEL_TEXT_CHOICES, MAX_TOP, OUTPUT_FORMATS, RUNTIMES,
                      TaggerConfig)
from ..errors import ImageError, ZeroShotTagsError
from ..files import os_error_reason
from ..supervised.labelled import IMAGE_SUFFIXES
from .collect import collect, dedup
from .common import BACKBONE_NAMES, check_backbone, fail
from .hashtags import hashtags
from .personal import learn
from .supervised import clean, evaluate, train
from .web import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zeroshot-tags")
def main() -> None:
    """Suggest Instagram-style hashtags for photos by zero-shot learning (ConSE)."""
    logging.basicConfig(format="zstags: %(message)s", level=logging.WARNING)


def tagger_options(command: Callable) -> Callable:
    """Add the options that describe a zero-shot tagger, with :class:`TaggerConfig`'s
    defaults; the command receives them as one ``config``."""
    defaults = TaggerConfig()
    options = [
        click.option("--vocab", "vocabulary", type=click.Path(dir_okay=False), default=None,
                     help="Vocabulary file that replaces the built-in one."),
        click.option("--extra-vocab", "extra_vocabulary", type=click.Path(dir_okay=False), default=None,
                     help="Vocabulary file added to the built-in one."),
        click.option("--backbone", default=defaults.backbone, show_default=True,
                     callback=lambda ctx, param, value: check_backbone(value),
                     help=f"ImageNet classifier: {', '.join(BACKBONE_NAMES)}; several joined by '+' "
                          "average their probabilities."),
        click.option("--flip", is_flag=True, help="Average each photo with its mirror image."),
        click.option("--vectors", multiple=True, metavar="SPEC[@WEIGHT]", default=defaults.vectors,
                     show_default=True,
                     help="A semantic source (repeat to combine): glove-6b-50d, all-MiniLM-L6-v2, a "
                          "word2vec/GloVe file, a sentence-transformers folder, or a gensim-downloader "
                          "name."),
        click.option("--vectors-limit", type=click.IntRange(min=1), default=None,
                     help="Read only the first N vectors of a vectors file."),
        click.option("--label-text", type=click.Choice(LABEL_TEXT_CHOICES), default=defaults.label_text,
                     show_default=True,
                     help="What ImageNet classes are embedded from (auto: synonyms for word vectors, "
                          "names for sentence encoders)."),
        click.option("--template", default=defaults.template, show_default=True,
                     help="Phrase a vocabulary word is set in for sentence encoders, e.g. 'a photo of {}'."),
        click.option("--hubness", type=click.Choice(HUBNESS), default=defaults.hubness, show_default=True,
                     help="Hubness reduction."),
        click.option("--top-classes", "-T", type=click.IntRange(min=1), default=defaults.top_classes,
                     show_default=True, help="ImageNet classes combined into the query."),
        click.option("--temperature", type=click.FloatRange(min=0, min_open=True),
                     default=defaults.temperature, show_default=True,
                     help="Probabilities are raised to 1/temperature before weighting."),
        click.option("--custom-hashtags", type=click.Path(dir_okay=False), default=None,
                     help="File of your own hashtags to add (default: the one 'zstags hashtags add' "
                          "writes, with the built-in vocabulary)."),
        click.option("--batch-size", type=click.IntRange(min=1), default=defaults.batch_size,
                     show_default=True, help="Photos per forward pass."),
        click.option("--hashtag-model", default=defaults.hashtag_model, show_default=True, metavar="NAME|FILE",
                     callback=lambda _context, _option, value: None if value == "none" else value,
                     help=f"What people post: {', '.join(HASHTAG_MODELS)} (shipped), a file 'zstags hashtags "
                          "learn' wrote, auto (harrison with the built-in vocabulary, none with "
                          "--vocabulary) or none (rank by relevance alone)."),
        click.option("--seed-temperature", type=click.FloatRange(min=0, min_open=True),
                     default=defaults.seed_temperature, show_default=True,
                     help="How sharply relevance picks the seed hashtags (with a hashtag model)."),
        click.option("--prior-weight", type=click.FloatRange(min=0), default=defaults.prior_weight,
                     show_default=True, help="How much a seed hashtag's popularity counts (with a hashtag model)."),
        click.option("--cooccurrence-weight", type=click.FloatRange(min=0),
                     default=defaults.cooccurrence_weight, show_default=True,
                     help="How much the hashtags posted with the seeds count (with a hashtag model)."),
        click.option("--spread-weight", type=click.FloatRange(0, 1), default=defaults.spread_weight,
                     help="How much a hashtag in the list holds back the ones posted with it, so the list "
                          f"covers more guesses (0: by score alone; default: {DEFAULT_SPREAD_WEIGHT:g}, "
                          f"{DEFAULT_PROFILE_SPREAD_WEIGHT:g} with a profile)."),
        click.option("--related-weight", type=click.FloatRange(0, 1), default=defaults.related_weight,
                     show_default=True,
                     help="How far an entry's related hashtags follow it in the list (#car -> #cars), "
                          "the k-th scoring weight**k times the entry (with a hashtag model and no "
                          "profile; 0: none)."),
        click.option("--people/--no-people", default=defaults.people,
                     help="Look for faces: a photo with one seeds #selfie (default: when the 'people' "
                          "extra is installed)."),
        click.option("--people-weight", type=click.FloatRange(min=0, max=1), default=defaults.people_weight,
                     show_default=True, help="The share of the seeds a face moves to #selfie."),
        click.option("--threads", type=click.IntRange(min=1), default=defaults.threads,
                     help="The network's threads (default: the cores shared among the two lanes "
                          "that tag batches, at least one)."),
        click.option("--runtime", type=click.Choice(RUNTIMES), default=defaults.runtime, show_default=True,
                     help="What runs the network: onnx (ONNX Runtime), torch, or auto (ONNX Runtime on "
                          "the CPU)."),
        click.option("--profile", type=click.Path(dir_okay=False), default=None,
                     help="A profile 'zstags learn' wrote: your own posts' hashtags blend in."),
        click.option("--personal-weight", type=click.FloatRange(0, 1), default=defaults.personal_weight,
                     show_default=True, help="The profile's share of a suggestion's score."),
        click.option("--neighbour-weight", type=click.FloatRange(min=0), default=defaults.neighbour_weight,
                     show_default=True, help="How much the profile's nearest photos' hashtags count."),
        click.option("--factor-weight", type=click.FloatRange(min=0), default=defaults.factor_weight,
                     show_default=True, help="How much the profile's ALS factors count."),
        click.option("--head-weight", type=click.FloatRange(min=0), default=defaults.head_weight,
                     show_default=True, help="How much the profile's multi-label head counts."),
        click.option("--own-cooccurrence-weight", type=click.FloatRange(min=0),
                     default=defaults.own_cooccurrence_weight, show_default=True,
                     help="How much the hashtags you post with the photo's seed hashtags count (with a profile)."),
        click.option("--neighbours", type=click.IntRange(min=1), default=defaults.neighbours, show_default=True,
                     help="How many of your photos nearest a new one vote its hashtags (with a profile)."),
        click.option("--coverage-weight", type=click.FloatRange(min=0), default=defaults.coverage_weight,
                     show_default=True,
                     help="How much a hashtag in the list holds back the others the photo's nearest "
                          "posts of yours carry with it, so the list covers more of them (with a profile)."),
    ]
    names = {field.name for field in dataclasses.fields(TaggerConfig)}

    @functools.wraps(command)
    def with_config(**values):
        try:
            values["config"] = TaggerConfig(**{name: values.pop(name) for name in names & set(values)})
        except ZeroShotTagsError as error:
            fail(str(error))
        return command(**values)

    for option in reversed(options):
        with_config = option(with_config)
    return with_config


@main.command()
@click.argument("images", nargs=-1, required=True)
@click.option("--top", "-n", default=DEFAULT_TOP, show_default=True, type=click.IntRange(1, MAX_TOP),
              help="Hashtags per image (Instagram allows 30 per post).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image.")
@click.option("--scores", is_flag=True, help="Show each hashtag's score.")
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="A model made by 'zstags train': suggest the hashtags of its most probable "
                   "classes instead of zero-shot ones.")
@tagger_options
@click.option("--accept", "accepted", multiple=True, metavar="#TAG",
              help="A hashtag already chosen (repeat for more): suggestions move toward it and "
                   "it is not suggested again.")
@click.option("--caption", default=None, help="The post's text: its meaning joins the photo's "
                                              "(zero-shot only).")
@click.option("--accept-weight", type=click.FloatRange(min=0), default=DEFAULT_ACCEPT_WEIGHT,
              show_default=True, help="How strongly accepted hashtags pull.")
@click.option("--caption-weight", type=click.FloatRange(min=0), default=DEFAULT_CAPTION_WEIGHT,
              show_default=True, help="How strongly the caption pulls.")
@click.option("--sample", is_flag=True, help="Draw hashtags among the best by score.")
@click.option("--seed", type=int, default=None, help="Seed for --sample.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write rows (path, hashtags, scores, error) into this folder instead of printing.")
@click.option("--format", "out_format", type=click.Choice(OUTPUT_FORMATS), default=OUTPUT_FORMATS[0], show_default=True,
              help="The files --out writes.")
@click.option("--engine", type=click.Choice(ENGINES), default=ENGINES[0], show_default=True,
              help="Tag here, or on Ray Data (the 'ray' extra; needs --out; files, folders, URIs "
                   "Ray reads, such as s3://..., or Parquet files of path and bytes columns).")
@click.option("--ray-address", default=None, help="A Ray cluster to join (default: start one here).")
def suggest(images: tuple[str, ...], top: int, as_json: bool, scores: bool, model: Optional[str],
            config: TaggerConfig, accepted: tuple[str, ...], caption: Optional[str],
            accept_weight: float, caption_weight: float, sample: bool, seed: Optional[int],
            out: Optional[Path], out_format: str, engine: str, ray_address: Optional[str]) -> None:
    """Suggest hashtags for IMAGES: files, folders (searched recursively) or http(s) URLs."""
    if engine == "ray":
        tag_on_ray(images, top, config, out, out_format, ray_address, sample, seed)
        return
    from tqdm import tqdm

    from ..tagging.tagger import Tagger
    from ..tagging.trained_tagger import TrainedTagger

    expanded = list(expand_sources(images))
    sources = [item for item in expanded if isinstance(item, str)]
    failures = 0
    for problem in (item for item in expanded if isinstance(item, ImageError)):
        failures += 1
        click.echo(printable(f"zstags: {problem}"), err=True)
    if not sources:
        sys.exit(1)
    try:
        if model is not None:
            tagger = TrainedTagger(model, config.vocabulary, extra_vocabulary=config.extra_vocabulary,
                                   batch_size=config.batch_size)
        else:
            tagger = Tagger.from_config(config)
    except ZeroShotTagsError as error:
        fail(printable(str(error)))
    if out is not None:
        from ..distributed.output import result_rows, write_rows

        results = tagger.suggest_many(sources, top, accepted=accepted, caption=caption,
                                      accept_weight=accept_weight, caption_weight=caption_weight,
                                      sample=sample, seed=seed)
        rows = result_rows(results)
        written = write_rows(rows, out, out_format)
        errors = sum(error is not None for error in rows["error"])
        click.echo(f"zstags: {len(rows['path'])} photos, {errors} unreadable: {written}", err=True)
        sys.exit(1 if failures or errors else 0)
    show_bar = len(sources) > 1 and sys.stderr.isatty()
    with tqdm(total=len(sources), unit="image", file=sys.stderr, disable=not show_bar) as bar:
        results = tagger.suggest_many(sources, top, accepted=accepted, caption=caption,
                                      accept_weight=accept_weight, caption_weight=caption_weight,
                                      sample=sample, seed=seed)
        try:
            for result in results:
                if result.error is not None:
                    failures += 1
                    tqdm.write(printable(f"zstags: {result.error}"), file=sys.stderr)
                else:
                    tqdm.write(format_result(result, as_json, scores, many=len(expanded) > 1),
                               file=sys.stdout)
                bar.update()
        except ZeroShotTagsError as error:  # a bad --accept, or the caption's models missing
            fail(str(error))
    if failures:
        sys.exit(1)


def tag_on_ray(images: tuple[str, ...], top: int, config: TaggerConfig, out: Optional[Path], out_format: str,
               address: Optional[str], sample: bool, seed: Optional[int]) -> None:
    """``zstags suggest --engine ray``: tag on Ray Data and write the rows into ``out``."""
    if out is None:
        fail("--engine ray writes its rows into a folder: give --out")
    from ..distributed.output import write_dataset
    from ..distributed.ray_engine import tag_with_ray

    local = [item for item in expand_sources(images) if not isinstance(item, ImageError)]
    try:
        rows = tag_with_ray(local or list(images), config, top, address=address, sample=sample,
                            seed=seed).materialize()
        write_dataset(rows, out, out_format)
    except ZeroShotTagsError as error:
        fail(str(error))
    errors = rows.filter(lambda row: row["error"] is not None).count()
    click.echo(f"zstags: {rows.count()} photos, {errors} unreadable: {out}", err=True)
    if errors:
        sys.exit(1)


def expand_sources(arguments: tuple[str, ...]) -> Iterator[Union[str, ImageError]]:
    """URLs and files as given; folders replaced by what :func:`folder_images` finds."""
    for argument in arguments:
        if os.path.isdir(argument):  # False, never an error, for a name too long or unreachable
            yield from folder_images(Path(argument))
        else:
            yield argument


def folder_images(folder: Path) -> list[Union[str, ImageError]]:
    """The names under ``folder`` with an image suffix, sorted, whatever they are (loading
    reports a FIFO or a broken link without opening it), and an error for each subfolder that
    cannot be read; or one error when it has none of these. Links to folders are not followed."""
    found: list[tuple[Path, Union[str, ImageError]]] = []

    def unreadable(error: OSError) -> None:
        reason = os_error_reason(error.filename, error)
        found.append((Path(error.filename), ImageError(f"{error.filename}: {reason}")))

    for directory, _, names in os.walk(folder, onerror=unreadable):
        paths = (Path(directory, name) for name in names)
        found.extend((path, str(path)) for path in paths if path.suffix.lower() in IMAGE_SUFFIXES)
    if not found:
        return [ImageError(f"{folder}: no image files in this folder")]
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def printable(text: str) -> str:
    """``text`` with the bytes of a file name that is not UTF-8 written as ``\\xNN``, so that
    any UTF-8 stream can print it."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def format_result(result, as_json: bool, scores: bool, many: bool) -> str:
    """One line per image: hashtags (with scores on request), or a JSON object."""
    if as_json:
        return json.dumps({"image": printable(result.source),
                           "suggestions": [s.to_dict() for s in result.suggestions]})
    tags = " ".join(f"{s.hashtag} {s.score:.3f}" if scores else s.hashtag
                    for s in result.suggestions)
    return f"{printable(result.source)}\t{tags}" if many else tags


for command in (collect, dedup, train, clean, evaluate, hashtags, learn, serve):
    main.add_command(command)

if __name__ == "__main__":
    main()
