"""Cutting quoted history and signatures off a reply, so agents see only what is new.

The full original stays in the raw message (one click away on the ticket page); only
the visible reply is shortened. `patterns.py` knows how the common clients write, in
ten languages; `plan.py` decides which lines are the customer's; `dom.py` applies that
to an HTML reply on its element tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from opora.inbox.email.quotes import dom
from opora.inbox.email.quotes.plan import (
    MAX_LINES,
    drop_signature,
    find_start,
    join_kept,
    keep,
    text_lines,
)

__all__ = ["Trimmed", "strip_html_quotes", "strip_quotes", "visible_reply"]


@dataclass(frozen=True)
class Trimmed:
    """What the ticket shows of a reply."""

    text: str
    html: str  # "" when the reply had no HTML, or its HTML is rebuilt from `text`
    cut: bool  # something (history, a signature) was left out


def strip_quotes(text: str) -> str:
    """The new part of a reply: quoted history and signature removed.

    Returns the text unchanged when cutting would leave nothing (a message that is
    only a quote), so nothing the customer wrote can disappear.
    """
    text = text.replace("\r\n", "\n")
    if text.count("\n") > 3 * LONG:
        shortened = _long_text(text)
        if shortened is not None:
            return shortened
    lines = text_lines(text)
    kept = keep(lines)
    if all(kept):
        return text.strip()
    return join_kept([line.text for line in lines], kept) or text.strip()


# A text of more lines than three times this is first looked at only at its two ends.
LONG = MAX_LINES + 16


def _long_text(text: str) -> str | None:
    """A very long reply with no history in its first lines: only a signature at its end
    can go, so only its ends are read. None when the history starts near the top."""
    parts = text.split("\n")
    head = text_lines("\n".join(parts[:LONG]))
    if find_start(head) is not None:
        return None
    tail = text_lines("\n".join(parts[-LONG:]))
    kept = [True] * len(tail)
    drop_signature(tail, kept)
    if all(kept):
        return text.strip()
    rest = join_kept([line.text for line in tail], kept)
    return ("\n".join(parts[:-LONG]).rstrip() + "\n" + rest).strip()


def strip_html_quotes(markup: str) -> str:
    """HTML cut where the quoted history starts; unchanged when nothing would remain."""
    if len(markup) > dom.MAX_HTML:
        return markup
    found = dom.cut(markup)
    return markup if found is None else found[0]


def visible_reply(text: str, html: str) -> Trimmed:
    """The customer's part of a reply, as text and HTML that say the same."""
    text = text.strip()
    if html and len(html) <= dom.MAX_HTML:
        found = dom.cut(html)
        if found is not None and found[1].strip():
            return Trimmed(found[1], found[0], True)
        if found is None:
            text_cut = strip_quotes(text)
            if text_cut != text:
                # Only the plain part shows where the history starts.
                return Trimmed(text_cut, "", True)
            return Trimmed(text, html, False)
    text_cut = strip_quotes(text)
    if text_cut != text:
        return Trimmed(text_cut, "", True)  # HTML is rebuilt from the shortened text
    return Trimmed(text, html, False)
