"""`{% load support_lines %}{{ ticket.line|line_label }}`: a level's name as the desk calls it."""

from __future__ import annotations

from typing import Any

from django import template

from opora.sla.lines import level_label

register = template.Library()


@register.filter
def line_label(level: Any) -> str:
    return level_label(str(level))
