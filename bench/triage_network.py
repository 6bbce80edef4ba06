"""A small neural network for triage (the third round's experiment of
bench/triage_experiments.py: too slow for the budget as it is here, see bench/RESULTS.md,
Banking77, third round; its cheaper successor, fourth round, is the product's
`opora.triage.network.Networks`), trained from scratch on the desk's own tickets:
one hidden layer of ReLU units straight on the sparse TF-IDF features, a softmax over
the classes. Written with numpy/scipy because scikit-learn's MLPClassifier updates the
whole dense first layer at every step (minutes per fit on 10,000 tickets): here a
minibatch's gradient of the first layer is `X_batch.T @ delta` over the columns that
occur in the batch only, and Adam updates only those rows ("lazy" Adam), so an epoch
costs about as much as two products of the sparse matrix with the hidden layer.

Dropout on the hidden layer, input dropout of features (n-grams dropped at random from
a ticket while training, an augmentation) and label smoothing guard against learning
10,000 tickets by heart; several networks with other seeds can be averaged. Nothing is
downloaded: the weights start random and learn from the tickets alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize as l2_normalize
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from opora.triage import classifier
from opora.triage.network import LazyAdam, Networks, dense_step, step_rate


def _softmax(z: Any) -> Any:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SparseMLP:
    """One hidden layer network over sparse rows; `classes_`, `predict_proba`, `predict`
    as a scikit-learn classifier (what the triage pipeline calls)."""

    def __init__(
        self,
        hidden: int = 512,
        epochs: int = 10,
        batch: int = 64,
        rate: float = 1e-3,
        dropout: float = 0.5,
        input_dropout: float = 0.0,
        smoothing: float = 0.0,
        decay: float = 0.0,
        optimizer: str = "adam",
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.batch = batch
        self.rate = rate
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.smoothing = smoothing
        self.decay = decay
        self.optimizer = optimizer
        self.seed = seed

    def fit(self, rows: Any, labels: Sequence[str]) -> SparseMLP:
        # The products are small: BLAS threads would only spin on a shared machine.
        with threadpool_limits(1, user_api="blas"):
            return self._fit(rows, labels)

    def _fit(self, rows: Any, labels: Sequence[str]) -> SparseMLP:
        x = sparse.csr_matrix(rows, dtype=np.float32)
        self.classes_ = np.array(sorted(set(labels)))
        y = np.searchsorted(self.classes_, np.asarray(labels))
        n, width = x.shape
        k, h = len(self.classes_), self.hidden
        rng = np.random.default_rng(self.seed)
        # Scaled so a typical row's hidden activations start with unit variance.
        squared = float(np.mean(np.asarray(x.multiply(x).sum(axis=1)))) or 1.0
        self.w1 = (rng.standard_normal((width, h)) / np.sqrt(squared)).astype(np.float32)
        self.b1 = np.zeros(h, np.float32)
        self.w2 = (rng.standard_normal((h, k)) * np.sqrt(2.0 / h)).astype(np.float32)
        self.b2 = np.zeros(k, np.float32)
        dense = [self.b1, self.w2, self.b2]
        moments = [(np.zeros_like(p), np.zeros_like(p)) for p in dense]
        lazy = LazyAdam(self.w1.shape) if self.optimizer == "adam" else None
        v1 = np.zeros(width, np.float32)
        target = np.full((k,), self.smoothing / k, np.float32)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        step = 0
        steps = self.epochs * -(-n // self.batch)
        for _ in range(self.epochs):
            order = rng.permutation(n)
            for start in range(0, n, self.batch):
                picked = order[start : start + self.batch]
                xb = x[picked]
                if self.input_dropout:
                    keep = rng.random(xb.nnz) >= self.input_dropout
                    xb = sparse.csr_matrix(
                        (xb.data * keep / (1 - self.input_dropout), xb.indices, xb.indptr),
                        shape=xb.shape,
                    )
                cols, local = np.unique(xb.indices, return_inverse=True)
                xs = sparse.csr_matrix(
                    (xb.data, local.ravel(), xb.indptr), shape=(len(picked), len(cols))
                )
                w1s = self.w1[cols]
                z = xs @ w1s + self.b1
                a = np.maximum(z, 0)
                if self.dropout:
                    mask = (rng.random(a.shape) >= self.dropout).astype(np.float32)
                    mask /= 1 - self.dropout
                    a *= mask
                p = _softmax(a @ self.w2 + self.b2)
                truth = np.tile(target, (len(picked), 1))
                truth[np.arange(len(picked)), y[picked]] += 1 - self.smoothing
                d2 = (p - truth) / len(picked)
                grads = [None, a.T @ d2, d2.sum(axis=0)]
                da = d2 @ self.w2.T
                if self.dropout:
                    da *= mask
                da *= z > 0
                grads[0] = da.sum(axis=0)
                g1 = np.asarray(xs.T @ da)
                if self.decay:
                    g1 += self.decay * w1s
                step += 1
                # Adam's bias correction, and a rate falling linearly to a tenth.
                fade = 1 - 0.9 * step / steps
                correction = np.sqrt(1 - beta2**step) / (1 - beta1**step) * fade
                for param, grad, (m, v) in zip(dense, grads, moments, strict=True):
                    m *= beta1
                    m += (1 - beta1) * grad
                    v *= beta2
                    v += (1 - beta2) * grad * grad
                    param -= self.rate * correction * m / (np.sqrt(v) + eps)
                if lazy is not None:
                    lazy.step(w1s, g1, cols, self.rate * correction)
                    self.w1[cols] = w1s
                else:  # Adagrad with one accumulator per feature (row)
                    seen = v1[cols] + (g1 * g1).mean(axis=1)
                    v1[cols] = seen
                    g1 *= (self.rate * fade / np.sqrt(seen + eps))[:, None]
                    self.w1[cols] = w1s - g1
        return self

    def logits(self, rows: Any) -> Any:
        a = np.maximum(sparse.csr_matrix(rows, dtype=np.float32) @ self.w1 + self.b1, 0)
        return a @ self.w2 + self.b2

    def predict_proba(self, rows: Any) -> Any:
        return _softmax(self.logits(rows).astype(np.float64))

    def predict(self, rows: Any) -> Any:
        return self.classes_[self.logits(rows).argmax(axis=1)]


class SharedLayerHeads(Networks):
    """Sixth round: one first layer (one network's cost) under `heads` softmax heads,
    each with its own dropout mask; the heads' losses summed while training, their
    log-probabilities averaged: one network's cost for `heads` answers, which turned out
    too alike to help the blend (bench/RESULTS.md, sixth round)."""

    def __init__(self, heads: int = 6, **options: Any) -> None:
        super().__init__(seeds=(0,), **options)
        self.heads = heads

    def _fit_on(self, x: Any, y: Any, rng: Any) -> tuple[Any, Any, Any, Any]:
        n, width = x.shape
        k, h, heads = len(self.classes_), self.hidden, self.heads
        squared = float(np.mean(np.asarray(x.multiply(x).sum(axis=1)))) or 1.0
        w1 = rng.standard_normal((width, h), dtype=np.float32) / np.float32(np.sqrt(squared))
        b1 = np.zeros(h, np.float32)
        w2 = rng.standard_normal((h, heads * k), dtype=np.float32) * np.float32(np.sqrt(2.0 / h))
        b2 = np.zeros(heads * k, np.float32)
        dense = [b1, w2, b2]
        moments = [(np.zeros_like(p), np.zeros_like(p)) for p in dense]
        adam = LazyAdam(w1.shape)
        batch = min(self.batch, max(64, n // 5))
        steps = self.epochs * -(-n // batch)
        warm, step = max(1, int(self.warmup * steps)), 0
        for _ in range(self.epochs):
            order = rng.permutation(n)
            xe, ye = x[order], y[order]
            for start in range(0, n, batch):
                xb, yb = xe[start : start + batch], ye[start : start + batch]
                m = len(yb)
                cols, local = np.unique(xb.indices, return_inverse=True)
                xs = sparse.csr_matrix((xb.data, local.ravel(), xb.indptr), shape=(m, len(cols)))
                w1s = adam.gather(w1, cols)
                z = xs @ w1s + b1
                a = np.maximum(z, 0)
                da = np.zeros_like(a)
                g2 = np.zeros_like(w2)
                gb2 = np.zeros_like(b2)
                for j in range(heads):
                    part = slice(j * k, (j + 1) * k)
                    mask = (rng.random(a.shape, dtype=np.float32) >= self.dropout).astype(
                        np.float32
                    ) / np.float32(1 - self.dropout)
                    aj = a * mask
                    d2 = _softmax(aj @ w2[:, part] + b2[part])
                    d2[np.arange(m), yb] -= 1
                    d2 /= np.float32(m)
                    g2[:, part] = aj.T @ d2
                    gb2[part] = d2.sum(axis=0)
                    da += (d2 @ w2[:, part].T) * mask
                da *= z > 0
                grads = [da.sum(axis=0), g2, gb2]
                g1 = np.asarray(xs.T @ da)
                step += 1
                rate = step_rate(self.rate, step, warm, steps)
                dense_step(dense, grads, moments, rate)
                adam.step(w1s, g1, cols, rate)
                w1[cols] = w1s
        return w1, b1, w2, b2

    def log_proba(self, rows: Any) -> Any:
        logits = (self.hidden_units(rows) @ self.w2[0] + self.b2[0]).astype(np.float64)
        k = len(self.classes_)
        heads = [_log_softmax_rows(logits[:, j * k : (j + 1) * k]) for j in range(self.heads)]
        return sum(heads) / self.heads


def _log_softmax_rows(z: Any) -> Any:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def svm_on_hidden(features: Callable[[], Any], weight: float = 1.0, **options: Any):
    """Sixth round: the product's SVM on its sparse features beside the hidden units of
    the networks (`Networks(**options)`, fitted first on the same tickets), each row's
    hidden units scaled to length `weight` (the TF-IDF parts have length 1 each)."""

    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        x = f.fit_transform(texts)
        net = Networks(**options).fit(x, labels)

        def inputs(rows: Any) -> Any:
            hidden = weight * l2_normalize(net.hidden_units(rows))
            return sparse.hstack([rows, sparse.csr_matrix(hidden)], format="csr")

        svm = classifier.build_model().fit(inputs(x), labels)
        return lambda new: svm.decision_function(inputs(f.transform(new)))

    return fit


def shared_heads(features: Callable[[], Any], **options: Any):
    def fit(texts: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
        f = features()
        net = SharedLayerHeads(**options).fit(f.fit_transform(texts), labels)
        return lambda new: net.log_proba(f.transform(new))

    return fit
