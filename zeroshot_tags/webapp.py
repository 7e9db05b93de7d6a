"""The web app behind ``zstags serve``: a page and a JSON API over taggers loaded once.

``GET /`` is the page (its script and style are served from the package, nothing from
outside); ``GET /api/models``, ``POST /api/suggest``, ``GET`` and ``POST /api/hashtags`` are
the JSON API, described at ``/openapi.json``. Each model is used by one request at a time
(a lock per model), uploads and downloads are capped in bytes and pixels, URLs are fetched
from public addresses only, and every error is a JSON ``{"detail": "..."}`` answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Optional, Sequence

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from .custom import read_custom_hashtags
from .errors import ZeroShotTagsError
from .images import fetch_url, load_image
from .photo_tagger import PhotoTagger
from .public_fetch import check_public_url, public_session
from .refinement import DEFAULT_CAPTION_WEIGHT, Refinement
from .tagger import Tagger

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_SERVED_PIXELS = 40_000_000


@dataclass
class ServedModel:
    """A tagger the app offers under ``id``, described to people by ``name``."""

    id: str
    name: str
    tagger: PhotoTagger
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class ServerLimits:
    """The largest upload or download in bytes, the most pixels a photo may have, and whether
    URLs may point at private addresses (off: such URLs are refused)."""

    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_pixels: int = MAX_SERVED_PIXELS
    allow_private_urls: bool = False


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
    entries: list[str]


class HashtagsOut(BaseModel):
    hashtags: list[str]


def create_app(models: Sequence[ServedModel], limits: ServerLimits = ServerLimits()) -> FastAPI:
    """The app serving ``models`` (the first is the default; custom hashtags go to the first
    zero-shot one)."""
    if not models:
        raise ZeroShotTagsError("the web app needs at least one model")
    by_id = {model.id: model for model in models}
    zero_shot = next((m for m in models if isinstance(m.tagger, Tagger)), None)
    app = FastAPI(title="zeroshot-tags", summary="Hashtag suggestions for photos",
                  docs_url=None, redoc_url=None)  # their pages load scripts from a CDN
    app.mount("/static", StaticFiles(packages=[("zeroshot_tags", "static")]), name="static")

    @app.exception_handler(ZeroShotTagsError)
    def bad_input(request: Request, error: ZeroShotTagsError) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(error).split())}, status_code=400)

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limits.max_upload_bytes + 64 * 1024:
            return JSONResponse({"detail": f"upload over the limit of {limits.max_upload_bytes:,} bytes"},
                                status_code=413)
        return await call_next(request)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (resources.files("zeroshot_tags") / "static" / "index.html").read_text("utf-8")

    @app.get("/api/models", response_model=list[ModelInfo], summary="The models to choose from")
    def list_models() -> list[ModelInfo]:
        return [ModelInfo(id=m.id, name=m.name, zero_shot=isinstance(m.tagger, Tagger)) for m in models]

    @app.post("/api/suggest", response_model=SuggestResponse, summary="Hashtags for a photo")
    def suggest(image: Optional[UploadFile] = File(None, description="the photo"),
                url: Optional[str] = Form(None, description="or a public http(s) URL of it"),
                model: str = Form(models[0].id, description="a model id from /api/models"),
                top: int = Form(8, ge=1, le=50),
                accepted: list[str] = Form([], description="hashtags already chosen"),
                caption: str = Form("", max_length=2000),
                caption_weight: float = Form(DEFAULT_CAPTION_WEIGHT, ge=0, le=10)) -> SuggestResponse:
        served = by_id.get(model)
        if served is None:
            raise HTTPException(404, f"no model {model!r}; see /api/models")
        photo = load_image(_photo_bytes(image, url, limits), limits.max_pixels)
        with served.lock:
            found = served.tagger.suggest(photo, top, accepted=accepted, caption=caption,
                                          caption_weight=caption_weight)
        return SuggestResponse(model=served.id, model_name=served.name,
                               accepted=list(Refinement.create(accepted).accepted),
                               suggestions=[SuggestionOut(hashtag=s.hashtag, word=s.word, score=s.score,
                                                          related=list(s.related)) for s in found])

    @app.get("/api/hashtags", response_model=HashtagsOut, summary="The custom hashtags")
    def custom_hashtags() -> HashtagsOut:
        saved = (read_custom_hashtags(zero_shot.tagger.custom_file)
                 if zero_shot and zero_shot.tagger.custom_file else None)
        return HashtagsOut(hashtags=[e.hashtags[0] for e in saved.entries] if saved else [])

    @app.post("/api/hashtags", response_model=HashtagsOut, summary="Add custom hashtags")
    def add_hashtags(body: HashtagsIn) -> HashtagsOut:
        if zero_shot is None:
            raise HTTPException(400, "custom hashtags need the zero-shot model")
        with zero_shot.lock:
            added = zero_shot.tagger.add_hashtags(body.entries)
        return HashtagsOut(hashtags=[entry.hashtags[0] for entry in added])

    return app


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
