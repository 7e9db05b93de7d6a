"""Open a photo from a path, URL, bytes or PIL image as an upright RGB image."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Optional, Union

import requests
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

ImageSource = Union[str, os.PathLike, bytes, Image.Image]

MAX_PIXELS = 50_000_000
"""Images with more pixels than this are refused (decompression-bomb guard)."""

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


def load_image(source: ImageSource, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Return ``source`` as an RGB image turned upright by its EXIF orientation.

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
        if not path.is_file():
            raise ImageError(f"{name}: no such file")
        image = _open(path, name)
    if image.width * image.height > max_pixels:
        raise ImageError(
            f"{name}: {image.width}x{image.height} is over the limit of {max_pixels:,} pixels"
        )
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{name}: image data is truncated or corrupt ({exc})") from exc
    return to_rgb(image)


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
    """Download ``url`` with a timeout and a size cap (through ``session`` when given).

    Raises:
        ImageError: the request failed, timed out, or the body is over ``max_bytes``.
    """
    try:
        with (session or requests).get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise ImageError(f"{url}: {declared:,} bytes is over the limit of {max_bytes:,}")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=64 * 1024):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise ImageError(f"{url}: download is over the limit of {max_bytes:,} bytes")
            return bytes(body)
    except requests.Timeout as exc:
        raise ImageError(f"{url}: timed out after {timeout:g} s") from exc
    except requests.RequestException as exc:
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
