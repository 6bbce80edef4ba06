"""Numbers no database can hold (2^63 and beyond) and digits that are not ASCII ("²",
"٣") in any path or query parameter answer 404 or 422, never 500: on every API
operation and every page, for an anonymous visitor, a customer and an agent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from opora.accounts.models import User
from opora.api.main import api as opora_api
from opora.core.numbers import MAX_ID, parse_id, parse_int

HOSTILE = [str(2**63), str(2**64 + 7), "9" * 40, "²", "٣", "-1", "0"]
INT_QUERY = re.compile(r"integer")


def _api_operations() -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, path parameters, integer-ish query parameters) of every operation."""
    found = []
    for path, operations in opora_api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            in_path = [p["name"] for p in params if p["in"] == "path"]
            in_query = [
                p["name"]
                for p in params
                if p["in"] == "query" and INT_QUERY.search(str(p.get("schema", {})))
            ]
            found.append((method.upper(), path, in_path, in_query))
    return found


def _page_patterns() -> Iterator[str]:
    """Every page route with an `<id:…>` part, as a format string."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith("api/"):
                    continue
                yield from walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern) and "<id:" in route:
                yield "/" + re.sub(r"<id:(\w+)>", r"{\1}", prefix + route)

    yield from walk(get_resolver().url_patterns, "")


@pytest.fixture
def callers(db: None, api: Any, dana: User, alice: User) -> dict[str, Any]:
    return {"anonymous": api(None), "customer": api(dana), "agent": api(alice)}


@pytest.mark.parametrize("bad", HOSTILE)
def test_no_api_operation_answers_500_to_a_bad_number(callers: dict[str, Any], bad: str) -> None:
    failures = []
    for method, path, _in_path, in_query in _api_operations():
        url = "/api/v1" + re.sub(r"\{\w+\}", bad, path)
        query = "&".join(f"{name}={bad}" for name in in_query)
        for who, caller in callers.items():
            response = caller.client.generic(
                method, url + ("?" + query if query else ""), "{}", content_type="application/json"
            )
            if response.status_code >= 500:
                failures.append(f"{who} {method} {url}?{query}: {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("bad", HOSTILE)
def test_no_page_answers_500_to_a_bad_number(db: None, alice: User, dana: User, bad: str) -> None:
    pages = sorted(set(_page_patterns()))
    assert len(pages) > 10  # the walk found the routes
    failures = []
    for who in (None, dana, alice):
        client = Client()
        if who is not None:
            client.force_login(who)
        for page in pages:
            url = re.sub(r"\{\w+\}", bad, page)
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if status >= 500 or (bad != "0" and status == 200 and method == "get"):
                    failures.append(f"{who} {method} {url}: {status}")
    assert failures == []


@pytest.mark.parametrize(
    "url",
    [
        "/agent/?page={bad}",
        "/agent/?assignee={bad}",
        "/agent/?team={bad}",
        "/agent/?requester={bad}",
        "/reports/?team={bad}&agent={bad}&organization={bad}",
        "/help/?category={bad}",
        "/portal/?page={bad}",
    ],
)
@pytest.mark.parametrize("bad", HOSTILE)
def test_query_strings_of_pages_take_bad_numbers_calmly(
    db: None, lena: User, url: str, bad: str
) -> None:
    client = Client()
    client.force_login(lena)
    assert client.get(url.format(bad=bad)).status_code < 500


def test_numbers_are_read_strictly() -> None:
    assert parse_id("42") == 42
    assert parse_id(" 7 ") == 7
    assert parse_id(str(MAX_ID)) == MAX_ID
    for bad in HOSTILE:
        assert parse_id(bad) is None, bad
    assert parse_int("0") == 0
    assert parse_int("6", maximum=5) is None
    assert parse_int(True) is None
