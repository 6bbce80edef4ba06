"""The widget's script at /chat/widget.js and the demo "customer website" at /chat/demo/.

The script is served under a fixed address (not a hashed static name) because customers
paste that address into their own sites; a short cache lifetime and an ETag let a new
version reach them within minutes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

WIDGET = Path(__file__).resolve().parent / "static" / "chat" / "widget.js"
CACHE_SECONDS = 300
DEMO_KEY = "demo"


@lru_cache(maxsize=2)
def _script(mtime_ns: int) -> tuple[bytes, str]:
    body = WIDGET.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    body, etag = _script(WIDGET.stat().st_mtime_ns)
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    # Any site may embed the widget; it needs no cookies of ours.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    language = "ru" if (get_language() or "").startswith("ru") else "en"
    return render(request, "chat/demo.html", {"key": DEMO_KEY, "language": language})
