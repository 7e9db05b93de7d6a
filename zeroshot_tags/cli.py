"""The ``zstags`` command: a thin layer over the library, imported lazily so --help is instant."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Iterator, Optional

import click

from .labelled import IMAGE_SUFFIXES

BACKBONE_NAMES = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2",
                  "resnet18", "resnet50")  # backbones.BACKBONES, named here without importing torch
LABEL_TEXTS = ("auto", "synonyms", "names", "descriptions")  # labels.LABEL_TEXTS and "auto"
HUBNESS = ("csls", "center", "none")  # hubness.HUBNESS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zeroshot-tags")
def main() -> None:
    """Suggest Instagram-style hashtags for photos by zero-shot learning (ConSE)."""
    logging.basicConfig(format="zstags: %(message)s", level=logging.WARNING)


@main.command()
@click.argument("images", nargs=-1, required=True)
@click.option("--top", "-n", default=5, show_default=True, type=click.IntRange(min=1),
              help="Hashtags per image.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image.")
@click.option("--scores", is_flag=True, help="Show each hashtag's score.")
@click.option("--vocab", type=click.Path(dir_okay=False), default=None,
              help="Vocabulary file that replaces the built-in one.")
@click.option("--extra-vocab", type=click.Path(dir_okay=False), default=None,
              help="Vocabulary file added to the built-in one.")
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="A model made by 'zstags train': suggest the hashtags of its most probable "
                   "classes instead of zero-shot ones.")
@click.option("--backbone", default="efficientnet-lite0", show_default=True,
              callback=lambda ctx, param, value: check_backbone(value),
              help=f"ImageNet classifier: {', '.join(BACKBONE_NAMES)}; several joined by '+' "
                   "average their probabilities.")
@click.option("--flip", is_flag=True, help="Average each photo with its mirror image.")
@click.option("--vectors", multiple=True, metavar="SPEC[@WEIGHT]",
              help="A semantic source (repeat to combine): glove-6b-50d, all-MiniLM-L6-v2, a "
                   "word2vec/GloVe file, a sentence-transformers folder, or a gensim-downloader "
                   "name.  [default: glove-6b-50d@0.3 all-MiniLM-L6-v2@0.7]")
@click.option("--vectors-limit", type=click.IntRange(min=1), default=None,
              help="Read only the first N vectors of a vectors file.")
@click.option("--label-text", type=click.Choice(LABEL_TEXTS), default="auto", show_default=True,
              help="What ImageNet classes are embedded from (auto: synonyms for word vectors, "
                   "names for sentence encoders).")
@click.option("--template", default="{}", show_default=True,
              help="Phrase a vocabulary word is set in for sentence encoders, e.g. 'a photo of {}'.")
@click.option("--hubness", type=click.Choice(HUBNESS), default="csls", show_default=True,
              help="Hubness reduction.")
@click.option("--top-classes", "-T", type=click.IntRange(min=1), default=None,
              help="ImageNet classes combined into the query (default: measured best).")
@click.option("--temperature", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Probabilities are raised to 1/temperature before weighting.")
@click.option("--accept", "accepted", multiple=True, metavar="#TAG",
              help="A hashtag already chosen (repeat for more): suggestions move toward it and "
                   "it is not suggested again.")
@click.option("--caption", default=None, help="The post's text: its meaning joins the photo's "
                                              "(zero-shot only).")
@click.option("--accept-weight", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="How strongly accepted hashtags pull.")
@click.option("--caption-weight", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="How strongly the caption pulls.")
@click.option("--custom-hashtags", type=click.Path(dir_okay=False), default=None,
              help="File of your own hashtags to add (default: the one 'zstags hashtags add' "
                   "writes, with the built-in vocabulary).")
@click.option("--sample", is_flag=True, help="Draw hashtags among the best by score.")
@click.option("--seed", type=int, default=None, help="Seed for --sample.")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
def suggest(images: tuple[str, ...], top: int, as_json: bool, scores: bool,
            vocab: Optional[str], extra_vocab: Optional[str], model: Optional[str],
            backbone: str, flip: bool,
            vectors: tuple[str, ...], vectors_limit: Optional[int], label_text: str,
            template: str, hubness: str, top_classes: Optional[int], temperature: float,
            accepted: tuple[str, ...], caption: Optional[str], accept_weight: float,
            caption_weight: float, custom_hashtags: Optional[str],
            sample: bool, seed: Optional[int], batch_size: int) -> None:
    """Suggest hashtags for IMAGES: files, folders (searched recursively) or http(s) URLs."""
    from tqdm import tqdm

    from .errors import ZeroShotTagsError
    from .sources import DEFAULT_SOURCES
    from .tagger import DEFAULT_TOP_CLASSES, Tagger
    from .trained_tagger import TrainedTagger

    sources = list(expand_sources(images))
    if not sources:
        fail(f"no image files in {', '.join(images)}")
    try:
        if model is not None:
            tagger = TrainedTagger(model, vocab, extra_vocabulary=extra_vocab, batch_size=batch_size)
        else:
            tagger = Tagger(backbone, vectors or DEFAULT_SOURCES, vocab, extra_vocabulary=extra_vocab,
                            top_classes=top_classes or DEFAULT_TOP_CLASSES, temperature=temperature,
                            label_text=label_text, template=template, hubness=hubness, flip=flip,
                            vectors_limit=vectors_limit, custom_hashtags=custom_hashtags,
                            batch_size=batch_size)
    except ZeroShotTagsError as error:
        fail(str(error))
    failures = 0
    show_bar = len(sources) > 1 and sys.stderr.isatty()
    with tqdm(total=len(sources), unit="image", file=sys.stderr, disable=not show_bar) as bar:
        results = tagger.suggest_many(sources, top, accepted=accepted, caption=caption,
                                      accept_weight=accept_weight, caption_weight=caption_weight,
                                      sample=sample, seed=seed)
        try:
            for result in results:
                if result.error is not None:
                    failures += 1
                    tqdm.write(f"zstags: {result.error}", file=sys.stderr)
                else:
                    tqdm.write(format_result(result, as_json, scores, many=len(sources) > 1),
                               file=sys.stdout)
                bar.update()
        except ZeroShotTagsError as error:  # a bad --accept, or the caption's models missing
            fail(str(error))
    if failures:
        sys.exit(1)


@main.command()
@click.argument("data", type=click.Path())
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Where to write the trained model (.pt).")
@click.option("--clean", is_flag=True,
              help="First remove outlying training photos, as 'zstags clean' does.")
@click.option("--backbone", default="efficientnet-lite0", show_default=True,
              type=click.Choice(BACKBONE_NAMES), help="ImageNet backbone to fine-tune.")
@click.option("--finetune", type=click.Choice(("head", "all")), default="head", show_default=True,
              help="Train a new last layer on cached features, or the whole network.")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True), default=1e-3,
              show_default=True, help="AdamW learning rate.")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="AdamW weight decay.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--augment/--no-augment", default=False, show_default=True,
              help="Mirror photos as augmentation (worth trying with --finetune all).")
@click.option("--patience", type=click.IntRange(min=1), default=5, show_default=True,
              help="Stop after this many epochs without a lower validation loss.")
@click.option("--refit/--no-refit", default=True, show_default=True,
              help="Retrain on training and validation photos for the chosen number of epochs.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the splits, the initial head and the batch order.")
@click.option("--device", default="cpu", show_default=True, help="torch device.")
def train(data: str, out: str, clean: bool, backbone: str, finetune: str, epochs: int,
          learning_rate: float, weight_decay: float, batch_size: int, augment: bool,
          patience: int, refit: bool, seed: int, device: str) -> None:
    """Fine-tune an ImageNet backbone on DATA: class folders, a labels.csv (file,label[,split])
    in it, or such a CSV file."""
    from tqdm import tqdm

    from .backbones import load_backbone
    from .cleaning import clean_photos
    from .errors import ZeroShotTagsError
    from .features import FeatureExtractor
    from .labelled import read_labelled
    from .trained import save_checkpoint
    from .training import TrainingConfig, train_classifier

    try:
        photos = read_labelled(Path(data), seed)
        config = TrainingConfig(finetune=finetune, epochs=epochs, learning_rate=learning_rate,
                                weight_decay=weight_decay, batch_size=batch_size, augment=augment,
                                patience=patience, refit=refit, seed=seed, device=device)
        model = load_backbone(backbone, device)
        if clean:
            cleaned = clean_photos(photos, FeatureExtractor(model))
            click.echo(cleaning_summary(cleaned), err=True)
            photos = cleaned.kept
        with tqdm(total=epochs, unit="epoch", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            def report(epoch) -> None:
                bar.set_postfix(loss=f"{epoch.train_loss:.3f}", acc=f"{epoch.train_accuracy:.3f}",
                                val_acc=f"{epoch.val_accuracy:.3f}")
                bar.update()
                if bar.disable:
                    click.echo(f"epoch {epoch.epoch}: loss {epoch.train_loss:.3f} accuracy "
                               f"{epoch.train_accuracy:.3f} val loss {epoch.val_loss:.3f} "
                               f"val accuracy {epoch.val_accuracy:.3f}", err=True)

            result = train_classifier(model, photos, config, on_epoch=report)
        save_checkpoint(result, backbone, config, str(model.preprocess), Path(out))
    except ZeroShotTagsError as error:
        fail(str(error))
    click.echo(f"{out}: {len(result.classes)} classes; epoch {result.best_epoch} chosen, "
               f"validation accuracy {result.val_accuracy:.3f}"
               + ("; refit on train and validation photos" if refit else ""))


@main.command()
@click.argument("data", type=click.Path())
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="CSV (file,label,split) of the photos kept, for 'zstags train'.")
@click.option("--backbone", default="efficientnet-lite0", show_default=True,
              type=click.Choice(BACKBONE_NAMES), help="ImageNet backbone whose features are compared.")
@click.option("--components", type=click.IntRange(min=1), default=128, show_default=True,
              help="PCA components of the features.")
@click.option("--clusters", type=click.IntRange(min=1), default=1, show_default=True,
              help="k-means clusters per class.")
@click.option("--sigmas", type=click.FloatRange(min=0, min_open=True), default=2.0,
              show_default=True, help="A photo farther from its cluster centre than the class's "
                                      "median distance plus this many (robust) standard "
                                      "deviations is removed.")
@click.option("--seed", type=int, default=0, show_default=True)
def clean(data: str, out: str, backbone: str, components: int, clusters: int, sigmas: float,
          seed: int) -> None:
    """Find training photos of DATA that lie far from the rest of their class, list them, and
    write the other photos (test photos all kept) to a CSV."""
    from .backbones import load_backbone
    from .cleaning import CleaningSettings, clean_photos
    from .errors import ZeroShotTagsError
    from .features import FeatureExtractor
    from .labelled import read_labelled, write_labelled

    try:
        settings = CleaningSettings(components, clusters, sigmas, seed)
        result = clean_photos(read_labelled(Path(data), seed), FeatureExtractor(load_backbone(backbone)),
                              settings)
        for outlier in result.removed:
            click.echo(f"removed\t{outlier.path}\t{outlier.label}\tdistance {outlier.distance:.2f}"
                       f" > {outlier.threshold:.2f}")
        write_labelled(result.kept, Path(out))
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    click.echo(f"{cleaning_summary(result)}; wrote {out}")


@main.command()
@click.argument("data", type=click.Path())
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder for report.md, comparison.json and the PNG pictures.")
@click.option("--backbone", default="efficientnet-lite0", show_default=True,
              type=click.Choice(BACKBONE_NAMES), help="ImageNet backbone of the fine-tuned model and ConSE.")
@click.option("--examples", type=click.IntRange(min=0), default=4, show_default=True,
              help="Test photos in the table of sample hashtags.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True, help="torch device.")
def evaluate(data: str, out: str, backbone: str, examples: int, seed: int, device: str) -> None:
    """Compare an SVM on bags of visual words, a fine-tuned backbone and zero-shot ConSE on
    DATA (class folders, a labels.csv or a CSV file): trained on its train split, scored on
    its test split."""
    from .comparison import ComparisonSettings, compare_methods
    from .comparison_report import method_title, write_report
    from .errors import ZeroShotTagsError
    from .labelled import read_labelled
    from .training import TrainingConfig

    try:
        settings = ComparisonSettings(backbone, TrainingConfig(seed=seed, device=device),
                                      examples=examples, seed=seed)
        comparison = compare_methods(read_labelled(Path(data), seed), settings,
                                     progress=lambda step: click.echo(f"zstags: {step}", err=True))
        report = write_report(comparison, Path(out), f"{Path(data).name}: train -> test", backbone)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    for name, scores in comparison.scores.items():
        click.echo(f"{method_title(name, backbone)}: top-1 {scores.top1:.3f}, top-5 {scores.top5:.3f}")
    click.echo(f"wrote {report}")


@main.group()
def hashtags() -> None:
    """Your own hashtags, added to the built-in vocabulary of every zero-shot suggestion."""


FILE_OPTION = click.option("--file", "path", type=click.Path(dir_okay=False), default=None,
                           help="The hashtag file (default: custom_hashtags.txt in the cache).")


@hashtags.command("add")
@click.argument("entries", nargs=-1, required=True)
@FILE_OPTION
def add_hashtags(entries: tuple[str, ...], path: Optional[str]) -> None:
    """Add ENTRIES: '#tag', or 'words: #tag #othertag' (the words are what gets embedded)."""
    from .custom import custom_hashtags_file, parse_custom_hashtags, save_custom_hashtags
    from .errors import ZeroShotTagsError

    target = Path(path) if path else custom_hashtags_file()
    try:
        added = parse_custom_hashtags(entries)
        save_custom_hashtags(added, target)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    click.echo(f"added {' '.join(entry.hashtags[0] for entry in added)} to {target}")


@hashtags.command("list")
@FILE_OPTION
def list_hashtags(path: Optional[str]) -> None:
    """Print your hashtags, one entry per line."""
    from .custom import custom_hashtags_file, read_custom_hashtags
    from .errors import ZeroShotTagsError

    try:
        vocabulary = read_custom_hashtags(Path(path) if path else custom_hashtags_file())
    except ZeroShotTagsError as error:
        fail(str(error))
    for entry in vocabulary.entries if vocabulary else ():
        click.echo(f"{entry.word}: {' '.join(entry.hashtags)}")


@hashtags.command("remove")
@click.argument("tags", nargs=-1, required=True)
@FILE_OPTION
def remove_hashtags(tags: tuple[str, ...], path: Optional[str]) -> None:
    """Remove the entries of TAGS (their first hashtags)."""
    from .custom import custom_hashtags_file, remove_custom_hashtags
    from .errors import ZeroShotTagsError

    target = Path(path) if path else custom_hashtags_file()
    try:
        removed = remove_custom_hashtags(tags, target)
    except (ZeroShotTagsError, OSError) as error:
        fail(str(error))
    if not removed:
        fail(f"none of {' '.join(tags)} is in {target}")
    click.echo(f"removed {' '.join(removed)} from {target}")


@main.command()
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
def serve(host: str, port: int, models: tuple[str, ...], max_upload_mb: float,
          max_megapixels: float, allow_private_urls: bool) -> None:
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
                          allow_private_urls)
    click.echo(f"zstags: serving on http://{host}:{port}/", err=True)
    uvicorn.run(create_app(served, limits), host=host, port=port, log_level="warning")


def cleaning_summary(result) -> str:
    """One line: how many training photos were checked and removed."""
    return (f"removed {len(result.removed)} of {result.checked} training photos as outliers "
            "(test photos are never removed)")


def check_backbone(name: str) -> str:
    """A backbone name, or several joined by '+', each one the library knows."""
    for part in name.split("+"):
        if part not in BACKBONE_NAMES:
            raise click.BadParameter(f"{part!r} is not one of {', '.join(BACKBONE_NAMES)}")
    return name


def fail(message: str) -> None:
    """Print one ``zstags: ...`` line on stderr and exit with status 1."""
    click.echo(f"zstags: {' '.join(message.split())}", err=True)
    sys.exit(1)


def expand_sources(arguments: tuple[str, ...]) -> Iterator[str]:
    """URLs and files as given; folders replaced by the image files under them, sorted."""
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            yield from (str(p) for p in sorted(path.rglob("*"))
                        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield argument


def format_result(result, as_json: bool, scores: bool, many: bool) -> str:
    """One line per image: hashtags (with scores on request), or a JSON object."""
    if as_json:
        return json.dumps({"image": result.source,
                           "suggestions": [s.to_dict() for s in result.suggestions]})
    tags = " ".join(f"{s.hashtag} {s.score:.3f}" if scores else s.hashtag
                    for s in result.suggestions)
    return f"{result.source}\t{tags}" if many else tags


if __name__ == "__main__":
    main()
