"""Open a photo from a path, URL, bytes or PIL image as an upright RGB image."""

from __future__ import annotations

import io
import os
import time
import warnings
from pathlib import Path
from typing import Optional, Union

import requests
import urllib3
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from .config import MAX_PIXELS
from .errors import ImageError
from .files import file_problem

register_heif_opener()  # iPhones save HEIC; Pillow itself reads JPEG, PNG, WebP, AVIF, GIF, TIFF, ...

ImageSource = Union[str, os.PathLike, bytes, Image.Image]

MAX_DOWNLOAD_BYTES = 25 * 1024 * 1024
URL_TIMEOUT_SECONDS = 10.0


def describe(source: ImageSource) -> str:
    """A short name for ``source`` in messages and in CLI output."""
    if isinstance(source, bytes):
        return f"<{len(source)} bytes>"
    if isinstance(source, Image.Image):
        return f"<PIL image {source.width}x{source.height}>"
    return os.fspath(source)


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def load_image(source: ImageSource, max_pixels: int = MAX_PIXELS,
               min_side: Optional[int] = None) -> Image.Image:
    """Return ``source`` as an RGB image turned upright by its EXIF orientation.

    Args:
        source: a path, an http(s) URL, bytes or a PIL image.
        max_pixels: larger images are refused (checked on the size the file declares).
        min_side: the shorter side the caller needs (a tagger's ``min_side``): a larger
            photo is decoded at reduced size, its shorter side still at least ``min_side``
            (JPEG: scaled by 1/2, 1/4 or 1/8 while decoding; other formats: reduced by an
            integer factor after it), so it holds little memory. None: full size.

    Raises:
        ImageError: the source is missing, unreachable, not an image, truncated,
            or has more than ``max_pixels`` pixels.
    """
    name = describe(source)
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, bytes):
        image = _open(io.BytesIO(source), name)
    elif is_url(source):
        image = _open(io.BytesIO(fetch_url(source)), name)
    else:
        path = Path(source)
        problem = file_problem(path)  # a FIFO, device or directory is never opened
        if problem is not None:
            raise ImageError(f"{name}: {problem}")
        image = _open(path, name)
    if image.width * image.height > max_pixels:
        raise ImageError(
            f"{name}: {image.width}x{image.height} is over the limit of {max_pixels:,} pixels"
        )
    return _decode(image, name, min_side, opened=not isinstance(source, Image.Image))


def _decode(image: Image.Image, name: str, min_side: Optional[int], opened: bool) -> Image.Image:
    """Decode ``image`` upright and RGB, no smaller than ``min_side`` when that is given; one
    ``opened`` here is turned in place, a caller's PIL image is copied, never changed."""
    try:
        if opened and min_side is not None:
            image.draft("RGB", (min_side, min_side))  # JPEG only: DCT scaling; others: no-op
        image.load()
        if opened:
            ImageOps.exif_transpose(image, in_place=True)
        else:
            image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{name}: image data is truncated or corrupt ({exc})") from exc
    if image.mode in AVERAGEABLE_MODES:  # reduced first, the conversion's copies are small
        image = _reduced(image, min_side)
    return _reduced(to_rgb(image), min_side)


AVERAGEABLE_MODES = ("L", "LA", "RGB", "RGBA", "CMYK", "YCbCr")
"""Modes whose pixels can be averaged as they are (not palette indices, bits or 16-bit)."""


def _reduced(image: Image.Image, min_side: Optional[int]) -> Image.Image:
    """``image`` shrunk by the largest integer factor that keeps its shorter side at least
    ``min_side`` (unchanged when that is None or the factor 1)."""
    factor = min(image.size) // min_side if min_side else 1
    return image.reduce(factor) if factor >= 2 else image


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to RGB; transparent pixels become white."""
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def fetch_url(url: str, timeout: float = URL_TIMEOUT_SECONDS,
              max_bytes: int = MAX_DOWNLOAD_BYTES, session: Optional[requests.Session] = None) -> bytes:
    """Download ``url`` within ``timeout`` seconds in all (a server that trickles its bytes
    is cut off too) and ``max_bytes`` (through ``session`` when given).

    Raises:
        ImageError: the request failed, timed out, or the body is over ``max_bytes``.
    """
    deadline = time.monotonic() + timeout
    try:
        with (session or requests).get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise ImageError(f"{url}: {declared:,} bytes is over the limit of {max_bytes:,}")
            body = bytearray()
            while chunk := response.raw.read1(64 * 1024, decode_content=True):  # what has arrived
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise ImageError(f"{url}: download is over the limit of {max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise requests.Timeout()
            return bytes(body)
    except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
        raise ImageError(f"{url}: timed out after {timeout:g} s") from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise ImageError(f"{url}: download failed ({_short(exc)})") from exc


def _open(file: Union[Path, io.BytesIO], name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(file)
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{name}: image is over the pixel limit ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"{name}: not an image this tool can read") from exc
    except OSError as exc:
        raise ImageError(f"{name}: cannot open ({exc})") from exc


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
