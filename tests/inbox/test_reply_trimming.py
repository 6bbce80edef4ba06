"""What an agent sees of a customer's e-mail reply: exactly the customer's new words.

Every fixture of tests/inbox/replies/ and tests/inbox/replies_holdout/ (a reply as a
real client writes it, and the text an agent should see of it) goes through the
intake's own reading step. Kinds: attributions, "original message" dividers, header
blocks, interleaved and bottom-posted replies, HTML replies, signatures and footers,
and replies nothing should be cut from. `bench/reply_trimming.py` prints the shares.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from opora.inbox.email.parse import html_to_text, parse_message
from opora.inbox.email.quotes import strip_quotes, visible_reply
from opora.inbox.email.reading import Reading, shown

HERE = Path(__file__).parent
SETS = [HERE / "replies", HERE / "replies_holdout"]
KINDS = ["attribution", "divider", "header_block", "interleaved", "html", "signature", "untouched"]


def normalized(text: str) -> str:
    """The same lines in the same order; blank lines and runs of spaces do not count."""
    lines = (" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def fixtures(kind: str) -> list[Path]:
    return sorted(p for folder in SETS for p in (folder / kind).glob("*.eml"))


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.stem}"


def _check(path: Path) -> None:
    expected = path.with_name(path.stem + ".expected.txt").read_text(encoding="utf-8")
    text, html = shown(Reading(parse_message(path.read_bytes()), "", False, "en"), reply=True)
    page = html_to_text(html) if html else text
    assert normalized(page) == normalized(expected)
    # The page's HTML and the message's text (search, notifications) say the same.
    assert normalized(text) == normalized(page)


@pytest.mark.parametrize("path", fixtures("attribution"), ids=_id)
def test_attribution_lines_in_ten_languages(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", fixtures("divider"), ids=_id)
def test_original_message_dividers(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", fixtures("header_block"), ids=_id)
def test_header_blocks_with_or_without_a_divider(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", fixtures("interleaved"), ids=_id)
def test_replies_between_and_below_quotes(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", fixtures("html"), ids=_id)
def test_html_replies_are_cut_in_the_html(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", fixtures("signature"), ids=_id)
def test_signatures_and_mobile_footers(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", fixtures("untouched"), ids=_id)
def test_replies_without_history_stay_whole(path: Path) -> None:
    _check(path)


def test_the_sets_are_large_enough() -> None:
    main = [p for kind in KINDS for p in (SETS[0] / kind).glob("*.eml")]
    holdout = [p for kind in KINDS for p in (SETS[1] / kind).glob("*.eml")]
    assert len(main) >= 150 and len(holdout) >= 40


def test_no_quoted_line_of_an_html_reply_remains_in_its_html() -> None:
    markup = (
        "<div>Thanks, it works now.</div>"
        '<div class="gmail_quote"><div class="gmail_attr">On Thu, Mar 12, 2026 at 10:04 AM '
        "Desk &lt;support@desk.test&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Please restart <img src="cid:logo"> it.</blockquote></div>'
    )
    trimmed = visible_reply("Thanks, it works now.", markup)
    assert trimmed.cut
    assert "restart" not in trimmed.html and "cid:logo" not in trimmed.html
    assert "gmail_quote" not in trimmed.html
    assert trimmed.text == "Thanks, it works now."


def test_a_divider_does_not_stay_above_a_cut_header_block() -> None:
    text = (
        "See attached.\n\n________________________________\n"
        "Von: Desk <support@desk.test>\nGesendet: Donnerstag, 12. März 2026 10:04\n"
        "An: Anna\nBetreff: Rechnung\n\nAlte Nachricht"
    )
    assert strip_quotes(text) == "See attached."


def test_a_sentence_starting_like_a_footer_is_kept() -> None:
    text = "Thanks.\n\nSent from my office the file never arrives"
    assert strip_quotes(text) == text


def test_a_message_that_is_only_a_quote_is_shown_whole() -> None:
    text = "On Thu, Mar 12, 2026 at 10:04 AM Desk <support@desk.test> wrote:\n> Hello"
    assert strip_quotes(text) == text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Hello\n" + "a long line of a long reply\n" * 200_000 + "\n> q", id="5MB"),
        pytest.param(">" * (1024 * 1024), id="1MB-of-gt"),
        pytest.param(("On " + "1" * 290 + " wrote:\n") * 17_000, id="5MB-of-near-attributions"),
        pytest.param("x@" * 2_500_000, id="5MB-of-at-signs"),
    ],
)
def test_hostile_text_is_cut_in_well_under_a_second(text: str) -> None:
    started = time.perf_counter()
    visible_reply(text, "")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("<div>" * 100_000 + "x", id="deep"),
        pytest.param("<blockquote>" * 50_000 + "x", id="quote-bomb"),
        pytest.param("<p>" + "word " * 1_000_000 + "</p>", id="5MB-paragraph"),
    ],
)
def test_hostile_html_is_cut_in_well_under_a_second(markup: str) -> None:
    started = time.perf_counter()
    visible_reply("x", markup)
    assert time.perf_counter() - started < 1.0
