"""Triage: accuracy, training time and prediction time on a generated desk.

    .venv/bin/python bench/triage.py                      # 10,000 tickets, SQLite
    .venv/bin/python bench/triage.py --unseen             # test on wording not trained on
    scripts/with-postgres .venv/bin/python bench/triage.py

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
from bench.triage_corpus import generate, import_history  # noqa: E402
from opora.accounts.actions import create_user  # noqa: E402
from opora.tickets.models import Priority  # noqa: E402
from opora.triage import suggest, training  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


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
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    admin = create_user(email="admin@bench.test", name="Admin", role="admin", by=None)
    requester = create_user(email="customer@bench.test", name="Customer", by=None)
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

    started = time.perf_counter()
    outcomes = training.train()
    trained = time.perf_counter() - started
    models = {o.target: o.model for o in outcomes}
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
        right["team"] += team_names.get(found["team"][0]) == sample.intent
        right["type"] += found["type"][0] == sample.type
        right["priority"] += found["priority"][0] == str(Priority.by_name(sample.priority).value)
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
