from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opora.accounts.models import User
from opora.kb import actions
from opora.kb.models import Article


@pytest.fixture
def make_article(alice: User) -> Callable[..., Article]:
    def make(title: str, body: str = "", **kw: Any) -> Article:
        kw.setdefault("language", "en")
        kw.setdefault("status", "published")
        return actions.create_article(by=kw.pop("by", alice), title=title, body=body or title, **kw)

    return make
