"""Demo knowledge base shipped with Opora: categories and articles in Russian and English.

Loaded by `opora demo` and by the search benchmark; the files are plain JSON so
anyone can read, extend or translate them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from opora.accounts.models import User
from opora.kb.actions import create_article
from opora.kb.models import Article, Category

DEMO_DIR = Path(__file__).resolve().parent


def demo_content() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    categories: list[dict[str, Any]] = []
    articles: list[dict[str, Any]] = []
    for path in sorted(DEMO_DIR.glob("articles_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        categories += data["categories"]
        articles += data["articles"]
    return categories, articles


@transaction.atomic
def load_demo_articles(*, by: User) -> dict[str, int]:
    """Create the demo categories and articles once; returns {demo key: article id} counts."""
    if Article.objects.exists():
        return {}
    categories, articles = demo_content()
    ids: dict[str, int] = {}
    for position, spec in enumerate(categories):
        created = Category.objects.create(
            slug=spec["slug"], name_en=spec["en"], name_ru=spec["ru"], position=position
        )
        ids[f"category:{spec['slug']}"] = created.pk
    for spec in articles:
        status = spec.get("status", "published")
        category = ids[f"category:{spec['category']}"]
        first = None
        for language in ("en", "ru"):
            text = spec[language]
            article = create_article(
                by=by,
                title=text["title"],
                body=text["body"],
                language=language,
                status=status,
                category=category,
                tags=text.get("tags", []),
                translation_of=first,
            )
            first = first or article
            ids[f"{spec['key']}:{language}"] = article.pk
    return ids


def load_demo_kb() -> int:
    """`opora demo`: the articles, written by the demo administrator; returns how many."""
    author = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    if author is None:
        return 0
    return sum(1 for key in load_demo_articles(by=author) if not key.startswith("category:"))
