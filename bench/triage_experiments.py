"""Triage experiments: which classifier of the desk's own text labels Banking77 best,
chosen by cross-validation on the training part only.

    .venv/bin/python bench/triage_experiments.py --corpus /work/data/banking77
    .venv/bin/python bench/triage_experiments.py --corpus DIR --members svm,cnb --ensembles
    .venv/bin/python bench/triage_experiments.py --corpus DIR --folds 5 --members svm,product
    .venv/bin/python bench/triage_experiments.py --corpus DIR --test product
    .venv/bin/python bench/triage_experiments.py --corpus DIR --members product,net --stack

Protocol (as in bench/RESULTS.md): stratified 80/20 splits of train.csv, two seeds;
accuracy on the held-out fifth. Each *member* (one feature set and one classifier) is
fitted on the 80 % and its scores on the 20 % are kept (cached under --cache, so the
ensembles are recombined without refitting). An *ensemble* turns each member's scores
into probabilities by a softmax with one temperature, then averages them (weighted);
the temperatures are fitted on one half of the held-out fifth and the accuracy measured
on the other half, then the halves swap (so no number is chosen on what it is scored on).

--folds 5 uses stratified 5-fold instead (cached apart). --test NAME fits one member on
all of train.csv and scores test.csv: once per finished candidate, and report the
figure. The member "product" is what opora.triage.classifier fits today.

The members `net*` (third round) are the one hidden layer network of
bench/triage_network.py; `svm_aug*` the product's SVM on word-dropped copies as well.
--stack fits a logistic regression on the members' probabilities instead of averaging.
The members `fnet*` and `ftext*` (fourth round) are the product's small networks
(`opora.triage.network.Networks`), `product_fnet3_e10` the product's blend of the SVM and
them.

Nothing here downloads anything: every model learns from the corpus's training text.
Times are wall and CPU seconds of this process (the machine is shared: CPU time says
more about the work than wall time).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import ComplementNB
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.triage_network import SparseMLP, shared_heads, svm_on_hidden  # noqa: E402
from opora.triage import classifier  # noqa: E402
from opora.triage.network import Networks  # noqa: E402

SEEDS = (0, 1)


def read_corpus(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(row["text"], row["category"]) for row in csv.DictReader(f)]
    return [classifier.ticket_text(t, t) for t, _ in rows], [c for _, c in rows]


# --- members: fit(texts, labels) -> scorer(texts) -> (n, classes) scores, classes sorted


def _stems_vec(ngrams: tuple[int, int] = (1, 2)) -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=ngrams,
        sublinear_tf=True,
        tokenizer=classifier.stems,
        token_pattern=None,
        lowercase=False,
        dtype=np.float32,
    )


def _chars_vec(analyzer: str, ngrams: tuple[int, int], most: int | None = 100_000) -> Any:
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngrams,
        sublinear_tf=True,
        min_df=2,
        max_features=most,
        lowercase=False,
        dtype=np.float32,
    )


class Features:
    """Several vectorizers over the normalized text, side by side."""

    def __init__(self, *vectorizers: Any) -> None:
        self.vectorizers = vectorizers

    def fit_transform(self, texts: Sequence[str]) -> Any:
        normalized = classifier.normalize_all(texts)
        return sparse.hstack([v.fit_transform(normalized) for v in self.vectorizers], "csr")

    def transform(self, texts: Sequence[str]) -> Any:
        normalized = classifier.normalize_all(texts)
        return sparse.hstack([v.transform(normalized) for v in self.vectorizers], "csr")


def product_features() -> Features:
    return Features(_stems_vec(), _chars_vec("char_wb", (2, 5)))


_SENTENCE = re.compile(r"[.!?;\n]+")


def word_pairs(text: str) -> list[str]:
    """Unordered pairs of the stems in each sentence ("card arriv" = "arriv card")."""
    found = []
    for sentence in _SENTENCE.split(text):
        words = sorted(set(classifier.stems(sentence)))
        found.extend(f"{a}|{b}" for a, b in itertools.combinations(words, 2))
    return found


def word_pairs_anywhere(text: str) -> list[str]:
    """Unordered pairs of the stems of the whole text, sentences or not."""
    words = sorted(set(classifier.stems(text)))
    return [f"{a}|{b}" for a, b in itertools.combinations(words, 2)]


def word_triples(text: str) -> list[str]:
    """Pairs, and unordered triples of the stems in each sentence."""
    found = word_pairs(text)
    for sentence in _SENTENCE.split(text):
        words = sorted(set(classifier.stems(sentence)))
        found.extend("|".join(t) for t in itertools.combinations(words, 3))
    return found


def skip_bigrams(text: str, window: int = 4) -> list[str]:
    """Ordered pairs of stems up to `window` words apart in each sentence ("not arriv")."""
    found = []
    for sentence in _SENTENCE.split(text):
        words = classifier.stems(sentence)
        for i, a in enumerate(words):
            found.extend(f"{a}>{b}" for b in words[i + 2 : i + 1 + window])
    return found


def pairs_and_skips(text: str) -> list[str]:
    return word_pairs(text) + skip_bigrams(text)


def _pairs_vec(analyzer: Callable[[str], list[str]] | None = None, min_df: int = 2) -> Any:
    return TfidfVectorizer(
        analyzer=analyzer or word_pairs,
        sublinear_tf=True,
        min_df=min_df,
        lowercase=False,
        dtype=np.float32,
    )


def _with_pairs(**kw: Any) -> Callable[[], Features]:
    return lambda: Features(_stems_vec(), _chars_vec("char_wb", (2, 5)), _pairs_vec(**kw))


def linear(features: Callable[[], Features], model: Callable[[], Any], scores: str = "df"):
    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        m = model().fit(f.fit_transform(texts), labels)

        def score(new: Sequence[str]) -> Any:
            x = f.transform(new)
            return m.decision_function(x) if scores == "df" else m.predict_log_proba(x)

        return score

    return fit


def centroid(features: Callable[[], Features]):
    """Cosine similarity to each class's mean TF-IDF vector."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = l2_normalize(f.fit_transform(texts))
        classes = np.array(sorted(set(labels)))
        y = np.searchsorted(classes, labels)
        member = sparse.csr_matrix((np.ones(len(y)), (y, np.arange(len(y)))))
        centres = l2_normalize(np.asarray((member @ x).todense()))

        def score(new: Sequence[str]) -> Any:
            return np.asarray(l2_normalize(f.transform(new)) @ centres.T)

        return score

    return fit


def knn(features: Callable[[], Features], k: int = 10):
    """Per class, the summed cosine similarity of the new text's k nearest tickets."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = l2_normalize(f.fit_transform(texts)).T.tocsr()
        classes = np.array(sorted(set(labels)))
        y = np.searchsorted(classes, labels)

        def score(new: Sequence[str]) -> Any:
            sims = np.asarray((l2_normalize(f.transform(new)) @ x).todense())
            out = np.zeros((len(new), len(classes)))
            top = np.argpartition(-sims, k, axis=1)[:, :k]
            for i, row in enumerate(top):
                np.add.at(out[i], y[row], sims[i, row])
            return out

        return score

    return fit


def nbsvm(features: Callable[[], Features], c: float = 0.5, alpha: float = 1.0):
    """NB-SVM (Wang & Manning 2012), one-vs-rest: each class's SVM reads the features
    scaled by that class's naive Bayes log-count ratio. The scaling folds into the
    weights, so prediction is one linear model like the plain SVM."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = f.fit_transform(texts)
        binary = (x > 0).astype(np.float32)
        labels_arr = np.array(labels)
        classes = sorted(set(labels))
        weights, biases = [], []
        for c_name in classes:
            yes = labels_arr == c_name
            p = np.asarray(binary[yes].sum(axis=0)).ravel() + alpha
            q = np.asarray(binary[~yes].sum(axis=0)).ravel() + alpha
            r = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
            svm = LinearSVC(C=c).fit(x @ sparse.diags(r), yes)
            weights.append(svm.coef_.ravel() * r)
            biases.append(svm.intercept_[0])
        w = np.vstack(weights).T
        b = np.array(biases)

        def score(new: Sequence[str]) -> Any:
            return np.asarray(f.transform(new) @ w) + b

        return score

    return fit


def mlp_svd(features: Callable[[], Features], dims: int = 300, hidden: int = 512, seed: int = 0):
    """An LSA projection of the desk's text (TruncatedSVD of its TF-IDF), then a one
    hidden layer network trained from scratch."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = f.fit_transform(texts)
        svd = TruncatedSVD(dims, algorithm="randomized", n_iter=4, random_state=seed)
        z = svd.fit_transform(x)
        scale = z.std(axis=0) + 1e-6
        net = MLPClassifier(
            (hidden,), alpha=1e-3, max_iter=60, early_stopping=False, random_state=seed
        ).fit(z / scale, labels)

        def score(new: Sequence[str]) -> Any:
            return net.predict_log_proba(svd.transform(f.transform(new)) / scale)

        return score

    return fit


def mlp_sparse(features: Callable[[], Features], hidden: int = 256, seed: int = 0, iters: int = 20):
    """One hidden layer straight on the (capped) TF-IDF."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = f.fit_transform(texts)
        net = MLPClassifier(
            (hidden,), alpha=1e-4, max_iter=iters, batch_size=64, random_state=seed
        ).fit(x, labels)

        def score(new: Sequence[str]) -> Any:
            return net.predict_log_proba(f.transform(new))

        return score

    return fit


def _capped_product() -> Features:
    return Features(
        TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            tokenizer=classifier.stems,
            token_pattern=None,
            lowercase=False,
            min_df=2,
            dtype=np.float32,
        ),
        _chars_vec("char_wb", (2, 5), most=20_000),
    )


def _stem_counts() -> Features:
    return Features(
        CountVectorizer(
            ngram_range=(1, 3), tokenizer=classifier.stems, token_pattern=None, lowercase=False
        )
    )


def _pairs_features() -> Features:
    return Features(_stems_vec(), _chars_vec("char_wb", (2, 5)), _pairs_vec(min_df=1))


def network(features: Callable[[], Any], *, seeds: Sequence[int] = (0,), **options: Any):
    """Third round: `bench.triage_network.SparseMLP` (one hidden layer trained from
    scratch on the sparse TF-IDF, lazy Adam), its log-probabilities averaged over seeds."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = f.fit_transform(texts)
        nets = [SparseMLP(seed=s, **options).fit(x, labels) for s in seeds]

        def score(new: Sequence[str]) -> Any:
            rows = f.transform(new)
            return sum(np.log(n.predict_proba(rows) + 1e-12) for n in nets) / len(nets)

        return score

    return fit


def fast_network(features: Callable[[], Any], **options: Any):
    """Fourth round: `opora.triage.network.Networks` (several small networks side by
    side, columns seen in at least `min_df` tickets, large batches, one-cycle rate); their
    mean log-probabilities. (The figures in bench/RESULTS.md were measured with its first
    version here in the bench, the same but for a float32 first layer at prediction.)"""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        net = Networks(**options).fit(f.fit_transform(texts), labels)
        return lambda new: net.log_proba(f.transform(new))

    return fit


def word_dropout(texts: Sequence[str], share: float, seed: int) -> list[str]:
    """Copies of the texts with each word left out at random (at least one word kept)."""
    rng = np.random.default_rng(seed)
    copies = []
    for text in texts:
        words = text.split()
        kept = [w for w in words if rng.random() >= share] or words[:1]
        copies.append(" ".join(kept))
    return copies


def augmented(member: Callable[..., Any], share: float = 0.15, copies: int = 1):
    """A member fitted on the tickets plus `copies` word-dropped copies of each (an
    augmentation: the model learns to use more than one cue of a request)."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        more_texts, more_labels = list(texts), list(labels)
        for seed in range(copies):
            more_texts += word_dropout(texts, share, seed)
            more_labels += list(labels)
        return member(more_texts, more_labels)

    return fit


def blend(parts: Sequence[tuple[Callable[..., Any], float]], mode: str = "logp"):
    """Members fitted side by side, each one's scores through a softmax with the
    temperature chosen in cross-validation, then summed as log-probabilities ("logp")
    or averaged as probabilities ("prob"): the ensembles that `--ensembles` measured
    with equal weights, as one member for --test."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        scorers = [(member(texts, labels), t) for member, t in parts]

        def score(new: Sequence[str]) -> Any:
            logs = [log_softmax(np.asarray(s(new), np.float64), t) for s, t in scorers]
            if mode == "logp":
                return sum(logs)
            return np.log(sum(np.exp(lp) for lp in logs) / len(logs))

        return score

    return fit


_NET: dict[str, Any] = {"hidden": 256, "epochs": 8, "batch": 256, "rate": 1e-2}

MEMBERS: dict[str, Callable[..., Any]] = {
    # What the product fits today (opora.triage.classifier), whatever that is.
    "product": linear(classifier.build_features, classifier.build_model),
    "lr_pairs": linear(
        _pairs_features, lambda: LogisticRegression(C=30.0, max_iter=300), scores="logp"
    ),
    "sgd_pairs": linear(
        _pairs_features,
        lambda: SGDClassifier(loss="modified_huber", alpha=5e-5, max_iter=50, random_state=0),
    ),
    "svm_skips": linear(_with_pairs(analyzer=pairs_and_skips, min_df=1), lambda: LinearSVC(C=0.5)),
    "svm_pairs_skips_only": linear(
        lambda: Features(
            _stems_vec(), _chars_vec("char_wb", (2, 5)), _pairs_vec(analyzer=skip_bigrams)
        ),
        lambda: LinearSVC(C=0.5),
    ),
    "svm": linear(product_features, lambda: LinearSVC(C=0.5)),
    "svm_cs": linear(product_features, lambda: LinearSVC(C=0.1, multi_class="crammer_singer")),
    "svm_pairs": linear(
        lambda: Features(_stems_vec(), _chars_vec("char_wb", (2, 5)), _pairs_vec()),
        lambda: LinearSVC(C=0.5),
    ),
    "svm_pairs_c1": linear(_with_pairs(), lambda: LinearSVC(C=1.0)),
    "svm_pairs_c025": linear(_with_pairs(), lambda: LinearSVC(C=0.25)),
    "svm_pairs_df1": linear(_with_pairs(min_df=1), lambda: LinearSVC(C=0.5)),
    "svm_pairs_any": linear(_with_pairs(analyzer=word_pairs_anywhere), lambda: LinearSVC(C=0.5)),
    "svm_triples": linear(_with_pairs(analyzer=word_triples), lambda: LinearSVC(C=0.5)),
    "svm_pairs_nochar": linear(
        lambda: Features(_stems_vec(), _pairs_vec()), lambda: LinearSVC(C=0.5)
    ),
    "char16_sgd": linear(
        lambda: Features(_chars_vec("char", (1, 6), most=300_000)),
        lambda: SGDClassifier(loss="modified_huber", alpha=2e-5, max_iter=30, random_state=0),
    ),
    "char16_svm": linear(
        lambda: Features(_chars_vec("char", (1, 6), most=300_000)), lambda: LinearSVC(C=0.5)
    ),
    "cnb": linear(_stem_counts, lambda: ComplementNB(alpha=0.3), scores="logp"),
    "centroid": centroid(product_features),
    "knn": knn(product_features),
    "nbsvm": nbsvm(product_features),
    "mlp_svd": mlp_svd(product_features),
    "mlp_sparse": mlp_sparse(_capped_product),
    # Third round: the sparse network (product features unless said).
    "svm_aug": augmented(linear(classifier.build_features, classifier.build_model)),
    "svm_aug30": augmented(linear(classifier.build_features, classifier.build_model), 0.3),
    "svm_aug2": augmented(linear(classifier.build_features, classifier.build_model), copies=2),
    "net": network(classifier.build_features, **_NET),
    "net_in20": network(classifier.build_features, **{**_NET, "input_dropout": 0.2}),
    "net_h512": network(classifier.build_features, **{**_NET, "hidden": 512}),
    "net_e12": network(classifier.build_features, **{**_NET, "epochs": 12}),
    "net_ls": network(classifier.build_features, **{**_NET, "smoothing": 0.1}),
    "net_d3": network(classifier.build_features, **{**_NET, "dropout": 0.3}),
    "net_r3": network(classifier.build_features, **{**_NET, "rate": 3e-3}),
    "net_r30": network(classifier.build_features, **{**_NET, "rate": 3e-2}),
    "net_seeds3": network(classifier.build_features, seeds=(0, 1, 2), **{**_NET, "epochs": 6}),
    "net_ada3": network(
        classifier.build_features,
        seeds=(0, 1, 2),
        **{**_NET, "epochs": 6, "rate": 0.2, "optimizer": "adagrad"},
    ),
    "net_seeds2_e4": network(
        classifier.build_features, seeds=(0, 1), **{**_NET, "epochs": 4, "rate": 2e-2}
    ),
}
# Fourth round: small networks, cheap enough for the budget.
# (The product's defaults are these with 10 epochs: `fnet3_e10`.)
_FAST: dict[str, Any] = {"hidden": 128, "epochs": 6, "batch": 1024, "rate": 0.06, "min_df": 3}
MEMBERS.update(
    {
        "fnet3": fast_network(classifier.build_features, seeds=(0, 1, 2), **_FAST),
        "fnet3_df5_e8": fast_network(
            classifier.build_features, seeds=(0, 1, 2), **{**_FAST, "min_df": 5, "epochs": 8}
        ),
        "fnet6_h64": fast_network(
            classifier.build_features, seeds=range(6), **{**_FAST, "hidden": 64}
        ),
        "fnet5": fast_network(classifier.build_features, seeds=range(5), **_FAST),
        "fnet3_h256": fast_network(
            classifier.build_features, seeds=(0, 1, 2), **{**_FAST, "hidden": 256}
        ),
        "fnet3_e10": fast_network(
            classifier.build_features, seeds=(0, 1, 2), **{**_FAST, "epochs": 10}
        ),
        "ftext3": fast_network(
            classifier.build_features,
            seeds=(0, 1, 2),
            **{**_FAST, "epochs": 10, "relu": False, "dropout": 0.0},
        ),
        "ftext3_d5": fast_network(
            classifier.build_features,
            seeds=(0, 1, 2),
            **{**_FAST, "epochs": 10, "relu": False},
        ),
        "fnet3_e14": fast_network(
            classifier.build_features, seeds=(0, 1, 2), **{**_FAST, "epochs": 14}
        ),
        "fnet3_e10_r10": fast_network(
            classifier.build_features, seeds=(0, 1, 2), **{**_FAST, "epochs": 10, "rate": 0.1}
        ),
    }
)
# Fifth round (bench/RESULTS.md): more networks (other seeds, six at once; fnet6_e10's
# scores are the mean of fnet3_e10's and fnet3_e10_s345's, each network depending on its
# seed only), fewer epochs, networks on random subspaces of the columns, a
# nearest-neighbour member on the product's features, other SVM strengths.
MEMBERS.update(
    {
        "fnet3_e10_s345": fast_network(
            classifier.build_features, seeds=(3, 4, 5), **{**_FAST, "epochs": 10}
        ),
        "fnet6_e10": fast_network(
            classifier.build_features, seeds=range(6), **{**_FAST, "epochs": 10}
        ),
        "knn_product": knn(classifier.build_features),
        "fnet6_e8": fast_network(
            classifier.build_features, seeds=range(6), **{**_FAST, "epochs": 8}
        ),
        "svm_c025": linear(classifier.build_features, lambda: LinearSVC(C=0.25)),
        "svm_c1": linear(classifier.build_features, lambda: LinearSVC(C=1.0)),
        "fnet3_sub70": fast_network(
            classifier.build_features, seeds=(6, 7, 8), columns=0.7, **{**_FAST, "epochs": 10}
        ),
    }
)
# Sixth round (bench/RESULTS.md): the SVM on the networks' hidden units beside its
# features, six heads on one shared first layer, batches of 2,048 (half the steps).
MEMBERS["svm_hidden6"] = svm_on_hidden(
    classifier.build_features, seeds=range(6), **{**_FAST, "epochs": 10}
)
MEMBERS["fheads6"] = shared_heads(classifier.build_features, **{**_FAST, "epochs": 10})
MEMBERS["fnet6_b2048"] = fast_network(
    classifier.build_features, seeds=range(6), **{**_FAST, "epochs": 10, "batch": 2048}
)


# The SVM and the three networks together; temperatures fitted on both CV splits' held-out
# fifths (0.17 and 1.03, `fit_temperature` on the cached scores).
MEMBERS["product_net3"] = blend([(MEMBERS["product"], 0.17), (MEMBERS["net_seeds3"], 1.03)])
# Fourth round: the SVM and `fnet3_e10`, probabilities averaged (the temperatures
# `fit_temperature` finds on the cached held-out scores of both CV protocols: 0.17 for the
# SVM, 1.97 for the networks in 6 of the 7 held-out parts, 2.24 in one).
MEMBERS["product_fnet3_e10"] = blend(
    [(MEMBERS["product"], 0.17), (MEMBERS["fnet3_e10"], 1.97)], mode="prob"
)


# --- cross-validation


# 0: two stratified 80/20 splits (SEEDS); k > 1: stratified k-fold (--folds).
FOLDS = 0


def splits(labels: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    rows = np.arange(len(labels))
    if FOLDS > 1:
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
        return list(folds.split(rows, labels))
    return [
        tuple(train_test_split(rows, test_size=0.2, random_state=s, stratify=labels))  # type: ignore[misc]
        for s in SEEDS
    ]


def cached_scores(
    name: str, texts: list[str], labels: list[str], cache: Path
) -> list[dict[str, Any]]:
    """Per split: the member's held-out scores, fit wall/CPU seconds, prediction ms."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:10]
    path = cache / f"{name}-{key}{f'-k{FOLDS}' if FOLDS > 1 else ''}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=True)
        return list(data["runs"])
    runs = []
    for train_rows, test_rows in splits(labels):
        wall, cpu = time.perf_counter(), time.process_time()
        score = MEMBERS[name]([texts[i] for i in train_rows], [labels[i] for i in train_rows])
        fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
        held = [texts[i] for i in test_rows]
        scores = np.asarray(score(held), dtype=np.float64)
        one_by_one = held[:200]
        wall, cpu = time.perf_counter(), time.process_time()
        for text in one_by_one:
            score([text])
        runs.append(
            {
                "scores": scores,
                "fit_wall": fit_wall,
                "fit_cpu": fit_cpu,
                "ms_wall": (time.perf_counter() - wall) * 1000 / len(one_by_one),
                "ms_cpu": (time.process_time() - cpu) * 1000 / len(one_by_one),
            }
        )
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, runs=np.array(runs, dtype=object))
    return runs


def log_softmax(scores: Any, temperature: float) -> Any:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


TEMPERATURES = np.geomspace(0.01, 20.0, 60)


def fit_temperature(scores: Any, truth: Any) -> float:
    rows = np.arange(len(truth))
    losses = [-log_softmax(scores, float(t))[rows, truth].mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def combine(parts: list[Any], temps: list[float], weights: Sequence[float], mode: str) -> Any:
    logs = [log_softmax(s, t) for s, t in zip(parts, temps, strict=True)]
    if mode == "logp":
        return sum(w * lp for w, lp in zip(weights, logs, strict=True))
    return sum(w * np.exp(lp) for w, lp in zip(weights, logs, strict=True))


WEIGHT_GRID = (0.0, 0.15, 0.3, 0.5, 0.75, 1.0)


def best_weights(parts: list[Any], temps: list[float], truth: Any, mode: str) -> list[float]:
    """The first member weighs 1; the others' weights from a small grid, the one with the
    best accuracy (then likelihood) on these rows."""
    rows = np.arange(len(truth))
    best: tuple[float, float] = (-1.0, -np.inf)
    chosen = [1.0] * len(parts)
    for rest in itertools.product(WEIGHT_GRID, repeat=len(parts) - 1):
        weights = [1.0, *rest]
        joint = combine(parts, temps, weights, mode)
        accuracy = float((joint.argmax(axis=1) == truth).mean())
        probs = joint if mode == "prob" else np.exp(joint - joint.max(axis=1, keepdims=True))
        likelihood = float(np.log(probs[rows, truth] / probs.sum(axis=1) + 1e-12).mean())
        if (accuracy, likelihood) > best:
            best, chosen = (accuracy, likelihood), weights
    return chosen


def _cross_fitted(
    members: list[str],
    scores: dict[str, list[dict[str, Any]]],
    labels: list[str],
    right_on: Callable[[list[Any], list[float], Any, Any, Any], int],
) -> float:
    """Mean over the splits of a cross-fitted accuracy: the members' temperatures (and
    whatever `right_on` fits) on one half of the held-out fifth, the count of right
    answers `right_on` gives on the other, then the halves swap."""
    classes = np.array(sorted(set(labels)))
    found = []
    for split, (_, test_rows) in enumerate(splits(labels)):
        truth = np.searchsorted(classes, [labels[i] for i in test_rows])
        halves = train_test_split(
            np.arange(len(truth)), test_size=0.5, random_state=split, stratify=truth
        )
        right = 0
        for a, b in (halves, halves[::-1]):
            parts = [scores[m][split]["scores"] for m in members]
            temps = [fit_temperature(p[a], truth[a]) for p in parts]
            right += right_on(parts, temps, truth, a, b)
        found.append(right / len(truth))
    return float(np.mean(found))


def ensemble_accuracy(
    members: list[str],
    scores: dict[str, list[dict[str, Any]]],
    labels: list[str],
    weights: Sequence[float] | None = None,
    mode: str = "prob",
) -> float:
    """The members' scores combined (`combine`), cross-fitted (`_cross_fitted`)."""

    def right_on(parts: list[Any], temps: list[float], truth: Any, a: Any, b: Any) -> int:
        chosen = weights or best_weights([p[a] for p in parts], temps, truth[a], mode)
        joint = combine([p[b] for p in parts], temps, chosen, mode)
        return int((joint.argmax(axis=1) == truth[b]).sum())

    return _cross_fitted(members, scores, labels, right_on)


def stacked_accuracy(
    members: list[str], scores: dict[str, list[dict[str, Any]]], labels: list[str], c: float
) -> float:
    """Stacking: a multinomial logistic regression (strength `c`) on the members'
    probabilities side by side, cross-fitted as `ensemble_accuracy`."""

    def right_on(parts: list[Any], temps: list[float], truth: Any, a: Any, b: Any) -> int:
        inputs = np.hstack([np.exp(log_softmax(p, t)) for p, t in zip(parts, temps, strict=True)])
        stacker = LogisticRegression(C=c, max_iter=200).fit(inputs[a], truth[a])
        return int((stacker.predict(inputs[b]) == truth[b]).sum())

    return _cross_fitted(members, scores, labels, right_on)


def member_report(name: str, runs: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    classes = np.array(sorted(set(labels)))
    accuracies = []
    for run, (_, test_rows) in zip(runs, splits(labels), strict=True):
        truth = np.searchsorted(classes, [labels[i] for i in test_rows])
        accuracies.append(float((run["scores"].argmax(axis=1) == truth).mean()))
    return {
        "member": name,
        "cv_accuracy": round(float(np.mean(accuracies)), 4),
        "per_seed": [round(a, 4) for a in accuracies],
        "fit_wall_s": round(float(np.mean([r["fit_wall"] for r in runs])), 1),
        "fit_cpu_s": round(float(np.mean([r["fit_cpu"] for r in runs])), 1),
        "predict_ms_wall": round(float(np.mean([r["ms_wall"] for r in runs])), 2),
        "predict_ms_cpu": round(float(np.mean([r["ms_cpu"] for r in runs])), 2),
    }


def test_member(name: str, texts: list[str], labels: list[str], path: Path) -> dict[str, Any]:
    """Fit one member on all of train.csv and score test.csv (once per finished candidate:
    the figure is reported whatever it is)."""
    test_texts, test_labels = read_corpus(path)
    wall, cpu = time.perf_counter(), time.process_time()
    score = MEMBERS[name](texts, labels)
    fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
    classes = np.array(sorted(set(labels)))
    found = classes[np.asarray(score(test_texts)).argmax(axis=1)]
    wall, cpu = time.perf_counter(), time.process_time()
    for text in test_texts[:300]:
        score([text])
    return {
        "member": name,
        "test_accuracy": round(float((found == np.array(test_labels)).mean()), 4),
        "fit_wall_s": round(fit_wall, 1),
        "fit_cpu_s": round(fit_cpu, 1),
        "predict_ms_wall": round((time.perf_counter() - wall) * 1000 / 300, 2),
        "predict_ms_cpu": round((time.process_time() - cpu) * 1000 / 300, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--members", default="svm", help="comma-separated, or 'all'")
    parser.add_argument("--ensembles", action="store_true", help="combine the cached members")
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "triage-experiments"
    )
    parser.add_argument("--most", type=int, default=3, help="largest ensemble tried")
    parser.add_argument("--test", help="score one member on test.csv (once per candidate)")
    parser.add_argument("--stack", action="store_true", help="stack the cached members")
    parser.add_argument("--folds", type=int, default=0, help="k-fold CV instead of 2 x 80/20")
    args = parser.parse_args()
    global FOLDS
    FOLDS = args.folds

    texts, labels = read_corpus(args.corpus / "train.csv")
    if args.test:
        print(json.dumps(test_member(args.test, texts, labels, args.corpus / "test.csv")))
        return
    names = list(MEMBERS) if args.members == "all" else args.members.split(",")
    scores = {}
    for name in names:
        scores[name] = cached_scores(name, texts, labels, args.cache)
        print(json.dumps(member_report(name, scores[name], labels)), flush=True)
    if args.stack:
        for c in (0.01, 0.1, 1.0):
            found = stacked_accuracy(names, scores, labels, c)
            print(json.dumps({"stacked": "+".join(names), "C": c, "cv": round(found, 4)}))
    if args.ensembles:
        for size in range(2, len(names) + 1):
            for group in itertools.combinations(names, size):
                if size > args.most:
                    continue
                for mode in ("prob", "logp"):
                    equal = ensemble_accuracy(list(group), scores, labels, [1.0] * size, mode)
                    tuned = ensemble_accuracy(list(group), scores, labels, None, mode)
                    print(
                        json.dumps(
                            {
                                "ensemble": "+".join(group),
                                "mode": mode,
                                "cv_equal": round(equal, 4),
                                "cv_tuned": round(tuned, 4),
                            }
                        ),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
