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


def build_pipeline() -> Pipeline:
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
    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("model", LogisticRegression(C=10, max_iter=100)),
        ]
    )


@dataclass(frozen=True)
class Fitted:
    pipeline: Pipeline
    samples: int
    classes: list[str]
    accuracy: float
    seconds: float


def usable(labels: Sequence[str]) -> set[str]:
    """The classes with enough examples to learn from; empty when the rule says no model."""
    if len(labels) < MIN_SAMPLES:
        return set()
    counts = Counter(labels)
    kept = {label for label, n in counts.items() if n >= MIN_PER_CLASS}
    if len(kept) < MIN_CLASSES or sum(counts[k] for k in kept) < MIN_SAMPLES:
        return set()
    return kept


def fit(texts: Sequence[str], labels: Sequence[str], *, seed: int = 0) -> Fitted | None:
    """Fit on 80 %, measure on the held-out 20 %, then fit again on everything.

    None when the minimum data rule refuses (too few tickets or classes)."""
    kept = usable(labels)
    if not kept:
        return None
    started = time.perf_counter()
    pairs = [(t, y) for t, y in zip(texts, labels, strict=True) if y in kept]
    xs = [t for t, _ in pairs]
    ys = [y for _, y in pairs]
    x_train, x_test, y_train, y_test = train_test_split(
        xs, ys, test_size=HELD_OUT, random_state=seed, stratify=ys
    )
    trial = build_pipeline().fit(x_train, y_train)
    accuracy = float(trial.score(x_test, y_test))
    final = build_pipeline().fit(xs, ys)
    return Fitted(
        pipeline=final,
        samples=len(xs),
        classes=sorted(kept),
        accuracy=accuracy,
        seconds=time.perf_counter() - started,
    )


def predict(pipeline: Any, text: str) -> tuple[str, float]:
    """The most likely class and its probability."""
    probabilities = pipeline.predict_proba([text])[0]
    best = int(probabilities.argmax())
    return str(pipeline.classes_[best]), float(probabilities[best])


def dump(pipeline: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def load(data: bytes) -> Any:
    # Only ever bytes this desk wrote into its own database (TriageModel.pipeline).
    return joblib.load(io.BytesIO(bytes(data)))
