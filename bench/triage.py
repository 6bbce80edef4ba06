"""Triage: accuracy, training time and prediction time on a generated desk, or on a
public labelled corpus of customer messages.

    .venv/bin/python bench/triage.py                      # 10,000 tickets, SQLite
    .venv/bin/python bench/triage.py --unseen             # test on wording not trained on
    .venv/bin/python bench/triage.py --corpus /work/data/banking77   # Banking77
    scripts/with-postgres .venv/bin/python bench/triage.py

--corpus DIR reads DIR/train.csv and DIR/test.csv (columns text,category; Banking77's
layout): the training part becomes solved chat tickets (subject: the first line, as a
chat gets it) in one team per category, trained with `training.train`; each test
message is labelled through `suggest.predict`. Prints accuracy and macro-F1 of the team,
the training time and the prediction time per ticket (p50/p95).

Generates requests over the 24 intents of `bench/triage_corpus.py` (ru and en,
phrasings, slots, shuffled clauses, typos), imports them as solved tickets with the
intent as the team, trains the three models (`training.train`), then labels a
held-back set generated with another seed through `suggest.predict` (the path a new
ticket takes: the newest model of each target, loaded once and cached). Prints accuracy
per target, the training time and the prediction time per ticket (p50/p99, all three
targets together). With --unseen the models learn two of the three phrasings of each
intent and are tested on the third: the figure for wording the desk has not seen.
The last line is a JSON object with all figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
if not os.environ.get("OPORA_DATABASE_URL"):
    os.environ["OPORA_DATA_DIR"] = tempfile.mkdtemp(prefix="opora-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from bench.common import machine  # noqa: E402
from bench.triage_corpus import Sample, generate, import_history  # noqa: E402
from opora.accounts.actions import create_user  # noqa: E402
from opora.tickets.models import Priority  # noqa: E402
from opora.triage import suggest, training  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def read_corpus(path: Path) -> list[tuple[str, str]]:
    """(text, category) rows of a `text,category` CSV file."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


def chat_subject(text: str) -> str:
    """A chat ticket's subject: its first line, cut at 80 characters (as `opora.chat`)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return (first[:77] + "…") if len(first) > 80 else first


def as_samples(rows: list[tuple[str, str]]) -> list[Sample]:
    return [
        Sample(
            intent=category,
            type="question",
            priority="normal",
            language="en",
            subject=chat_subject(text),
            body=text,
        )
        for text, category in rows
    ]


def run_corpus(directory: Path, admin: object, requester: object) -> None:
    """Import the training part, train the product's models, label the test part."""
    from sklearn.metrics import f1_score

    train_rows = read_corpus(directory / "train.csv")
    test_rows = read_corpus(directory / "test.csv")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    teams = import_history(as_samples(train_rows), admin=admin, requester=requester)
    print(f"imported {len(train_rows)} solved tickets in {time.perf_counter() - started:.1f} s")

    started, cpu = time.perf_counter(), time.process_time()
    outcomes = training.train()
    trained, trained_cpu = time.perf_counter() - started, time.process_time() - cpu
    model = next(o.model for o in outcomes if o.target == "team")
    assert model is not None, "no team model"
    print(
        f"team: {model.samples} tickets, {len(model.classes)} classes, held-out accuracy "
        f"{model.accuracy:.4f}; training (every target) {trained:.1f} s, "
        f"{trained_cpu:.1f} s CPU"
    )

    team_names = {str(t.pk): name for name, t in teams.items()}
    suggest.predict(chat_subject(test_rows[0][0]), test_rows[0][0])  # load the model once
    expected, predicted, timings = [], [], []
    cpu = time.process_time()
    for text, category in test_rows:
        tick = time.perf_counter()
        found = suggest.predict(chat_subject(text), text)
        timings.append((time.perf_counter() - tick) * 1000)
        expected.append(category)
        predicted.append(team_names.get(found["team"].label, ""))
    cpu_ms = (time.process_time() - cpu) * 1000 / len(test_rows)
    accuracy = sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(test_rows)
    macro_f1 = float(f1_score(expected, predicted, average="macro"))
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(f"test part: {len(test_rows)} messages, accuracy {accuracy:.4f}, macro-F1 {macro_f1:.4f}")
    print(f"prediction per ticket: p50 {p50:.2f} ms, p95 {p95:.2f} ms, {cpu_ms:.2f} ms CPU")
    result = {
        "corpus": str(directory),
        "train": len(train_rows),
        "test": len(test_rows),
        "categories": len(teams),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro_f1, 4),
        "held_out_accuracy": round(model.accuracy, 4),
        "train_seconds": round(trained, 1),
        "train_cpu_seconds": round(trained_cpu, 1),
        "team_model_seconds": round(model.seconds, 1),
        "predict_ms_p50": round(p50, 2),
        "predict_ms_p95": round(p95, 2),
        "predict_ms_cpu": round(cpu_ms, 2),
        "model_bytes": len(model.pipeline),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--held-back", type=int, default=1_000)
    parser.add_argument("--typos", type=float, default=0.1, help="share of words misspelt")
    parser.add_argument(
        "--unseen",
        action="store_true",
        help="train on two phrasings of each intent, test on the third (unseen wording)",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        help="directory with train.csv and test.csv (text,category), e.g. Banking77",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    admin = create_user(email="admin@bench.test", name="Admin", role="admin", by=None)
    requester = create_user(email="customer@bench.test", name="Customer", by=None)
    if args.corpus:
        run_corpus(args.corpus, admin, requester)
        return
    load_before = os.getloadavg()[0]

    trained_on, tested_on = ((0, 1), (2,)) if args.unseen else ((0, 1, 2), (0, 1, 2))
    started = time.perf_counter()
    teams = import_history(
        generate(args.tickets, seed=11, typos=args.typos, phrasings=trained_on),
        admin=admin,
        requester=requester,
    )
    imported = time.perf_counter() - started
    print(f"imported {args.tickets} solved tickets in {imported:.1f} s")

    started, cpu = time.perf_counter(), time.process_time()
    outcomes = training.train()
    trained, trained_cpu = time.perf_counter() - started, time.process_time() - cpu
    models = {o.target: o.model for o in outcomes if o.target != "tags"}
    for target, model in models.items():
        assert model is not None, f"no {target} model"
        print(
            f"{target}: {model.samples} tickets, {len(model.classes)} classes, "
            f"held-out accuracy {model.accuracy:.3f}, {model.seconds:.1f} s"
        )
    print(f"training (three targets, each fitted twice: split, then all): {trained:.1f} s")

    team_names = {str(t.pk): name for name, t in teams.items()}
    held_back = generate(args.held_back, seed=99, typos=args.typos, phrasings=tested_on)
    suggest.predict(held_back[0].subject, held_back[0].body)  # load the models once
    right = {"team": 0, "type": 0, "priority": 0}
    timings = []
    for sample in held_back:
        tick = time.perf_counter()
        found = suggest.predict(sample.subject, sample.body)
        timings.append((time.perf_counter() - tick) * 1000)
        right["team"] += team_names.get(found["team"].label) == sample.intent
        right["type"] += found["type"].label == sample.type
        right["priority"] += found["priority"].label == str(Priority.by_name(sample.priority).value)
    accuracy = {k: round(v / len(held_back), 4) for k, v in right.items()}
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    print(f"held-back accuracy: {accuracy}")
    print(f"prediction per ticket (three targets): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    result = {
        "tickets": args.tickets,
        "held_back": len(held_back),
        "intents": len(teams),
        "typos": args.typos,
        "unseen_phrasings": args.unseen,
        "accuracy": accuracy,
        "held_out_accuracy": {t: round(m.accuracy, 4) for t, m in models.items() if m},
        "train_seconds": round(trained, 1),
        "train_cpu_seconds": round(trained_cpu, 1),
        "train_seconds_by_target": {t: round(m.seconds, 1) for t, m in models.items() if m},
        "predict_ms_p50": round(p50, 2),
        "predict_ms_p99": round(p99, 2),
        "model_bytes": {t: len(m.pipeline) for t, m in models.items() if m},
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
