"""Article Markdown to safe HTML: rendered by markdown-it (no raw HTML), then sanitized."""

from __future__ import annotations

from markdown_it import MarkdownIt

from opora.core.html import sanitize_html

# "commonmark" with html=False: HTML written inside Markdown is shown as text.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    return sanitize_html(_md.render(text))
