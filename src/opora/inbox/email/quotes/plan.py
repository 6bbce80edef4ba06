"""Which lines of a reply are the customer's: the same decision for text and HTML.

A reply is seen as a list of lines (a plain part's lines, or an HTML part's blocks),
each known to be quoted or not. The quoted history starts at the first attribution,
"original message" divider, header block or quote; what follows it is dropped, except
the customer's own lines written between or below quotes. Then a signature ("-- ")
or a mobile footer at the very end goes. Every step looks at each line a bounded
number of times, and only the first `MAX_LINES` lines are searched for the history.
"""

from __future__ import annotations

from dataclasses import dataclass

from opora.inbox.email.quotes import patterns as p

# Where the history starts is searched in the first lines only; a reply whose history
# starts later is shown whole (nothing the customer wrote can be lost that way).
MAX_LINES = 3000
# A signature after "-- " is short; more lines than this after it are not one.
MAX_SIGNATURE_LINES = 15
# An attribution wrapped by the client spans at most this many lines.
ATTRIBUTION_SPAN = 4


@dataclass
class Line:
    text: str
    quoted: bool = False
    # "hard": an element that starts the quoted original (HTML clients' markers);
    # "rule": a horizontal rule (<hr>), which may stand above a header block.
    marker: str = ""


@dataclass(frozen=True)
class Start:
    at: int  # first line of the history
    end: int  # first line after the attribution / header (where quotes may begin)
    hard: bool  # everything from `at` on is history (no replies in between)


def _attribution_span(lines: list[Line], i: int) -> int:
    """How many lines (1..ATTRIBUTION_SPAN) the attribution at `i` spans; 0 if none."""
    first = lines[i]
    if first.quoted or first.marker or p.is_blank(first.text):
        return 0
    if p.is_attribution(first.text):
        return 1
    if not p.looks_like_start(first.text):
        return 0
    joined = first.text.strip()
    for k in range(1, ATTRIBUTION_SPAN):
        if i + k >= len(lines):
            return 0
        nxt = lines[i + k]
        if nxt.quoted or nxt.marker or p.is_blank(nxt.text):
            return 0
        if p.looks_like_start(nxt.text) and p.is_attribution(nxt.text):
            return 0  # the attribution starts on the next line, not here
        joined = f"{joined} {nxt.text.strip()}"
        if p.is_attribution(joined):
            return k + 1
    return 0


def _header_block(lines: list[Line], i: int) -> int:
    """Length of a quoted original's header block (From/Sent/To/Subject) at `i`; 0 if none."""
    kinds: list[str] = []
    j = i
    while j < len(lines) and j - i < 8:
        found = p.field(lines[j].text) if not lines[j].quoted else None
        if found is None:
            break
        kinds.append(found[0])
        j += 1
    distinct = set(kinds)
    if not kinds or p.field(lines[i].text) is None:
        return 0
    first_kind, first_value = p.field(lines[i].text) or ("", "")
    if first_kind == "from" and not first_value:
        return 0
    if len(distinct) >= 3 or {"from", "sent"} <= distinct:
        return j - i
    return 0


def _next_filled(lines: list[Line], j: int, limit: int = 4) -> int:
    """Index of the first non-blank line from `j` (at most `limit` blank lines skipped)."""
    skipped = 0
    while j < len(lines) and p.is_blank(lines[j].text) and not lines[j].marker:
        j += 1
        skipped += 1
        if skipped > limit:
            return len(lines)
    return j


def _above_header(lines: list[Line], i: int, first_kind: str) -> int:
    """The header block's real first line: the rule or divider above it, or the sender
    and date lines Lotus Notes writes above "To:"."""
    j = i - 1
    while j >= 0 and i - j <= 3 and p.is_blank(lines[j].text) and not lines[j].marker:
        j -= 1
    if j >= 0 and (
        lines[j].marker == "rule" or p.is_rule(lines[j].text) or p.is_divider(lines[j].text)
    ):
        return j
    if first_kind == "to":
        start, k = i, i - 1
        if k >= 0 and p.is_blank(lines[k].text):
            k -= 1
        while k >= 0 and i - k <= 4 and p.has_address_or_time(lines[k].text):
            if lines[k].quoted or p.is_blank(lines[k].text):
                break
            start, k = k, k - 1
        return start
    return i


def find_start(lines: list[Line], begin: int = 0) -> Start | None:
    """Where the quoted history starts, from line `begin` on; None if it does not."""
    end = min(len(lines), begin + MAX_LINES)
    for i in range(begin, end):
        line = lines[i]
        if line.marker == "hard":
            return Start(i, i + 1, True)
        if line.quoted:
            return Start(i, i, False)
        if line.marker or p.is_blank(line.text):
            continue
        text = line.text
        if p.is_forward(text):
            return None  # a forward is content, not history
        if p.is_divider(text):
            return Start(i, i + 1, True)
        span = _attribution_span(lines, i)
        if span:
            after = _next_filled(lines, i + span)
            if after < len(lines) and lines[after].quoted:
                return Start(i, i + span, False)
            if p.has_address_or_time(" ".join(x.text for x in lines[i : i + span])):
                return Start(i, i + span, True)
        size = _header_block(lines, i)
        if size:
            kind = (p.field(text) or ("", ""))[0]
            return Start(_above_header(lines, i, kind), i + size, True)
    return None


def keep(lines: list[Line]) -> list[bool]:
    """For each line, whether the customer wrote it (and it is not a signature)."""
    kept = [True] * len(lines)
    start = find_start(lines)
    if start is not None:
        _drop_history(lines, kept, start)
    drop_signature(lines, kept)
    if not any(k and not p.is_blank(line.text) for k, line in zip(kept, lines, strict=True)):
        return [True] * len(lines)  # only history: show it all rather than nothing
    return kept


def _drop_history(lines: list[Line], kept: list[bool], start: Start) -> None:
    if start.hard:
        for j in range(start.at, len(lines)):
            kept[j] = False
        return
    for j in range(start.at, start.end):
        kept[j] = False
    # A quote region: quotes go, the customer's lines between and below them stay,
    # until another hard start (then all of the rest is history).
    i = start.end
    while i < len(lines):
        line = lines[i]
        if line.quoted or line.marker == "rule":
            kept[i] = False
            i += 1
            continue
        if p.is_blank(line.text) and not line.marker:
            i += 1
            continue
        nested = find_start(lines, i)
        if nested is None:
            return
        if nested.at > i:
            i = nested.at  # the customer's lines up to the next history start stay
            continue
        if nested.hard:
            for j in range(i, len(lines)):
                kept[j] = False
            return
        for j in range(nested.at, nested.end):
            kept[j] = False
        i = max(nested.end, i + 1)


def drop_signature(lines: list[Line], kept: list[bool]) -> None:
    """A mobile footer as the last line, and a "-- " signature at the end."""
    # Only the end matters: the last few shown lines, found from the bottom up.
    shown: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if kept[i] and not p.is_blank(lines[i].text):
            shown.append(i)
            if len(shown) > MAX_SIGNATURE_LINES + 2:
                break
    if not shown:
        return
    shown.reverse()
    last = shown[-1]
    if p.is_footer(lines[last].text):
        kept[last] = False
        shown.pop()
        if shown and (
            p.is_signature_delimiter(lines[shown[-1]].text) or p.is_rule(lines[shown[-1]].text)
        ):
            kept[shown.pop()] = False
    for i in reversed(shown[-(MAX_SIGNATURE_LINES + 1) :]):
        if p.is_signature_delimiter(lines[i].text):
            for j in range(i, len(lines)):
                kept[j] = False
            return


def text_lines(text: str) -> list[Line]:
    return [Line(line, quoted=p.is_quoted(line)) for line in text.split("\n")]


def join_kept(texts: list[str], kept: list[bool]) -> str:
    """The kept lines, a dropped run between two kept lines shown as one blank line."""
    out: list[str] = []
    gap = False
    for text, k in zip(texts, kept, strict=True):
        if not k:
            gap = True
            continue
        line = text.rstrip()
        if not line:
            gap = True
            continue
        if gap and out:
            out.append("")
        gap = False
        out.append(line)
    return "\n".join(out)
