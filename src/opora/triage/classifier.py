"""The text classifier behind triage: TF-IDF over words (1-2) and characters (2-5,
within words, which forgives typos and Russian endings) into a multinomial logistic
regression, whose probabilities are the confidence a threshold compares against.

(A linear SVM calibrated by CalibratedClassifierCV was as accurate on our corpus but
three times slower to train and to predict: one sigmoid per class and fold.)

Pure functions over texts and labels; storing and loading the fitted pipelines is
`training.py`'s and `suggest.py`'s business.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline

# The minimum data rule: fewer tickets, or fewer classes with enough examples, and the
# target gets no model (a guess from a handful of tickets does more harm than none).
MIN_SAMPLES = 50
MIN_PER_CLASS = 5
MIN_CLASSES = 2
HELD_OUT = 0.2
# Enough of the first message to know what it is about; long mails add only noise.
BODY_CHARS = 2000


def ticket_text(subject: str, body: str) -> str:
    return f"{subject}\n{body[:BODY_CHARS]}"


def build_features() -> FeatureUnion:
    words = TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1, dtype=np.float32
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        min_df=2,
        max_features=100_000,
        dtype=np.float32,
    )
    return FeatureUnion([("words", words), ("chars", chars)])


def build_model() -> LogisticRegression:
    return LogisticRegression(C=10, max_iter=100)


@dataclass(frozen=True)
class Fitted:
    pipeline: Pipeline
    samples: int
    classes: list[str]
    accuracy: float
    seconds: float


def usable(labels: Sequence[str | None]) -> set[str]:
    """The classes with enough examples to learn from; empty when the rule says no model."""
    known = [y for y in labels if y is not None]
    if len(known) < MIN_SAMPLES:
        return set()
    counts = Counter(known)
    kept = {label for label, n in counts.items() if n >= MIN_PER_CLASS}
    if len(kept) < MIN_CLASSES or sum(counts[k] for k in kept) < MIN_SAMPLES:
        return set()
    return kept


def fit_features(texts: Sequence[str]) -> tuple[FeatureUnion, Any]:
    """The vocabulary and weights of all the tickets' texts, shared by every target (the
    texts are the same, only the labels differ): one pass over them per training, and
    one per new ticket. Unsupervised, so the held-out tickets' labels stay unseen."""
    features = build_features()
    return features, features.fit_transform(list(texts))


def fit(
    features: FeatureUnion, matrix: Any, labels: Sequence[str | None], *, seed: int = 0
) -> Fitted | None:
    """Fit on 80 %, measure on the held-out 20 %, then fit again on everything.

    `labels[i]` belongs to row i of `matrix` (None: that ticket has no value for this
    target). None when the minimum data rule refuses (too few tickets or classes)."""
    kept = usable(labels)
    if not kept:
        return None
    started = time.perf_counter()
    rows = [i for i, y in enumerate(labels) if y in kept]
    ys = [labels[i] for i in rows]
    train_rows, test_rows, y_train, y_test = train_test_split(
        rows, ys, test_size=HELD_OUT, random_state=seed, stratify=ys
    )
    trial = build_model().fit(matrix[train_rows], y_train)
    accuracy = float(trial.score(matrix[test_rows], y_test))
    final = build_model().fit(matrix[rows], ys)
    return Fitted(
        pipeline=Pipeline([("features", features), ("model", final)]),
        samples=len(rows),
        classes=sorted(kept),
        accuracy=accuracy,
        seconds=time.perf_counter() - started,
    )


def probabilities(pipeline: Any, row: Any) -> tuple[str, float]:
    """The most likely class of one transformed text and its probability."""
    model = pipeline.named_steps["model"]
    found = model.predict_proba(row)[0]
    best = int(found.argmax())
    return str(model.classes_[best]), float(found[best])


def dump(pipeline: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def load(data: bytes) -> Any:
    # Only ever bytes this desk wrote into its own database (TriageModel.pipeline).
    return joblib.load(io.BytesIO(bytes(data)))
