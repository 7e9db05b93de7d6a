"""What every ``zstags`` command shares: names of choices (without importing torch) and the
one-line failure."""

from __future__ import annotations

import sys

import click

BACKBONE_NAMES = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2",
                  "resnet18", "resnet50")  # backbones.BACKBONES, named here without importing torch


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
