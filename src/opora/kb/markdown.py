"""Article Markdown to safe HTML: rendered by markdown-it (no raw HTML), then sanitized."""

from __future__ import annotations

import html
import re

from django.utils.html import strip_tags
from markdown_it import MarkdownIt

from opora.core.html import sanitize_html

# "commonmark" with html=False: HTML written inside Markdown is shown as text.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    return sanitize_html(_md.render(text))


_BLOCK_END = re.compile(r"</(p|h[1-6]|pre|blockquote|table|ul|ol)>")
_LINE_END = re.compile(r"<br\s*/?>|</(li|tr)>")


def markdown_to_text(text: str) -> str:
    """Article Markdown as plain text for a reply: paragraphs kept, markup gone."""
    # The renderer's own line breaks between tags are layout, not text.
    rendered = re.sub(r">\n+<", "><", render_markdown(text))
    rendered = _BLOCK_END.sub("\n\n", rendered)
    rendered = _LINE_END.sub("\n", rendered)
    rendered = rendered.replace("<li>", "- ")
    plain = html.unescape(strip_tags(rendered))
    lines = [line.rstrip() for line in plain.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
