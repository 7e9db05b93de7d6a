"""The web app behind ``zstags serve``: a page and a JSON API over taggers loaded once.

``GET /`` is the page (its script and style are served from the package, nothing from
outside); ``GET /api/models``, ``POST /api/suggest``, ``GET`` and ``POST /api/hashtags`` are
the JSON API, described at ``/openapi.json``. Each model is used by one request at a time
(a lock per model, on a thread of its own), uploads and downloads are capped in bytes and
pixels, a few photos are read and decoded at once and at their network's size (memory stays
bounded however many requests arrive), URLs are fetched from public addresses only, and
every error is a JSON ``{"detail": "..."}`` answer.
"""

from __future__ import annotations

import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import Optional, Sequence

from pydantic import BaseModel, Field

from ..config import DEFAULT_CAPTION_WEIGHT, MAX_TOP, ServerLimits
from ..errors import SettingError, TooManyEntriesError, VocabularyError, ZeroShotTagsError
from ..extras import missing_extra
from ..images import fetch_url, load_image
from ..tagging.photo_tagger import PhotoTagger
from ..tagging.refinement import Refinement
from ..vocabulary.custom import MAX_ENTRIES_PER_ADD, MAX_ENTRY_CHARACTERS
from .public_fetch import check_public_url, public_session
from .slots import Slots

try:
    import python_multipart  # noqa: F401 (FastAPI reads forms with it)
    from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles
except ImportError as error:
    raise missing_extra("web", error) from error


@dataclass
class ServedModel:
    """A tagger the app offers under ``id``, described to people by ``name``."""

    id: str
    name: str
    tagger: PhotoTagger
    lock: threading.Lock = field(default_factory=threading.Lock)


class SuggestionOut(BaseModel):
    hashtag: str
    word: str
    score: float
    related: list[str]


class SuggestResponse(BaseModel):
    model: str
    model_name: str
    accepted: list[str]
    suggestions: list[SuggestionOut]


class ModelInfo(BaseModel):
    id: str
    name: str
    zero_shot: bool


class HashtagsIn(BaseModel):
    entries: list[str] = Field(description=f"'#tag' or 'words: #tag #tag'; at most {MAX_ENTRIES_PER_ADD} "
                                           f"entries (413) of {MAX_ENTRY_CHARACTERS} characters (422)")


class HashtagsOut(BaseModel):
    hashtags: list[str]


def create_app(models: Sequence[ServedModel], limits: ServerLimits = ServerLimits()) -> FastAPI:
    """The app serving ``models`` (the first is the default; custom hashtags go to the first
    zero-shot one)."""
    if not models:
        raise SettingError("the web app needs at least one model")
    by_id = {model.id: model for model in models}
    photo_slots = Slots(limits.max_photos_at_once)
    # Each model runs on one thread of its own: torch starts an OpenMP team (and glibc a malloc
    # arena) for every new thread that calls it, so running it on the request threads made
    # memory grow with the number of concurrent requests.
    runners = {m.id: ThreadPoolExecutor(1, thread_name_prefix=f"zstags-{m.id}") for m in models}
    zero_shot = next((m for m in models if m.tagger.zero_shot), None)
    app = FastAPI(title="zeroshot-tags", summary="Hashtag suggestions for photos",
                  docs_url=None, redoc_url=None)  # their pages load scripts from a CDN
    app.mount("/static", StaticFiles(packages=[(__package__, "static")]), name="static")

    @app.exception_handler(ZeroShotTagsError)
    def bad_input(request: Request, error: ZeroShotTagsError) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(error).split())}, status_code=400)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        where = ".".join(map(str, problems[0]["loc"][1:])) or str(problems[0]["loc"][0])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return JSONResponse({"detail": " ".join(f"{where}: {problems[0]['msg']}{more}".split())},
                            status_code=422)

    @app.middleware("http")
    async def photos_in_turn(request: Request, call_next):
        """A few suggestions at a time, their uploads read only once their turn comes: a
        waiting request holds its connection, its photo stays in the network's buffers."""
        if request.method != "POST" or request.url.path != "/api/suggest":
            return await call_next(request)
        async with photo_slots:
            return await call_next(request)

    # added last, so it runs first: an upload over the limit gets its 413 without waiting a turn
    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limits.max_upload_bytes + 64 * 1024:
            return JSONResponse({"detail": f"upload over the limit of {limits.max_upload_bytes:,} bytes"},
                                status_code=413)
        return await call_next(request)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (resources.files(__package__) / "static" / "index.html").read_text("utf-8")

    @app.get("/api/models", response_model=list[ModelInfo], summary="The models to choose from")
    def list_models() -> list[ModelInfo]:
        return [ModelInfo(id=m.id, name=m.name, zero_shot=m.tagger.zero_shot) for m in models]

    @app.post("/api/suggest", response_model=SuggestResponse, summary="Hashtags for a photo")
    def suggest(image: Optional[UploadFile] = File(None, description="the photo"),
                url: Optional[str] = Form(None, description="or a public http(s) URL of it"),
                model: str = Form(models[0].id, description="a model id from /api/models"),
                top: int = Form(8, ge=1, le=MAX_TOP),
                accepted: list[str] = Form([], description="hashtags already chosen"),
                caption: str = Form("", max_length=2000),
                caption_weight: float = Form(DEFAULT_CAPTION_WEIGHT, ge=0, le=10)) -> SuggestResponse:
        served = by_id.get(model)
        if served is None:
            raise HTTPException(404, f"no model {model!r}; see /api/models")
        try:
            photo = load_image(_photo_bytes(image, url, limits), limits.max_pixels,
                               served.tagger.min_side)  # at its network's size: little memory
        finally:
            _give_back_freed_memory()

        def answer():
            with served.lock:
                return served.tagger.suggest(photo, top, accepted=accepted, caption=caption,
                                             caption_weight=caption_weight)

        found = runners[served.id].submit(answer).result()
        return SuggestResponse(model=served.id, model_name=served.name,
                               accepted=list(Refinement.create(accepted).accepted),
                               suggestions=[SuggestionOut(hashtag=s.hashtag, word=s.word, score=s.score,
                                                          related=list(s.related)) for s in found])

    @app.get("/api/hashtags", response_model=HashtagsOut, summary="The custom hashtags")
    def custom_hashtags() -> HashtagsOut:
        return HashtagsOut(hashtags=zero_shot.tagger.custom_hashtags() if zero_shot else [])

    # Adds embed their words on one thread of their own, one add at a time, never holding the
    # model's lock: suggestions go on meanwhile (the tagger swaps its extended space in at once).
    adding = ThreadPoolExecutor(1, thread_name_prefix="zstags-adding")

    @app.post("/api/hashtags", response_model=HashtagsOut, summary="Add custom hashtags")
    def add_hashtags(body: HashtagsIn) -> HashtagsOut:
        if zero_shot is None:
            raise HTTPException(400, "custom hashtags need the zero-shot model")
        try:
            added = adding.submit(zero_shot.tagger.add_hashtags, body.entries).result()
        except VocabularyError as error:
            status = 413 if isinstance(error, TooManyEntriesError) else 422
            raise HTTPException(status, " ".join(str(error).split())) from error
        except OSError as error:
            message = f"cannot save the custom hashtags ({error})"
            raise HTTPException(500, " ".join(message.split())) from error
        return HashtagsOut(hashtags=[entry.hashtags[0] for entry in added])

    return app


def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def _give_back_freed_memory() -> None:
    """Return freed heap pages to the system. glibc keeps large freed blocks, such as those of
    a photo decoded at full size (formats other than JPEG), in its heaps: after 40 requests
    with a 40-megapixel PNG the server stayed 350 MB above its base without this (about 1 ms,
    or 13 ms when it gives back that much)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _photo_bytes(image: Optional[UploadFile], url: Optional[str], limits: ServerLimits) -> bytes:
    """The uploaded file's bytes, or the URL's, within the byte limit."""
    if image is not None and image.filename:
        data = image.file.read(limits.max_upload_bytes + 1)
        if len(data) > limits.max_upload_bytes:
            raise HTTPException(413, f"upload over the limit of {limits.max_upload_bytes:,} bytes")
        return data
    if url:
        if not limits.allow_private_urls:
            check_public_url(url)
        return fetch_url(url, max_bytes=limits.max_upload_bytes,
                         session=None if limits.allow_private_urls else public_session())
    raise HTTPException(400, "give a photo: an image file or a URL")
