"""Reply trimming: how often an agent sees exactly the customer's new words.

    .venv/bin/python bench/reply_trimming.py [--show-failures]

Runs every fixture of tests/inbox/replies/ (the set the cutter was built against) and
tests/inbox/replies_holdout/ (written before it was tuned) through the intake's own
reading step, and compares what the ticket shows with `<case>.expected.txt`. "Exact"
means the same lines in the same order, ignoring blank lines and runs of spaces (an
HTML reply shows its paragraphs with the client's spacing). Prints the share per kind
and overall for both sets; the last line is a JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "main": ROOT / "tests" / "inbox" / "replies",
    "holdout": ROOT / "tests" / "inbox" / "replies_holdout",
}


def setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    os.environ.setdefault("OPORA_DATA_DIR", tempfile.mkdtemp(prefix="opora-trim-"))
    os.environ.setdefault("OPORA_SECRET_KEY", "bench")
    os.environ.setdefault("OPORA_LOG_LEVEL", "ERROR")
    import django

    django.setup()


def normalized(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def visible(raw: bytes) -> tuple[str, str]:
    """(what the page shows as text, the message's stored text) of a reply."""
    from opora.inbox.email.parse import html_to_text, parse_message
    from opora.inbox.email.reading import Reading, shown

    mail = parse_message(raw)
    text, html = shown(Reading(mail, "", False, "en"), reply=True)
    return (html_to_text(html) if html else text), text


def cases(folder: Path) -> list[tuple[str, Path]]:
    return sorted((p.parent.name, p) for p in folder.glob("*/*.eml"))


def run(show_failures: bool) -> dict[str, dict[str, float | int]]:
    figures: dict[str, dict[str, float | int]] = {}
    for name, folder in SETS.items():
        hits: dict[str, list[bool]] = defaultdict(list)
        for kind, path in cases(folder):
            expected = path.with_name(path.name[: -len(".eml")] + ".expected.txt")
            want = normalized(expected.read_text(encoding="utf-8"))
            got = normalized(visible(path.read_bytes())[0])
            hits[kind].append(got == want)
            if got != want and show_failures:
                print(f"--- {name}/{kind}/{path.name}\n{got}\n--- expected\n{want}\n")
        total = [h for kind in hits.values() for h in kind]
        overall = 100 * sum(total) / max(len(total), 1)
        print(f"{name}: {sum(total)}/{len(total)} exact ({overall:.1f}%)")
        for kind, got in sorted(hits.items()):
            share = 100 * sum(got) / len(got)
            print(f"  {kind:14} {sum(got):3}/{len(got):<3} {share:5.1f}%")
            figures[f"{name}.{kind}"] = round(share, 1)
        figures[f"{name}.cases"] = len(total)  # type: ignore[assignment]
        figures[f"{name}.overall"] = round(overall, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    setup()
    figures = run(args.show_failures)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
