"""Cutting the quoted history out of an HTML reply, on its element tree.

The HTML is read with Python's own `html.parser` into a small tree, then seen as lines
(one per block, `<br>` or `<pre>` line) that carry whether they sit inside a quote
(`<blockquote>`, Gmail's `gmail_quote`, Thunderbird's `moz-cite-prefix`, Mail.ru's and
Yandex's quote containers) or start the original outright (Outlook's `divRplyFwdMsg`,
`appendonsend` and border-top separator, Outlook 2003's `OutlookMessageHeader`,
Zimbra's `zwchr` rule). The line plan of `plan.py` decides which lines stay; the tree
is written out without the others, and the text is read from what remains, so the
page's HTML and the message's text say the same. Sanitizing stays nh3's job.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from opora.inbox.email.quotes.plan import Line, join_kept, keep

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
BLOCK = {
    "address", "article", "aside", "blockquote", "body", "center", "dd", "div", "dl", "dt",
    "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
SKIPPED = {"head", "style", "script", "title", "xml", "template"}
# An open element of these closes when the same one opens (HTML's implied end tags).
SELF_CLOSING = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}

_QUOTE_CLASS = re.compile(
    r"\b(gmail_quote|gmail_attr|moz-cite-prefix|yandex_quote|mailru_quote|js-helper"
    r"|x_gmail_quote|protonmail_quote|zmail_extra|reply-quote|quote)\b",
    re.IGNORECASE,
)
_HARD_ID = re.compile(
    r"^(x_)?(appendonsend|divRplyFwdMsg|mail-editor-reference-message-container|zwchr"
    r"|stopSpelling|OLK_SRC_BODY_SECTION|isReplyContent|divtagdefaultwrapper_quote)$",
    re.IGNORECASE,
)
_HARD_CLASS = re.compile(r"\b(OutlookMessageHeader|x_OutlookMessageHeader)\b", re.IGNORECASE)
# Outlook 2007-2019's separator above the header block: a top border and no other.
_OUTLOOK_BORDER = re.compile(
    r"border-top:\s*solid\s+#(?:E1E1E1|B5C4DF)|border-top:\s*solid\s+windowtext", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")

# Deeper elements are read as siblings of the last one: the tree's depth, and so the
# recursion that walks it, stays bounded.
MAX_DEPTH = 200
# More elements and text runs than this: the HTML is not cut (the text part is).
MAX_NODES = 20000
# Above this size the HTML is not parsed (the text part is cut instead): a bound on
# the time a hostile message can take.
MAX_HTML = 1024 * 1024


class Node:
    __slots__ = ("attrs", "children", "dropped", "order", "tag", "text")

    def __init__(self, tag: str, attrs: list[tuple[str, str | None]], order: int) -> None:
        self.tag = tag  # "" for a text node
        self.attrs = attrs
        self.children: list[Node] = []
        self.text = ""
        self.order = order
        self.dropped = False


class TooLarge(Exception):
    """The HTML has more nodes than are worth cutting it on."""


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.count = 0
        self.root = self._node("#root", [])
        self.stack = [self.root]
        self.skip = 0  # depth inside <head>, <style>, ...
        self.pre = 0

    def _node(self, tag: str, attrs: list[tuple[str, str | None]]) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise TooLarge
        return Node(tag, attrs, self.count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip or tag in SKIPPED:
            if tag not in VOID:
                self.skip += 1
            return
        if tag in SELF_CLOSING and self.stack[-1].tag == tag:
            self.stack.pop()
        node = self._node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)
            if tag == "pre":
                self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and not self.skip and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag in SKIPPED or tag not in VOID:
                self.skip -= 1
            return
        # An end tag closes one of the innermost open elements, or nothing (stray).
        for depth in range(len(self.stack) - 1, max(0, len(self.stack) - 32), -1):
            if self.stack[depth].tag == tag:
                for node in self.stack[depth:]:
                    if node.tag == "pre":
                        self.pre -= 1
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self.skip or not data:
            return
        parent = self.stack[-1]
        if self.pre and "\n" in data:
            # One node per line, so that a line of a <pre> can be dropped alone.
            for piece in re.split(r"(\n)", data):
                if piece:
                    node = self._node("", [])
                    node.text = piece
                    parent.children.append(node)
            return
        node = self._node("", [])
        node.text = data
        parent.children.append(node)


def parse(markup: str) -> Node:
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    return builder.root


def _attr(node: Node, name: str) -> str:
    for key, value in node.attrs:
        if key == name:
            return value or ""
    return ""


def _is_quote(node: Node) -> bool:
    return node.tag == "blockquote" or bool(_QUOTE_CLASS.search(_attr(node, "class")))


def _is_hard(node: Node) -> bool:
    if _HARD_ID.match(_attr(node, "id")) or _HARD_CLASS.search(_attr(node, "class")):
        return True
    return node.tag == "div" and bool(_OUTLOOK_BORDER.search(_attr(node, "style")))


class _Lines:
    """The tree's lines, each with the nodes that make it up and its outermost quote."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.nodes: list[list[Node]] = []
        self.quote_roots: list[Node | None] = []
        self.parts: list[str] = []
        self.current: list[Node] = []
        self.quote: Node | None = None
        self.line_quote: Node | None = None

    def text(self, node: Node) -> None:
        if not self.current:
            self.line_quote = self.quote
        self.current.append(node)
        self.parts.append(node.text)

    def attach(self, node: Node) -> None:
        """A node that belongs to the current line without text (<br>, <img>)."""
        if not self.current:
            self.line_quote = self.quote
        self.current.append(node)

    def end(self, marker: str = "", marker_node: Node | None = None) -> None:
        if marker_node is not None:
            self.close()
            self.lines.append(Line("", quoted=self.quote is not None, marker=marker))
            self.nodes.append([marker_node])
            self.quote_roots.append(self.quote)
            return
        self.close()

    def close(self) -> None:
        if not self.current:
            return
        text = _SPACE.sub(" ", "".join(self.parts)).strip()
        self.lines.append(Line(text, quoted=self.line_quote is not None))
        self.nodes.append(self.current)
        self.quote_roots.append(self.line_quote)
        self.current, self.parts = [], []


def _walk(node: Node, out: _Lines, in_pre: bool = False) -> None:
    for child in node.children:
        if not child.tag:
            if in_pre and child.text == "\n":
                out.attach(child)
                out.close()
            else:
                out.text(child)
            continue
        tag = child.tag
        if tag == "br":
            out.attach(child)
            if not out.parts or not "".join(out.parts).strip():
                out.parts.append("")
            out.close()
            continue
        if tag == "hr":
            out.end("hard" if _is_hard(child) else "rule", child)
            continue
        if tag in VOID:
            out.attach(child)
            continue
        hard = _is_hard(child)
        if hard:
            out.end("hard", child)
        block = tag in BLOCK
        if block:
            out.close()
        outer = out.quote
        if out.quote is None and _is_quote(child):
            out.quote = child
        _walk(child, out, in_pre or tag == "pre")
        out.quote = outer
        if block:
            out.close()


def _drop_after(node: Node, order: int) -> None:
    for child in node.children:
        if child.order >= order:
            child.dropped = True
        else:
            _drop_after(child, order)


def _write(node: Node, out: list[str]) -> None:
    for child in node.children:
        if child.dropped:
            continue
        if not child.tag:
            out.append(html.escape(child.text, quote=False))
            continue
        attrs = "".join(
            f" {k}" if v is None else f' {k}="{html.escape(v, quote=True)}"' for k, v in child.attrs
        )
        out.append(f"<{child.tag}{attrs}>")
        if child.tag in VOID:
            continue
        _write(child, out)
        out.append(f"</{child.tag}>")


def cut(markup: str) -> tuple[str, str] | None:
    """(HTML, text) of the customer's part of an HTML reply; None when nothing is cut."""
    try:
        root = parse(markup)
    except TooLarge:
        return None
    seen = _Lines()
    _walk(root, seen)
    seen.close()
    lines = seen.lines
    kept = keep(lines)
    if all(kept):
        return None
    first_dropped = kept.index(False)
    if not any(kept[first_dropped:]):
        # Everything from there on is history: drop it all, images and markup included.
        # From the outermost quote the line sits in (Gmail's gmail_quote, Mail.ru's
        # blockquote), so that no empty shell of it stays; else from its first node.
        quote = seen.quote_roots[first_dropped]
        _drop_after(root, (quote or seen.nodes[first_dropped][0]).order)
    else:
        for i, k in enumerate(kept):
            if k:
                continue
            quote = seen.quote_roots[i]
            if quote is not None:
                quote.dropped = True
            for node in seen.nodes[i]:
                node.dropped = True
    out: list[str] = []
    _write(root, out)
    text = join_kept([line.text for line in lines], kept)
    return "".join(out), text
