"""``zstags collect``: search open image sources for each word and download its photos into
``DATA/<word>/`` (spaces in a word become ``_``).

A word's sources are searched in order, a page at a time, until it has ``per_class`` photos.
Each photo comes through the safe fetcher (size and time limits), must decode within the pixel
limit as one of the accepted formats (checked on its bytes, whatever the server says it is),
and is left out when it repeats a photo already in DATA, of any class (perceptual hashes). A
file is named by a hash of its URL and written whole or not at all; ``DATA/sources.csv``
records its attribution and ``DATA/duplicates.csv`` the duplicates left out, so a run started
again resumes where one stopped without downloading a URL twice. Passing failures (429, 5xx,
timeouts) are retried with exponential backoff, or after the server's ``Retry-After``; searches
of one source are spaced by its rate limit.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, Optional, Sequence, TypeVar

import requests
import urllib3
from PIL import Image
from tqdm import tqdm

from ..atomic import atomic_write
from ..config import COLLECT_FORMATS, COLLECT_USER_AGENT, DEDUP_DECODE_SIDE, CollectSettings
from ..errors import ImageError, SettingError, SourceError
from ..images import describe, fetch_url, load_image
from ..supervised.labelled import IMAGE_SUFFIXES
from . import openverse, wikimedia
from .candidate import Candidate, SearchPage
from .dedup import HashIndex, image_hash, photo_hash
from .records import DUPLICATE_FIELDS, DUPLICATES_CSV, SOURCE_FIELDS, SOURCES_CSV, read_rows, write_rows

SOURCES: dict[str, ModuleType] = {module.NAME: module for module in (openverse, wikimedia)}
RETRY_STATUSES = {429, 500, 502, 503, 504}
PASSING_FAILURES = (requests.Timeout, requests.ConnectionError, urllib3.exceptions.TimeoutError,
                    urllib3.exceptions.ProtocolError)
T = TypeVar("T")


@dataclass(frozen=True)
class WordResult:
    """What one word got: its folder's label, its photos now, those downloaded in this run,
    the duplicates left out, the photos that failed, and notes on its sources."""

    word: str
    label: str
    photos: int
    downloaded: int
    duplicates: int
    failures: tuple[str, ...]
    notes: tuple[str, ...]


def label_for(word: str) -> str:
    """The folder (and class label) of ``word``: its words joined by ``_``.

    Raises:
        SettingError: the word is empty or is not a plain name.
    """
    label = "_".join(word.split())
    if not label or label.startswith(".") or any(c in label for c in "/\\\0"):
        raise SettingError(f"{word!r} cannot be a class folder's name: give a plain word or phrase")
    return label


def collect_photos(words: Sequence[str], data: os.PathLike, settings: CollectSettings = CollectSettings(),
                   session: Optional[requests.Session] = None, show_progress_bar: bool = False,
                   on_word: Optional[Callable[[WordResult], None]] = None) -> list[WordResult]:
    """Download up to ``settings.per_class`` photos of each word into ``data/<label>/``.

    Args:
        words: what to search for; each word's photos get its :func:`label_for` as label.
        data: the photo set's folder (created; an earlier run's photos there are kept).
        settings: the sources, their endpoints, limits, retries and the duplicate rule.
        session: the requests session to download through (default: a new one, which may
            reach any address, the loopback one included).
        show_progress_bar: a tqdm bar per word on stderr.
        on_word: called with each word's result as soon as the word is done.

    Example:
        >>> collect_photos(["forest", "sea"], "scenes", CollectSettings(per_class=50))  # doctest: +SKIP

    Raises:
        SettingError: a word cannot be a folder name (checked before any download).
    """
    labels = [label_for(word) for word in words]
    collector = _Collector(Path(data), settings, session or _new_session(), show_progress_bar)
    results = []
    try:
        for word, label in zip(words, labels):
            results.append(collector.collect(word, label))
            if on_word is not None:
                on_word(results[-1])
    finally:
        collector.save()
    return results


@dataclass
class _Collector:
    """One run of :func:`collect_photos`: the set's records, its photos' hashes, the sources'
    last searches and those left for the run."""

    data: Path
    settings: CollectSettings
    session: requests.Session
    show_progress_bar: bool
    throttled: dict[str, str] = field(default_factory=dict)
    last_search: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sources = read_rows(self.data / SOURCES_CSV)
        self.duplicates = read_rows(self.data / DUPLICATES_CSV)
        self.known = {row["url"] for row in self.sources + self.duplicates if row.get("url")}
        self.index = HashIndex(self.settings.dedup) if self.settings.dedup else None
        if self.index is not None:
            for path in sorted(p for p in self.data.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES):
                try:
                    self.index.add(photo_hash(path, self.settings.dedup.hash_size, self.settings.max_pixels),
                                   path.relative_to(self.data).as_posix())
                except ImageError:
                    pass  # not ours to judge: dedup and clean report unreadable photos

    def collect(self, word: str, label: str) -> WordResult:
        folder, wanted = self.data / label, self.settings.per_class
        have = sum((self.data / row["file"]).is_file() for row in self.sources if row["label"] == label)
        added, duplicates, failures, notes = 0, 0, [], []
        with tqdm(total=wanted, initial=min(have, wanted), desc=label, unit="photo", file=sys.stderr,
                  disable=not self.show_progress_bar) as bar:
            for name, endpoint in self.settings.sources:
                if have >= wanted:
                    break
                if name in self.throttled:
                    notes.append(self.throttled[name])
                    continue
                try:
                    for page in self._pages(SOURCES[name], endpoint, word):
                        for candidate in (c for c in page.candidates if c.url not in self.known):
                            if have >= wanted:
                                break
                            try:
                                saved = self._take(candidate, folder, label)
                            except (ImageError, SourceError) as error:
                                failures.append(str(error))
                                continue
                            self.known.add(candidate.url)
                            if saved:
                                added, have = added + 1, have + 1
                                bar.update()
                            else:
                                duplicates += 1
                        self.save()
                        if have >= wanted:
                            break
                except SourceError as error:
                    notes.append(str(error))
                    if isinstance(error, _Throttled):
                        self.throttled[name] = str(error)
        return WordResult(word, label, have, added, duplicates, tuple(failures), tuple(notes))

    def save(self) -> None:
        """Write ``sources.csv`` and ``duplicates.csv`` as they stand."""
        write_rows(self.data / SOURCES_CSV, SOURCE_FIELDS, self.sources)
        if self.duplicates:
            write_rows(self.data / DUPLICATES_CSV, DUPLICATE_FIELDS, self.duplicates)

    def _pages(self, source: ModuleType, endpoint: str, word: str) -> Iterator[SearchPage]:
        """The search pages of ``word`` from ``source``, up to the last one or the most pages."""
        cursor = None
        for _ in range(self.settings.max_pages):
            page = self._search(source, endpoint, word, cursor)
            yield page
            if page.next is None or not page.candidates:
                return
            cursor = page.next

    def _search(self, source: ModuleType, endpoint: str, word: str, cursor: Optional[dict]) -> SearchPage:
        """One page of ``source``'s search, no sooner than its interval after the last one.

        Raises:
            SourceError: the search failed after its retries, or the answer is not as documented.
        """
        time.sleep(max(0.0, self.last_search.get(source.NAME, -1e9) + self.settings.search_interval
                       - time.monotonic()))

        def search() -> dict:
            response = self.session.get(endpoint, params=source.search_params(word, self.settings, cursor),
                                        timeout=self.settings.timeout)
            response.raise_for_status()
            return response.json()

        try:
            body = self._retrying(search, f"{source.NAME}: search for {word!r}")
        except requests.RequestException as error:
            raise SourceError(f"{source.NAME}: search for {word!r} failed ({_reason(error)})") from error
        finally:
            self.last_search[source.NAME] = time.monotonic()
        try:
            return source.parse_page(body)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise SourceError(f"{source.NAME}: the answer for {word!r} is not as its API documents "
                              f"({type(error).__name__}: {error})") from error

    def _take(self, candidate: Candidate, folder: Path, label: str) -> bool:
        """Download ``candidate`` into ``folder``: True when saved (or found saved by an
        interrupted run), False when it repeats a kept photo (listed as a duplicate).

        Raises:
            ImageError: the download failed or is not a photo within the limits.
            SourceError: its server asked for a longer wait than this run allows.
        """
        stem = hashlib.sha1(candidate.url.encode("utf-8")).hexdigest()[:16]
        saved = next(folder.glob(f"{stem}.*"), None)
        if saved is None:
            body = self._retrying(lambda: fetch_url(candidate.url, self.settings.timeout, session=self.session),
                                  candidate.url)
            try:
                image = load_image(body, self.settings.max_pixels, min_side=DEDUP_DECODE_SIDE)
            except ImageError as error:  # named by its URL, not as "<N bytes>"
                raise ImageError(str(error).replace(describe(body), candidate.url, 1)) from error
            suffix = _suffix(body, candidate.url)
            hashed = image_hash(image, self.index.settings.hash_size) if self.index is not None else None
            match = self.index.match(hashed) if self.index is not None else None
            if match is not None:
                self.duplicates.append({"file": "", "label": label, "split": "", "duplicate_of": match[0],
                                        "distance": match[1], "url": candidate.url})
                return False
            saved = folder / f"{stem}{suffix}"
            with atomic_write(saved) as stream:
                stream.write(body)
            if self.index is not None:
                self.index.add(hashed, saved.relative_to(self.data).as_posix())
        self.sources.append({"file": saved.relative_to(self.data).as_posix(), "label": label, **asdict(candidate)})
        return True

    def _retrying(self, call: Callable[[], T], what: str) -> T:
        """``call()``, again after a wait while it fails for a passing reason and retries are left."""
        for attempt in itertools.count():
            try:
                return call()
            except (requests.RequestException, ImageError) as error:
                wait = self._wait(error, attempt)
                if wait is not None and wait > self.settings.max_wait:
                    raise _Throttled(f"{what}: the server asks to wait {wait:.0f} s; left for this run "
                                     "(run the same command later to resume)") from error
                if wait is None or attempt >= self.settings.retries:
                    raise
                time.sleep(wait)

    def _wait(self, error: Exception, attempt: int) -> Optional[float]:
        """Seconds to wait before retrying after ``error`` (None: retrying will not help)."""
        cause = error.__cause__ if isinstance(error, ImageError) else error
        backoff = self.settings.backoff * 2 ** attempt
        if isinstance(cause, PASSING_FAILURES):
            return backoff
        response = getattr(cause, "response", None)
        if response is None or response.status_code not in RETRY_STATUSES:
            return None
        return retry_after(response.headers.get("Retry-After"), backoff)


class _Throttled(SourceError):
    """A source asked for a longer wait than this run allows."""


def retry_after(value: Optional[str], default: float) -> float:
    """Seconds a ``Retry-After`` header asks to wait (a number of seconds or an HTTP date);
    ``default`` without one."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def _suffix(body: bytes, url: str) -> str:
    with Image.open(io.BytesIO(body)) as image:
        found = image.format
    suffix = dict(COLLECT_FORMATS).get(found)
    if suffix is None:
        raise ImageError(f"{url}: a {found} file, not one of the photo formats collected "
                         f"({', '.join(name for name, _ in COLLECT_FORMATS)})")
    return suffix


def _new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = COLLECT_USER_AGENT
    return session


def _reason(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]
