"""HTML from outside (e-mail, chat, API) is hostile: sanitize it, or build it from text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from urllib.parse import unquote

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
    return _clean(raw, None)


def resolve_cid_urls(markup: str, urls: Mapping[str, str]) -> tuple[str, set[str]]:
    """Sanitized HTML whose `cid:` image sources and links point at `urls` (Content-ID ->
    a path on this site), and the Content-IDs it used. A `cid:` naming no known part is
    dropped. nh3 does not check what an attribute filter returns, so only a path of
    this site ("/...", not "//host") is ever put in."""
    used: set[str] = set()

    def resolve(element: str, attribute: str, value: str) -> str | None:
        if attribute not in ("src", "href"):
            return value
        content_id = cid_of(value)
        if content_id is None:
            return value
        url = urls.get(content_id)
        if url is None or not url.startswith("/") or url.startswith("//"):
            return None
        used.add(content_id)
        return url

    return _clean(markup, resolve), used


def cid_of(value: str) -> str | None:
    """The Content-ID a `cid:` URL names (RFC 2392: URL-encoded, no brackets), else None."""
    if value[:4].lower() != "cid:":
        return None
    return unquote(value[4:]).strip().strip("<>")


def _clean(raw: str, attribute_filter: Callable[[str, str, str], str | None] | None) -> str:
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
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
