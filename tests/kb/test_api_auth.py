"""Public knowledge-base endpoints: anonymous visitors are welcome, bad tokens are not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opora.accounts.models import ApiToken
from tests.writes import nothing_written

PUBLIC = ["/kb/articles", "/kb/search?q=printer", "/kb/suggest?q=printer", "/kb/categories"]


@pytest.mark.parametrize("path", PUBLIC)
def test_an_unknown_token_gets_401_not_the_anonymous_view(make_article, path):
    make_article("Printer does not print")
    client = Client(HTTP_AUTHORIZATION="Bearer opora_not-a-real-token")
    response = client.get("/api/v1" + path)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthorized" and body["detail"]
    assert body["errors"] == [{"field": None, "code": "unauthorized", "message": body["detail"]}]


def test_an_expired_token_gets_401_everywhere_a_visitor_could_go(api, alice, make_article):
    article = make_article("Printer does not print")
    client = api(alice)
    assert client.get(f"/kb/articles/{article.pk}").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with nothing_written(article):
        for path in (f"/kb/articles/{article.pk}", "/kb/search?q=printer"):
            assert client.get(path).status_code == 401
        vote = client.post(f"/kb/articles/{article.pk}/vote", {"helpful": True})
        deflection = client.post("/kb/deflections", {"kind": "deflected", "article": article.pk})
    assert [(r.status_code, r.json()["code"]) for r in (vote, deflection)] == [
        (401, "token_expired")
    ] * 2


def test_without_credentials_a_visitor_reads_published_articles(make_article):
    article = make_article("Printer does not print")
    response = Client().get(f"/api/v1/kb/articles/{article.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "Printer does not print"
