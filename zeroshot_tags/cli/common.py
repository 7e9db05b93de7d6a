"""What every ``zstags`` command shares: names of choices (without importing torch) and the
one-line failure."""

from __future__ import annotations

import sys

import click

from ..vision.backbone_specs import BACKBONE_SPECS

BACKBONE_NAMES = tuple(BACKBONE_SPECS)


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
