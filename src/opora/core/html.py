"""HTML from outside (e-mail, chat, API) is hostile: sanitize it, or build it from text."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"dir", "lang"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitize_html(raw: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and foreign URL schemes."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_URL = re.compile(r"(https?://[^\s<>\"']+)")


def text_to_html(text: str) -> str:
    """Plain text as safe HTML: paragraphs, line breaks and clickable links."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    out = []
    for para in paragraphs:
        escaped = html.escape(para, quote=False)
        linked = _URL.sub(r'<a href="\1" rel="noopener noreferrer nofollow">\1</a>', escaped)
        out.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    return "".join(out)
