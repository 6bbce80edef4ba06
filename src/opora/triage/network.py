"""Small neural networks beside the SVM: one hidden layer of ReLU units straight on the
ticket's sparse features (the SVM's, computed once), a softmax over the classes,
trained from scratch on the desk's own tickets (nothing downloaded: the weights start
random). Several networks with other seeds are kept side by side and averaged; their
mistakes differ from the SVM's, and the two together label more tickets right than
either (bench/RESULTS.md, Banking77, fourth round).

Written with numpy/scipy because scikit-learn's MLPClassifier updates its whole dense
first layer at every step (minutes per fit on 10,000 tickets). Here a batch's gradient
of the first layer is `X_batch.T @ delta` over the columns present in the batch, and
Adam moves only those rows ("lazy" Adam). What keeps a fit within seconds:

- only the columns seen in at least `min_df` training tickets are inputs: n-grams seen
  once carry one ticket's noise, and they are most of a batch's distinct columns (the
  rows of the first layer a step moves through memory);
- each epoch's shuffle reorders the matrix once, so a batch is a contiguous slice, and
  a batch's columns are found with a marker array instead of a sort;
- large batches (fewer steps) with a one-cycle rate: up over the first tenth of the
  steps, then down to a twentieth;
- one BLAS thread: the products are small, more threads only spin on a busy machine.

The first layers are stored as float16 (half the size in the database; the rounding
does not change a prediction's class in practice) and, for the networks together, as
one matrix: a text's hidden units for every network are one gather of its columns'
rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

# Chosen by cross-validation on the training part of Banking77 (bench/triage_experiments.py).
HIDDEN = 128
EPOCHS = 10
BATCH = 1024
RATE = 0.06
DROPOUT = 0.5
MIN_DF = 3
SEEDS = (0, 1, 2)
WARMUP = 0.1
# A fit's time is mostly the products of the batches' sparse rows with the first layer:
# proportional to the non-zeros of the input times the epochs. At most this many
# non-zeros are gone through per network (fewer epochs for a desk of long tickets):
# Banking77's 10,003 short messages (2.3 million non-zeros) get their 10 epochs, a desk
# of 10,000 longer e-mails (bench/triage.py's, 3.9 million) 6.
WORK = 24_000_000


def _log_softmax(z: Any) -> Any:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


class Networks:
    """`len(seeds)` one-hidden-layer networks over the same sparse rows. `log_proba`
    is the mean of their log-probabilities (a geometric mean of their answers, not yet
    renormalized); `classes_` as a scikit-learn classifier's."""

    def __init__(
        self,
        *,
        hidden: int = HIDDEN,
        epochs: int = EPOCHS,
        batch: int = BATCH,
        rate: float = RATE,
        dropout: float = DROPOUT,
        min_df: int = MIN_DF,
        seeds: Sequence[int] = SEEDS,
        warmup: float = WARMUP,
        work: int = WORK,
        relu: bool = True,
        columns: float = 1.0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.batch = batch
        self.rate = rate
        self.dropout = dropout
        self.min_df = min_df
        self.seeds = tuple(seeds)
        self.warmup = warmup
        self.work = work
        # False: no non-linearity, the hidden units are a learned weighted mean of the
        # columns' embeddings (fastText-like; an experiment, bench/RESULTS.md).
        self.relu = relu
        # Below 1: each network reads its own random share of the input columns (the
        # others' rows of its first layer stay zero), a "random subspace": networks that
        # differ in what they read, not only in where they started.
        self.columns = columns

    def fit(self, rows: Any, labels: Sequence[str]) -> Networks:
        with threadpool_limits(1, user_api="blas"):
            x = sparse.csr_matrix(rows, dtype=np.float32)
            seen_in = np.bincount(x.indices, minlength=x.shape[1])
            kept = np.flatnonzero(seen_in >= self.min_df)
            # Column of the features -> row of the first layer (-1: not an input).
            self.column_ = np.full(x.shape[1], -1, np.int32)
            self.column_[kept] = np.arange(len(kept), dtype=np.int32)
            x = sparse.csr_matrix(x[:, kept])
            self.classes_ = np.array(sorted(set(labels)))
            y = np.searchsorted(self.classes_, np.asarray(labels))
            nets = [self._fit_one(x, y, seed) for seed in self.seeds]
        self.w1 = np.hstack([n[0] for n in nets]).astype(np.float16)
        self.b1 = np.concatenate([n[1] for n in nets])
        self.w2 = [n[2] for n in nets]
        self.b2 = [n[3] for n in nets]
        return self

    def _fit_one(self, x: Any, y: Any, seed: int) -> tuple[Any, Any, Any, Any]:
        rng = np.random.default_rng(seed)
        if self.columns >= 1:
            return self._fit_on(x, y, rng)
        full = x.shape[1]
        read = np.sort(rng.choice(full, max(1, round(self.columns * full)), replace=False))
        w1, b1, w2, b2 = self._fit_on(sparse.csr_matrix(x[:, read]), y, rng)
        every = np.zeros((full, w1.shape[1]), np.float32)
        every[read] = w1
        return every, b1, w2, b2

    def _fit_on(self, x: Any, y: Any, rng: Any) -> tuple[Any, Any, Any, Any]:
        n, width = x.shape
        k, h = len(self.classes_), self.hidden
        # Scaled so that a typical row's hidden units start with unit variance.
        squared = float(np.mean(np.asarray(x.multiply(x).sum(axis=1)))) or 1.0
        w1 = rng.standard_normal((width, h), dtype=np.float32)
        w1 /= np.float32(np.sqrt(squared))
        b1 = np.zeros(h, np.float32)
        w2 = rng.standard_normal((h, k), dtype=np.float32) * np.float32(np.sqrt(2.0 / h))
        b2 = np.zeros(k, np.float32)
        dense = [b1, w2, b2]
        moments = [(np.zeros_like(p), np.zeros_like(p)) for p in dense]
        adam = LazyAdam(w1.shape)
        marked = np.zeros(width, bool)
        position = np.zeros(width, np.int32)
        epochs = max(1, min(self.epochs, round(self.work / max(x.nnz, 1))))
        # At least five steps an epoch: a desk of 2,000 tickets learns in batches of 400.
        batch = min(self.batch, max(64, n // 5))
        steps = epochs * -(-n // batch)
        warm = max(1, int(self.warmup * steps))
        step = 0
        for _ in range(epochs):
            order = rng.permutation(n)
            xe, ye = x[order], y[order]
            for start in range(0, n, batch):
                xb, yb = xe[start : start + batch], ye[start : start + batch]
                m = len(yb)
                # The batch's columns, and each one's row in the batch's slice of w1.
                marked[xb.indices] = True
                cols = np.flatnonzero(marked)
                marked[cols] = False
                position[cols] = np.arange(len(cols), dtype=np.int32)
                xs = sparse.csr_matrix(
                    (xb.data, position[xb.indices], xb.indptr), shape=(m, len(cols))
                )
                w1s = adam.gather(w1, cols)
                z = xs @ w1s
                z += b1
                a = np.maximum(z, 0) if self.relu else z.copy()
                mask = rng.random(a.shape, dtype=np.float32) >= self.dropout
                mask = mask.astype(np.float32) / np.float32(1 - self.dropout)
                a *= mask
                # Softmax cross-entropy: the gradient of the logits is p - truth.
                d2 = np.exp(_log_softmax(a @ w2 + b2))
                d2[np.arange(m), yb] -= 1
                d2 /= np.float32(m)
                da = d2 @ w2.T
                da *= mask
                if self.relu:
                    da *= z > 0
                grads = [da.sum(axis=0), a.T @ d2, d2.sum(axis=0)]
                g1 = np.asarray(xs.T @ da)
                step += 1
                rate = step_rate(self.rate, step, warm, steps)
                dense_step(dense, grads, moments, rate)
                adam.step(w1s, g1, cols, rate)
                w1[cols] = w1s
        return w1, b1, w2, b2

    def hidden_units(self, rows: Any) -> Any:
        """Every network's hidden units for each row, side by side."""
        x = sparse.csr_matrix(rows, dtype=np.float32)
        if x.shape[0] == 1:  # one ticket: a gather of its columns' rows
            cols = self.column_[x.indices]
            known = cols >= 0
            z = x.data[known] @ self.w1[cols[known]].astype(np.float32)
            z = z + self.b1
            return (np.maximum(z, 0) if self.relu else z)[None, :]
        cols = self.column_[x.indices]
        known = cols >= 0
        x = sparse.csr_matrix(
            (x.data * known, np.where(known, cols, 0), x.indptr),
            shape=(x.shape[0], self.w1.shape[0]),
        )
        z = x @ self.w1.astype(np.float32) + self.b1
        return np.maximum(z, 0) if self.relu else z

    def log_proba(self, rows: Any) -> Any:
        a = self.hidden_units(rows)
        h = self.hidden
        total = np.zeros((a.shape[0], len(self.classes_)))
        for i, (w2, b2) in enumerate(zip(self.w2, self.b2, strict=True)):
            total += _log_softmax((a[:, i * h : (i + 1) * h] @ w2 + b2).astype(np.float64))
        return total / len(self.w2)

    def predict(self, rows: Any) -> Any:
        return self.classes_[self.log_proba(rows).argmax(axis=1)]


def step_rate(rate: float, step: int, warm: int, steps: int) -> Any:
    """The rate of a training step: rising linearly over the first `warm` steps, then
    falling to a twentieth by the last, with Adam's bias correction."""
    cycle = step / warm if step <= warm else 1 - 0.95 * (step - warm) / (steps - warm)
    return np.float32(rate * cycle * np.sqrt(1 - 0.999**step) / (1 - 0.9**step))


def dense_step(
    params: Sequence[Any], grads: Sequence[Any], moments: Sequence[Any], rate: Any
) -> None:
    """Adam's step, in place, for the dense parameters (each with its two moments)."""
    for param, grad, (mo, ve) in zip(params, grads, moments, strict=True):
        mo *= 0.9
        mo += 0.1 * grad
        ve *= 0.999
        ve += 0.001 * grad * grad
        param -= rate * mo / (np.sqrt(ve) + 1e-8)


class LazyAdam:
    """Adam's moments for the rows of a first layer, moved only for the rows `cols` of a
    batch's features ("lazy" Adam). These steps are the bulk of a fit's time, and most of
    it was memory: each step gathered three slices of 10-20 MB into new arrays, whose
    pages the system had to provide afresh every time. Here the slices go into buffers
    kept from step to step (`np.take` with `out` and mode "wrap": the indices are valid,
    and "raise" would copy through a temporary), the arithmetic is done in place, the
    same operations in the same order as before: the same weights to the bit."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.m = np.zeros(shape, np.float32)
        self.v = np.zeros(shape, np.float32)
        # Untouched pages cost nothing: only as many rows as a batch has columns are used.
        self._buffers = [np.empty(shape, np.float32) for _ in range(4)]

    def gather(self, rows: Any, cols: Any, which: int = 0) -> Any:
        """`rows[cols]` into buffer `which` (0: the weights' slice, valid until the next
        gather)."""
        out = self._buffers[which][: len(cols)]
        return np.take(rows, cols, axis=0, out=out, mode="wrap")

    def step(self, w: Any, g: Any, cols: Any, rate: Any) -> None:
        """Move `w` (the rows `cols` of the weights) by Adam's step for their gradient
        `g` (overwritten)."""
        ms = self.gather(self.m, cols, 1)
        ms *= 0.9
        scaled = np.multiply(g, 0.1, out=self._buffers[3][: len(cols)])
        ms += scaled
        self.m[cols] = ms
        g *= g
        g *= 0.001
        vs = self.gather(self.v, cols, 2)
        vs *= 0.999
        vs += g
        self.v[cols] = vs
        np.sqrt(vs, out=vs)
        vs += 1e-8
        np.divide(ms, vs, out=ms)
        ms *= rate
        w -= ms
