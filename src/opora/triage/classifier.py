# ruff: noqa: RUF001
"""The text classifier behind triage: TF-IDF over the stems of normalized words (1-2),
characters (2-5, within words, which forgives typos and Russian endings) and unordered
pairs of stems within a sentence (the words that go together, wherever they stand) into
a linear SVM per target, whose scores become probabilities by a softmax with one
temperature fitted on held-out tickets: the confidence a threshold compares against.
From NETWORK_MIN_SAMPLES tickets six small networks trained from scratch on the same
features (network.py) join the SVM, their probabilities averaged with its and divided
by the classes' shares to the power PRIOR_CORRECTION (`Blend`).
Tags, several per ticket, get one logistic regression per tag (one-vs-rest).

(Logistic regression was as accurate but three times slower to train on 77 classes; a
linear SVM calibrated by CalibratedClassifierCV was slower still to train and to
predict: one sigmoid per class and fold. One temperature costs nothing at prediction.)

Pure functions over texts and labels; storing and loading the fitted pipelines is
`training.py`'s and `suggest.py`'s business.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import snowballstemmer  # type: ignore[import-untyped]
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, MultiLabelBinarizer
from sklearn.svm import LinearSVC

from opora.triage.network import Networks

# How many networks join the SVM (different seeds; their log-probabilities averaged).
# Six rather than three since the fifth round: 0.1-0.2 points more accurate in
# cross-validation on Banking77's training part, for twice the networks' training time
# and first layers (bench/RESULTS.md).
NETWORKS = 6
# The minimum data rule: fewer tickets, or fewer classes with enough examples, and the
# target gets no model (a guess from a handful of tickets does more harm than none).
MIN_SAMPLES = 50
MIN_PER_CLASS = 5
MIN_CLASSES = 2
# A tag is learnt once this many solved tickets carry it.
MIN_PER_TAG = 10
HELD_OUT = 0.2
# Enough of the first message to know what it is about; long mails add only noise.
BODY_CHARS = 2000
# Chosen by cross-validation on the training part of the Banking77 corpus (bench/triage.py).
SVM_C = 0.5
TAGS_C = 4.0
# From this many tickets the team gets the small networks beside its SVM (network.py);
# below it, too few examples for them to add anything (on 1,200 of Banking77's tickets
# the blend was no more accurate than the SVM and less confident; on 3,000, 0.7 points
# more accurate), and the SVM alone keeps its confidence as it was. Only the team
# (`fit(..., networks=True)`): the networks are most of a training's time, the budget
# allows them once, and the team is the target with many fine-grained classes where
# they were measured to help (type and priority have a handful of classes).
NETWORK_MIN_SAMPLES = 2000
# The networks' softmax temperature, chosen by cross-validation on Banking77's training
# part (their mean log-probabilities on the held-out fifths): they are fitted once, on
# every ticket, so no held-out ticket is left to fit it on.
NETWORK_TEMPERATURE = 1.97
# The blend's probabilities are divided by the classes' shares of the training tickets to
# this power: the networks learn how often each class comes and, between two close
# classes, lean to the commoner one more than the tickets' words warrant. Half a
# correction, chosen by cross-validation on Banking77's training part (bench/RESULTS.md,
# fifth round): more accurate there, and more so on the rarer classes.
PRIOR_CORRECTION = 0.5


def ticket_text(subject: str, body: str) -> str:
    """What the models read. A chat's subject is its message's first line (cut at 80
    characters with "…"): then only the body, so those words do not count twice."""
    head = subject.rstrip("…").strip()
    if head and body.lstrip().startswith(head):
        return body[:BODY_CHARS]
    return f"{subject}\n{body[:BODY_CHARS]}"


# Normalization: the same request written with "£20", "$100" or "10 pounds", "didn't" or
# "did not", looks the same to the model.
_CURRENCY = re.compile(
    r"[£$€₽¥]|\b(?:usd|gbp|eur|euros?|dollars?|pounds?|rubles?|roubles?|руб\w*|евро|доллар\w*)\b"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NOT = re.compile(r"n't\b")
_CLITIC = re.compile(r"'(s|re|ve|ll|d|m)\b")
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile("[а-яё]")
_STEMMERS = {"en": snowballstemmer.stemmer("english"), "ru": snowballstemmer.stemmer("russian")}


def normalize(text: str) -> str:
    text = text.lower().replace("’", "'").replace("ё", "е")
    text = _NOT.sub(" not", text)
    text = _CLITIC.sub(r" \1", text)
    text = _CURRENCY.sub(" zcur ", text)
    return _NUMBER.sub(" znum ", text)


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # A desk's vocabulary is small and repeats: each word is stemmed once per process.
    return str(_STEMMERS["ru" if _CYRILLIC.search(word) else "en"].stemWord(word))


def stems(text: str) -> list[str]:
    """Snowball stems (Russian or English by the word's letters) of a normalized text."""
    return [_stem(w) for w in _WORD.findall(text)]


def normalize_all(texts: Any) -> list[str]:
    return [normalize(t) for t in texts]


_SENTENCE = re.compile(r"[.!?;\n]+")
# Distinct stems of a sentence paired: enough for any real sentence (Banking77's longest
# has 41), and a sentence of a thousand words without a full stop stays cheap.
MAX_PAIRED = 40


def word_pairs(text: str) -> list[str]:
    """Unordered pairs of the distinct stems of each sentence of a normalized text:
    "card|arriv" for "my card has not arrived" and "has the card arrived?" alike. They
    tell apart requests made of the same words in other roles ("top up failed" and "top
    up pending", "card payment" and "direct debit payment" not recognised)."""
    found: list[str] = []
    for sentence in _SENTENCE.split(text):
        words = sorted(set(list(dict.fromkeys(stems(sentence)))[:MAX_PAIRED]))
        found.extend(f"{a}|{b}" for a, b in itertools.combinations(words, 2))
    return found


def build_features() -> Pipeline:
    """Normalized text (once), then the TF-IDF of its stems (1-2-grams: "charged" and
    "charges" are one word) beside its character 2-5-grams within words (misspellings,
    inflections the stemmer misses) and its pairs of stems within a sentence. Plain words
    were tried too: no better in cross-validation on Banking77's training part, and a
    third of the prediction time; the pairs added 0.7-0.95 points there (bench/RESULTS.md)."""
    stemmed = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        tokenizer=stems,
        token_pattern=None,
        lowercase=False,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        min_df=2,
        max_features=100_000,
        lowercase=False,
        dtype=np.float32,
    )
    pairs = TfidfVectorizer(
        analyzer=word_pairs, sublinear_tf=True, lowercase=False, dtype=np.float32
    )
    union = FeatureUnion([("stems", stemmed), ("chars", chars), ("pairs", pairs)])
    return Pipeline([("normalize", FunctionTransformer(normalize_all)), ("union", union)])


def features_of(features: Pipeline, text: str) -> Any:
    """The features of one text, as `features.transform([text])` gives them, with the
    steps called by hand: on one short text scikit-learn's checks around each step cost
    more than the work (a third of a prediction)."""
    normalized = [normalize(text)]
    union = features.named_steps["union"]
    parts = [step.transform(normalized) for _, step in union.transformer_list]
    return sparse.hstack(parts, format="csr")


def _softmax(scores: Any, temperature: float) -> Any:
    z = np.asarray(scores, dtype=np.float64) / temperature
    if z.ndim == 1:  # two classes: one score for the second
        z = np.column_stack([-z / 2, z / 2])
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# Where the held-out tickets are all labelled right (a desk with few, distinct classes)
# the likelihood keeps rising as the temperature falls, and every text, however vague,
# would get 99.9 %. The floor keeps a vague text's confidence modest: SVM margins are
# about ±1, and at 0.1 a margin of 1 over the runner-up is e^10 to 1 already.
MIN_TEMPERATURE = 0.1


def fit_temperature(scores: Any, labels: Sequence[str], classes: Any) -> float:
    """The temperature whose softmax gives the held-out tickets' true classes the highest
    likelihood (a grid search over one number)."""
    index = {c: i for i, c in enumerate(classes)}
    rows = np.arange(len(labels))
    truth = np.array([index[y] for y in labels])
    best, best_loss = 1.0, float("inf")
    for t in np.geomspace(MIN_TEMPERATURE, 5.0, 50):
        p = _softmax(scores, float(t))[rows, truth]
        loss = float(-np.log(np.clip(p, 1e-12, None)).mean())
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


class CalibratedSVM:
    """A linear SVM whose decision scores are turned into probabilities by a softmax with
    a fitted temperature (`predict_proba`, `classes_`: what a threshold needs)."""

    def __init__(self, svm: LinearSVC, temperature: float) -> None:
        self.svm = svm
        self.temperature = temperature

    @property
    def classes_(self) -> Any:
        return self.svm.classes_

    def predict_proba(self, rows: Any) -> Any:
        return _softmax(self.svm.decision_function(rows), self.temperature)

    def predict(self, rows: Any) -> Any:
        return self.svm.predict(rows)


class Blend:
    """The SVM's probabilities (softmax with its fitted temperature) and the networks'
    (softmax of their mean log-probabilities), averaged, then each class's divided by its
    share of the training tickets to the power PRIOR_CORRECTION and renormalized: a
    probability again. The two make different mistakes; together they label more tickets
    right than either (bench/RESULTS.md, Banking77, fourth round)."""

    def __init__(
        self,
        svm: CalibratedSVM,
        networks: Networks,
        temperature: float,
        log_prior: Any = None,
    ) -> None:
        self.svm = svm
        self.networks = networks
        self.temperature = temperature
        # The log of each class's share of the training tickets (None: no correction).
        self.log_prior = log_prior

    @property
    def classes_(self) -> Any:
        return self.svm.classes_

    def predict_proba(self, rows: Any) -> Any:
        ours = _softmax(self.networks.log_proba(rows), self.temperature)
        blended = (self.svm.predict_proba(rows) + ours) / 2
        if getattr(self, "log_prior", None) is None:  # stored before the correction
            return blended
        blended *= np.exp(-PRIOR_CORRECTION * (self.log_prior - self.log_prior.max()))
        return blended / blended.sum(axis=1, keepdims=True)

    def predict(self, rows: Any) -> Any:
        return self.classes_[self.predict_proba(rows).argmax(axis=1)]


def log_prior(labels: Sequence[str], classes: Any) -> Any:
    """The log of each class's share of `labels`, in the order of `classes`."""
    counts = Counter(labels)
    shares = np.array([counts[c] for c in classes], dtype=np.float64)
    return np.log(shares / shares.sum())


def build_model() -> LinearSVC:
    return LinearSVC(C=SVM_C)


def build_networks(seed: int = 0) -> Networks:
    return Networks(seeds=[seed + s for s in range(NETWORKS)])


@dataclass(frozen=True)
class Fitted:
    pipeline: Pipeline
    samples: int
    classes: list[str]
    accuracy: float  # single-label targets: accuracy; tags: micro-F1
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


def usable_tags(tag_lists: Sequence[Sequence[str]]) -> set[str]:
    """The tags carried by at least MIN_PER_TAG tickets; empty when there are fewer than
    MIN_SAMPLES tickets to learn from."""
    if len(tag_lists) < MIN_SAMPLES:
        return set()
    counts = Counter(tag for tags in tag_lists for tag in set(tags))
    return {tag for tag, n in counts.items() if n >= MIN_PER_TAG}


def fit_features(texts: Sequence[str]) -> tuple[Pipeline, Any]:
    """The vocabulary and weights of all the tickets' texts, shared by every target (the
    texts are the same, only the labels differ): one pass over them per training, and
    one per new ticket. Unsupervised, so the held-out tickets' labels stay unseen."""
    features = build_features()
    return features, features.fit_transform(list(texts))


def fit(
    features: Pipeline,
    matrix: Any,
    labels: Sequence[str | None],
    *,
    seed: int = 0,
    networks: bool = False,
) -> Fitted | None:
    """Fit the SVM on 80 %, measure it on the held-out 20 % (and fit its temperature
    there), then fit it again on everything; with `networks`, from NETWORK_MIN_SAMPLES
    tickets, the networks too, once, on everything (their cost is most of a training's; the
    accuracy recorded is then the SVM's alone, which the blend beats in
    cross-validation).

    `labels[i]` belongs to row i of `matrix` (None: that ticket has no value for this
    target). None when the minimum data rule refuses (too few tickets or classes)."""
    kept = usable(labels)
    if not kept:
        return None
    started = time.perf_counter()
    rows = [i for i, y in enumerate(labels) if y in kept]
    ys = [str(labels[i]) for i in rows]
    train_rows, test_rows, y_train, y_test = train_test_split(
        rows, ys, test_size=HELD_OUT, random_state=seed, stratify=ys
    )
    trial = build_model().fit(matrix[train_rows], y_train)
    held_out = matrix[test_rows]
    accuracy = float((trial.predict(held_out) == np.array(y_test)).mean())
    temperature = fit_temperature(trial.decision_function(held_out), y_test, trial.classes_)
    svm = CalibratedSVM(build_model().fit(matrix[rows], ys), temperature)
    final: CalibratedSVM | Blend = svm
    if networks and len(rows) >= NETWORK_MIN_SAMPLES:
        nets = build_networks(seed).fit(matrix[rows], ys)
        final = Blend(svm, nets, NETWORK_TEMPERATURE, log_prior(ys, svm.classes_))
    return Fitted(
        pipeline=Pipeline([("features", features), ("model", final)]),
        samples=len(rows),
        classes=sorted(kept),
        accuracy=accuracy,
        seconds=time.perf_counter() - started,
    )


def build_tag_model() -> OneVsRestClassifier:
    return OneVsRestClassifier(LogisticRegression(C=TAGS_C, solver="liblinear"))


def fit_tags(
    features: Pipeline, matrix: Any, tag_lists: Sequence[Sequence[str]], *, seed: int = 0
) -> Fitted | None:
    """One-vs-rest over the tags seen on at least MIN_PER_TAG tickets: each tag its own
    yes/no model, so a ticket can get several. Measured by micro-F1 on 20 % held out
    (a tag counts as suggested from probability 0.5), then fitted on everything.
    Tickets without any of those tags teach the models what carries none."""
    kept = usable_tags(tag_lists)
    if not kept:
        return None
    started = time.perf_counter()
    binarizer = MultiLabelBinarizer(classes=sorted(kept))
    targets = binarizer.fit_transform([[t for t in tags if t in kept] for tags in tag_lists])
    rows = np.arange(len(tag_lists))
    train_rows, test_rows = train_test_split(rows, test_size=HELD_OUT, random_state=seed)
    trial = build_tag_model().fit(matrix[train_rows], targets[train_rows])
    found = _tag_scores(trial, matrix[test_rows]) >= 0.5
    accuracy = float(f1_score(targets[test_rows], found, average="micro", zero_division=0))
    final = build_tag_model().fit(matrix, targets)
    final.tag_names_ = list(binarizer.classes_)
    return Fitted(
        pipeline=Pipeline([("features", features), ("model", final)]),
        samples=len(tag_lists),
        classes=list(binarizer.classes_),
        accuracy=accuracy,
        seconds=time.perf_counter() - started,
    )


def probabilities(pipeline: Any, row: Any) -> tuple[str, float]:
    """The most likely class of one transformed text and its probability."""
    model = pipeline.named_steps["model"]
    found = model.predict_proba(row)[0]
    best = int(found.argmax())
    return str(model.classes_[best]), float(found[best])


def _tag_scores(model: OneVsRestClassifier, rows: Any) -> Any:
    """Per tag, the probability that the row carries it (one column per tag; with a
    single tag scikit-learn answers as for yes/no, two columns)."""
    found = model.predict_proba(rows)
    return found if model.multilabel_ else found[:, 1:]


def tag_probabilities(
    pipeline: Any, row: Any, *, floor: float, most: int
) -> list[tuple[str, float]]:
    """The tags of one transformed text from probability `floor`, most likely first."""
    model = pipeline.named_steps["model"]
    found = _tag_scores(model, row)[0]
    ranked = sorted(zip(model.tag_names_, found, strict=True), key=lambda p: -p[1])
    return [(str(name), float(p)) for name, p in ranked[:most] if p >= floor]


def dump(pipeline: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def load(data: bytes) -> Any:
    # Only ever bytes this desk wrote into its own database (TriageModel.pipeline).
    return joblib.load(io.BytesIO(bytes(data)))
