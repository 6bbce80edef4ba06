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

# Bounds checked before the sanitizer sees a document: its tree builder's cost grows
# faster than the nesting depth (40,000 nested elements took seconds). Deeper or more
# elements than any real message has are flattened (the tags dropped, the text kept).
MAX_DEPTH = 200
MAX_ELEMENTS = 200_000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*>|<!--.*?-->|<![^>]*>|<\?[^>]*>", re.S)
# Elements that never hold children, or that the parser closes on its own when a
# sibling starts: they do not deepen the tree.
_FLAT = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option",
    "optgroup", "thead", "tbody", "tfoot", "colgroup", "rb", "rt", "rp",
})  # fmt: skip


class SanitizedHtml(str):
    """HTML that `sanitize_html` already cleaned: cleaning it again returns it as it is.

    The e-mail intake sanitizes while it reads, before its transaction starts; the write
    path then does not pay for (or hold a lock during) a second pass."""


def sanitize_html(raw: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and foreign URL schemes."""
    if isinstance(raw, SanitizedHtml):
        return str(raw)
    return _clean(raw, None)


def presanitized(raw: str) -> SanitizedHtml:
    """`raw` sanitized now, marked so that the write path does not sanitize it again."""
    return SanitizedHtml(sanitize_html(raw))


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


def bound_markup(raw: str) -> str:
    """`raw` with the tags beyond MAX_DEPTH levels or MAX_ELEMENTS elements removed (the
    text between them kept); unchanged when within the bounds. One pass, linear time."""
    if raw.count("<") <= MAX_DEPTH:
        return raw  # too few tags to exceed either bound
    out: list[str] = []
    depth = elements = kept_from = 0
    flattened = False
    for match in _TAG.finditer(raw):
        closing, name = match.group(1), match.group(2)
        if name is None:
            continue  # a comment, doctype or processing instruction: left to the sanitizer
        name = name.lower()
        flat = name in _FLAT
        if closing:
            keep = depth <= MAX_DEPTH and elements <= MAX_ELEMENTS
            if not flat and depth > 0:
                depth -= 1
        else:
            elements += 1
            if not flat:
                depth += 1
            keep = depth <= MAX_DEPTH and elements <= MAX_ELEMENTS
        if not keep:
            flattened = True
            out.append(raw[kept_from : match.start()])
            kept_from = match.end()
    if not flattened:
        return raw
    out.append(raw[kept_from:])
    return "".join(out)


def _clean(raw: str, attribute_filter: Callable[[str, str, str], str | None] | None) -> str:
    return nh3.clean(
        bound_markup(raw),
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
