"""The ``criterion="tv"`` drift: the largest per-column distance between generation ``t`` and generation 0.

Every column counts, numeric ones included: total variation for a discrete
column (its levels and missing values as atoms), the Kolmogorov–Smirnov
distance for a numeric column (missing values as the lowest atom). A person
reads it directly: a TV of 0.02 means no event about one column (a level, a
set of levels, a range of values) changed its probability by more than 2
percentage points.

- :class:`AtomBlock`: one column whose fitted marginal is a list of atoms
  (the copula's empirical marginals, the categorical generator's levels). A
  sample of ``n`` rows from such a model has exactly multinomial counts over
  the atoms, whatever the dependence between columns, so the column's
  marginal follows the [B] recursion of docs/theory.rst exactly: ``replace``
  ``q_t = Mult(n_t, q_{t-1}) / n_t``, ``augment`` the real counts plus them,
  ``accumulate`` every synthetic count so far.
- :class:`NormalMarginals`: the Gaussian's columns, from the exact mean and
  covariance chain of :func:`synthloop.simulate.simulate_mvn`; the KS
  distance between two normals is affine invariant per column.

Columns are simulated independently and the criterion takes their maximum;
the columns of one sample are dependent (through the copula or the
covariance), so the maximum's law is an approximation, checked on real runs
by :meth:`ScheduleAdvice.validate`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from ._drift import CategoricalBlock, gaussian_chain, unsimulable

#: Numeric columns with more atoms are simulated on this many groups of consecutive atoms (equal
#: probability): the KS distance is exact at the groups' edges and misses only what lies inside one.
MAX_ATOMS = 512


def _merge(p, max_atoms=MAX_ATOMS):
    """Group consecutive atoms of ``p`` into at most ``max_atoms`` groups of about equal probability."""
    if p.size <= max_atoms:
        return p
    cut = np.searchsorted(np.cumsum(p), np.linspace(0, 1, max_atoms + 1)[1:-1], side="right")
    return np.add.reduceat(p, np.unique(np.concatenate([[0], cut])))


def _distance(q, p, kind):
    """TV (``kind="tv"``) or KS (``"ks"``) between atom vectors along the last axis."""
    if kind == "tv":
        return 0.5 * np.abs(q - p).sum(axis=-1)
    return np.abs(np.cumsum(q - p, axis=-1)).max(axis=-1)


class AtomBlock(CategoricalBlock):
    """One column whose marginal is a vector of atoms, by TV or KS; ``getter(fit) -> {atom: probability}``.

    The simulation is :class:`~synthloop.advise._drift.CategoricalBlock`'s
    multinomial recursion with another distance.
    """

    def __init__(self, name, p, kind, getter=None):
        super().__init__(name, p, getter)
        self.kind = kind  # "tv" (discrete) or "ks" (numeric: atoms in increasing value, missing first)
        if kind == "ks":  # every atom keeps its place in the order, zero or not
            p = np.asarray(p, dtype=np.float64)
            self.p = _merge(p / p.sum())
            self.n_params = max(self.p.size - 1, 0)
        self.description = f"{'KS' if kind == 'ks' else 'TV'} distance of {name}"

    def _distance(self, q, p):
        return _distance(q, p, self.kind)

    def measure(self, fit_t, fit_0):
        a, b = self.getter(fit_t), self.getter(fit_0)
        keys = sorted(a.keys() | b.keys(), key=_order_key) if self.kind == "ks" else list(a.keys() | b.keys())
        q = np.array([a.get(k, 0.0) for k in keys])
        p = np.array([b.get(k, 0.0) for k in keys])
        return float(_distance(q / q.sum(), p / p.sum(), self.kind))


def _order_key(k):
    # the missing atom sorts first, then the values in increasing order
    return (0, 0.0) if isinstance(k, str) else (1, float(k))


def _ks_normal(m, s):
    """``sup_x |Phi((x - m) / s) - Phi(x)|`` elementwise.

    The supremum is where the two densities meet: ``x = m / 2`` when ``s = 1``,
    else the roots of ``(1 - 1/s^2) x^2 + (2m/s^2) x - m^2/s^2 - 2 log s = 0``.
    Any other point gives a value below the supremum, so taking the largest
    over all three candidates is exact.
    """
    m, s = np.broadcast_arrays(np.asarray(m, float), np.asarray(s, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 - 1.0 / s**2
        b = 2.0 * m / s**2
        c = -(m**2) / s**2 - 2.0 * np.log(s)
        disc = np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))
        best = np.zeros(m.shape)
        for x in (m / 2, (-b + disc) / (2 * a), (-b - disc) / (2 * a)):
            gap = np.abs(ndtr((x - m) / s) - ndtr(x))
            best = np.maximum(best, np.where(np.isfinite(gap), gap, 0.0))
    return best


class NormalMarginals:
    """The KS distance of every column of a refit Gaussian (mean and covariance, ``ddof``)."""

    exact = True

    def __init__(self, names, ddof=1.0):
        self.names = list(names)
        self.d = len(self.names)
        self.ddof = float(ddof)
        self.n_params = 2 * self.d
        self.description = f"KS distances of the normal columns {self.names}"

    def min_size(self):
        return int(max(self.d, np.floor(self.ddof))) + 1

    def simulate(self, sizes, n_reps, seed, pool="replace"):
        trivial = unsimulable(sizes, n_reps, self.min_size())
        if trivial is not None:
            return trivial
        out = np.zeros((n_reps, sizes.size))
        sim = gaussian_chain(sizes, self.d, self.ddof, n_reps, seed, pool)
        if pool == "replace":
            m, v = sim.means, np.diagonal(sim.covariances, axis1=2, axis2=3)
            out[:, 1:] = _ks_normal(m, np.sqrt(v)).max(axis=2)
            return out
        m, v = sim.means, np.diagonal(sim.covariances, axis1=2, axis2=3)
        # against each replication's own generation 0, per column: standardise by it
        s0 = np.sqrt(v[:, :1])
        out[:, 1:] = _ks_normal((m[:, 1:] - m[:, :1]) / s0, np.sqrt(v[:, 1:]) / s0).max(axis=2)
        return out

    def measure(self, fit_t, fit_0):
        m_t, m_0 = np.asarray(fit_t.params["mean"], float), np.asarray(fit_0.params["mean"], float)
        s_t = np.sqrt(np.diag(np.asarray(fit_t.params["covariance"], float)))
        s_0 = np.sqrt(np.diag(np.asarray(fit_0.params["covariance"], float)))
        with np.errstate(divide="ignore", invalid="ignore"):
            ks = _ks_normal((m_t - m_0) / s_0, s_t / s_0)
        return float(np.nanmax(ks)) if ks.size else 0.0


class MarginalDistanceModel:
    """``D_t = max_j distance_j(P_t, P_0)`` over the blocks (every column); the interface of DriftModel."""

    def __init__(self, blocks, *, method, notes=(), measurable=True, exact=True):
        self.blocks = list(blocks)
        self.method = method
        self.notes = list(notes)
        self.measurable = measurable
        self.exact = exact  # nothing to calibrate: each column's law is exact
        self.pool = "replace"

    @property
    def n_params(self):
        return sum(b.n_params for b in self.blocks)

    def min_size(self):
        return max([b.min_size() for b in self.blocks] or [1])

    def simulate(self, sizes, n_reps, seed, last_only=False):
        sizes = np.asarray(sizes, dtype=np.int64)
        out = np.zeros((n_reps, sizes.size))
        seeds = np.random.SeedSequence(seed).generate_state(max(len(self.blocks), 1))
        for block, s in zip(self.blocks, seeds):
            out = np.maximum(out, block.simulate(sizes, n_reps, int(s), pool=self.pool))
        return out

    def measure(self, fit_t, fit_0):
        return float(max([b.measure(fit_t, fit_0) for b in self.blocks] or [0.0]))
