"""Static files (CSS, JS) are served by the application itself, in both server modes."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.test import AsyncClient


def _body(response) -> bytes:
    body: bytes = response.getvalue() if response.streaming else response.content
    return body


def test_static_files_are_served_under_wsgi_and_asgi(client, db):
    # given the stylesheet every page links to
    sync_response = client.get("/static/opora/app.css")
    async_response = async_to_sync(AsyncClient().get)("/static/opora/app.css")
    # then both server modes answer it with the file and a CSS content type
    for response in (sync_response, async_response):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/css")
    sync_body, async_body = _body(sync_response), _body(async_response)
    assert sync_body == async_body
    assert b"{" in sync_body


def test_unknown_static_paths_fall_through_to_not_found(client, db):
    assert client.get("/static/opora/nope.css").status_code == 404
    assert async_to_sync(AsyncClient().get)("/static/opora/nope.css").status_code == 404
