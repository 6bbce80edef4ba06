"""The portal's new-request form suggests help-center articles as the subject is typed,
through the help center's own search endpoint (the browser half is in
tests/e2e/test_workspace_browser.py)."""

from __future__ import annotations

import re

from opora.kb import actions


def _box(html: str) -> dict[str, str]:
    found = re.search(r"<div [^>]*data-suggestions[^>]*>", html)
    assert found is not None
    tag = found.group(0)
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', tag))


def test_the_form_wires_the_subject_to_the_help_centers_suggest_endpoint(client, dana):
    client.force_login(dana)
    html = client.get("/portal/new").content.decode()
    box = _box(html)
    assert box["data-for"] == "id_subject"
    assert box["data-url"] == "/api/v1/kb/suggest"
    assert box["data-lang"] == "en"
    assert re.search(r'<script src="[^"]*portal/suggest\.js"', html)
    # and it is in Russian for a Russian customer
    dana.language = "ru"
    dana.save()
    html = client.get("/portal/new").content.decode()
    assert _box(html)["data-lang"] == "ru"
    assert "Возможно, на ваш вопрос отвечают эти статьи" in html


def test_the_endpoint_the_form_calls_finds_published_articles_only(client, dana, alice):
    published = actions.create_article(
        by=alice, title="Reset your VPN password", body="Open the VPN app.", status="published"
    )
    actions.create_article(by=alice, title="VPN password draft", body="Not yet.")
    client.force_login(dana)
    response = client.get("/api/v1/kb/suggest", {"q": "vpn password", "lang": "en"})
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [published.pk]


def test_the_script_debounces_and_opens_links_in_a_new_tab(client):
    script = client.get("/static/portal/suggest.js")
    assert script.status_code == 200
    text = (
        b"".join(script.streaming_content).decode() if script.streaming else script.content.decode()
    )
    assert "setTimeout(suggest, 300)" in text and "clearTimeout(timer)" in text
    assert 'link.target = "_blank"' in text
