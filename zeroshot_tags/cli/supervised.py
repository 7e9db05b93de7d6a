"""``zstags train``, ``zstags clean`` and ``zstags evaluate``: the supervised baseline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import (DEFAULT_BACKBONE, FINETUNE_MODES, CleaningSettings, ComparisonSettings, TrainingConfig)
from .common import BACKBONE_NAMES, fail

_TRAINING = TrainingConfig()
_CLEANING = CleaningSettings()
_COMPARISON = ComparisonSettings()


@click.command()
@click.argument("data", type=click.Path())
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Where to write the trained model (.pt).")
@click.option("--clean", is_flag=True,
              help="First remove outlying training photos, as 'zstags clean' does.")
@click.option("--backbone", default=DEFAULT_BACKBONE, show_default=True,
              type=click.Choice(BACKBONE_NAMES), help="ImageNet backbone to fine-tune.")
@click.option("--finetune", type=click.Choice(FINETUNE_MODES), default=_TRAINING.finetune, show_default=True,
              help="Train a new last layer on cached features, or the whole network.")
@click.option("--epochs", type=click.IntRange(min=1), default=_TRAINING.epochs, show_default=True)
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True),
              default=_TRAINING.learning_rate,
              show_default=True, help="AdamW learning rate.")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=_TRAINING.weight_decay, show_default=True,
              help="AdamW weight decay.")
@click.option("--batch-size", type=click.IntRange(min=1), default=_TRAINING.batch_size, show_default=True)
@click.option("--augment/--no-augment", default=_TRAINING.augment, show_default=True,
              help="Mirror photos as augmentation (worth trying with --finetune all).")
@click.option("--patience", type=click.IntRange(min=1), default=_TRAINING.patience, show_default=True,
              help="Stop after this many epochs without a lower validation loss.")
@click.option("--refit/--no-refit", default=_TRAINING.refit, show_default=True,
              help="Retrain on training and validation photos for the chosen number of epochs.")
@click.option("--seed", type=int, default=_TRAINING.seed, show_default=True,
              help="Seed of the splits, the initial head and the batch order.")
@click.option("--device", default=_TRAINING.device, show_default=True, help="torch device.")
def train(data: str, out: str, clean: bool, backbone: str, finetune: str, epochs: int,
          learning_rate: float, weight_decay: float, batch_size: int, augment: bool,
          patience: int, refit: bool, seed: int, device: str) -> None:
    """Fine-tune an ImageNet backbone on DATA: class folders, a labels.csv (file,label[,split])
    in it, or such a CSV file."""
    from tqdm import tqdm

    from ..vision.backbones import load_backbone
    from ..supervised.cleaning import clean_photos
    from ..errors import ZeroShotTagsError
    from ..vision.features import FeatureExtractor
    from ..supervised.labelled import read_labelled
    from ..supervised.trained import FineTunedClassifier

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

            classifier = FineTunedClassifier(model, config).fit(photos, on_epoch=report)
        classifier.save(Path(out))
    except ZeroShotTagsError as error:
        fail(str(error))
    click.echo(f"{out}: {len(classifier.classes_)} classes; epoch {classifier.best_epoch_} chosen, "
               f"validation accuracy {classifier.val_accuracy_:.3f}"
               + ("; refit on train and validation photos" if refit else ""))


@click.command()
@click.argument("data", type=click.Path())
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="CSV (file,label,split) of the photos kept, for 'zstags train'.")
@click.option("--backbone", default=DEFAULT_BACKBONE, show_default=True,
              type=click.Choice(BACKBONE_NAMES), help="ImageNet backbone whose features are compared.")
@click.option("--components", type=click.IntRange(min=1), default=_CLEANING.components, show_default=True,
              help="PCA components of the features.")
@click.option("--clusters", type=click.IntRange(min=1), default=_CLEANING.clusters, show_default=True,
              help="k-means clusters per class.")
@click.option("--sigmas", type=click.FloatRange(min=0, min_open=True), default=_CLEANING.sigmas,
              show_default=True, help="A photo farther from its cluster centre than the class's "
                                      "median distance plus this many (robust) standard "
                                      "deviations is removed.")
@click.option("--seed", type=int, default=_CLEANING.seed, show_default=True)
def clean(data: str, out: str, backbone: str, components: int, clusters: int, sigmas: float,
          seed: int) -> None:
    """Find training photos of DATA that lie far from the rest of their class, list them, and
    write the other photos (test photos all kept) to a CSV."""
    from ..vision.backbones import load_backbone
    from ..supervised.cleaning import clean_photos
    from ..errors import ZeroShotTagsError
    from ..vision.features import FeatureExtractor
    from ..supervised.labelled import read_labelled, write_labelled

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


@click.command()
@click.argument("data", type=click.Path())
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder for report.md, comparison.json and the PNG pictures.")
@click.option("--backbone", default=_COMPARISON.backbone, show_default=True,
              type=click.Choice(BACKBONE_NAMES), help="ImageNet backbone of the fine-tuned model and ConSE.")
@click.option("--examples", type=click.IntRange(min=0), default=_COMPARISON.examples, show_default=True,
              help="Test photos in the table of sample hashtags.")
@click.option("--seed", type=int, default=_COMPARISON.seed, show_default=True)
@click.option("--device", default=_TRAINING.device, show_default=True, help="torch device.")
def evaluate(data: str, out: str, backbone: str, examples: int, seed: int, device: str) -> None:
    """Compare an SVM on bags of visual words, a fine-tuned backbone and zero-shot ConSE on
    DATA (class folders, a labels.csv or a CSV file): trained on its train split, scored on
    its test split."""
    from ..errors import ZeroShotTagsError
    from ..supervised.labelled import read_labelled

    try:
        from ..evaluation.comparison import compare_methods
        from ..evaluation.comparison_report import method_title, write_report

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


def cleaning_summary(result) -> str:
    """One line: how many training photos were checked and removed."""
    return (f"removed {len(result.removed)} of {result.checked} training photos as outliers "
            "(test photos are never removed)")
