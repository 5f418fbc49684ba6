"""Naive data-level loops: they draw every row, as papers' code does.

The exact simulators must agree with them in distribution.
"""

import numpy as np
import pytest


def naive_gaussian(sizes, *, pool, ddof, n_reps, rng, mean=0.0, var=1.0):
    sd = np.sqrt(var)
    n0 = int(sizes[0])
    real = rng.normal(mean, sd, (n_reps, n0))
    m, v = real.mean(axis=1), real.var(axis=1, ddof=ddof)
    acc = real
    for n_t in sizes[1:]:
        syn = m[:, None] + np.sqrt(v)[:, None] * rng.standard_normal((n_reps, int(n_t)))
        if pool == "replace":
            data = syn
        elif pool == "augment":
            data = np.hstack([real, syn])
        elif pool == "fresh":
            data = np.hstack([rng.normal(mean, sd, (n_reps, n0)), syn])
        else:
            acc = np.hstack([acc, syn])
            data = acc
        m, v = data.mean(axis=1), data.var(axis=1, ddof=ddof)
    return m, v


def naive_mvn(sizes, *, pool, ddof, n_reps, rng, cov):
    d = cov.shape[0]
    n0 = int(sizes[0])
    L0 = np.linalg.cholesky(cov)

    def fit(data):
        m = data.mean(axis=1)
        dev = data - m[:, None, :]
        return m, np.einsum("rni,rnj->rij", dev, dev) / (data.shape[1] - ddof)

    real = rng.standard_normal((n_reps, n0, d)) @ L0.T
    m, S = fit(real)
    acc = real
    for n_t in sizes[1:]:
        L = np.linalg.cholesky(S)
        syn = m[:, None, :] + np.einsum("rij,rnj->rni", L, rng.standard_normal((n_reps, int(n_t), d)))
        if pool == "replace":
            data = syn
        elif pool == "augment":
            data = np.concatenate([real, syn], axis=1)
        elif pool == "fresh":
            data = np.concatenate([rng.standard_normal((n_reps, n0, d)) @ L0.T, syn], axis=1)
        else:
            acc = np.concatenate([acc, syn], axis=1)
            data = acc
        m, S = fit(data)
    return m, S


def _draw_tokens(q, n, rng):
    """n i.i.d. tokens from each row of q, by inverse CDF; returns counts."""
    R, s = q.shape
    cdf = np.cumsum(q, axis=1)
    cdf[:, -1] = 1.0
    u = rng.random((R, n))
    idx = np.array([np.searchsorted(cdf[r], u[r], side="right") for r in range(R)])
    idx = np.minimum(idx, s - 1)
    return np.stack([np.bincount(idx[r], minlength=s) for r in range(R)])


def naive_categorical(p, sizes, *, pool, n_reps, rng):
    p = np.asarray(p, dtype=float)
    N = int(sizes[0])
    c_R = _draw_tokens(np.tile(p, (n_reps, 1)), N, rng)
    q = c_R / N
    acc, n_acc = c_R.astype(float), N
    for n_t in sizes[1:]:
        c_S = _draw_tokens(q, int(n_t), rng)
        if pool == "replace":
            q = c_S / n_t
        elif pool == "augment":
            q = (c_R + c_S) / (N + n_t)
        elif pool == "fresh":
            q = (_draw_tokens(np.tile(p, (n_reps, 1)), N, rng) + c_S) / (N + n_t)
        else:
            acc = acc + c_S
            n_acc += n_t
            q = acc / n_acc
    return q


@pytest.fixture
def naive():
    class Naive:
        gaussian = staticmethod(naive_gaussian)
        mvn = staticmethod(naive_mvn)
        categorical = staticmethod(naive_categorical)

    return Naive
