"""`{% load console %}{% if user|may_use_console %}`: the main navigation's "Admin" link."""

from __future__ import annotations

from typing import Any

from django import template

from opora.accounts.models import User
from opora.console import sections

register = template.Library()


@register.filter
def may_use_console(user: Any) -> bool:
    return isinstance(user, User) and sections.may_use_console(user)
