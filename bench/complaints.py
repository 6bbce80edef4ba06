"""The complaint detector: precision and recall on the labelled ru/en sets, and its
speed per message.

    .venv/bin/python bench/complaints.py
    .venv/bin/python bench/complaints.py --threshold 0.6

Reads `tests/complaints/fixtures/messages.tsv` (the set the lexicon was written
against) and `holdout.tsv` (written afterwards; see tests/complaints/test_detection.py
for what its figures mean). The last line is a JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from opora.complaints.detection import THRESHOLD, detect, evaluate, read_labelled  # noqa: E402

FIXTURES = ROOT / "tests" / "complaints" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args()
    results: dict[str, object] = {"threshold": args.threshold}
    texts: list[str] = []
    for name in ("messages", "holdout"):
        samples = read_labelled(str(FIXTURES / f"{name}.tsv"))
        texts += [text for _, text in samples]
        scores = evaluate(samples, args.threshold)
        print(
            f"{name}: {len(samples)} messages, precision {scores.precision:.3f}, "
            f"recall {scores.recall:.3f}"
        )
        for text in scores.missed:
            print(f"  missed:   {text}")
        for text in scores.mistaken:
            print(f"  mistaken: {text}")
        results[name] = {
            "messages": len(samples),
            "precision": round(scores.precision, 4),
            "recall": round(scores.recall, 4),
            "false_positive": scores.false_positive,
            "false_negative": scores.false_negative,
        }
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            detect(text)
    per_message = (time.perf_counter() - started) / (rounds * len(texts))
    results["microseconds_per_message"] = round(per_message * 1e6, 1)
    print(f"{per_message * 1e6:.0f} µs per message")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
