"""Test doubles and tables whose evaluation outcome is known in advance."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from synthloop.utils import make_rng


def make_table(n=400, *, n_noise=2, random_state=0):
    """A mixed table with a binary target ``y`` ("yes" is the 30 % minority) driven by ``x`` and ``c``."""
    rng = np.random.default_rng(random_state)
    x = rng.normal(size=n)
    c = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    logit = -1.6 + 2.5 * x + np.select([c == "a", c == "b"], [0.0, 1.0], 2.0)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    X = pd.DataFrame({"x": x, "c": pd.Categorical(c), "k": rng.integers(0, 10, n)})
    for j in range(n_noise):
        X[f"noise{j}"] = rng.normal(size=n)
    X["y"] = y
    return X


class ReplayGenerator(BaseEstimator):
    """Returns the rows it was fitted on, in order: TSTR must equal TRTR exactly."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        self.X_ = X.copy()
        return self

    def sample(self, n_samples=1, *, random_state=None):
        return self.X_.iloc[:n_samples].reset_index(drop=True)


class ShuffleGenerator(BaseEstimator):
    """Permutes every column independently: right marginals, no dependence at all."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        self.X_ = X.copy()
        self.rng_ = make_rng(self.random_state)
        return self

    def sample(self, n_samples=1, *, random_state=None):
        rng = self.rng_ if random_state is None else make_rng(random_state)
        rows = rng.integers(0, len(self.X_), size=(n_samples, self.X_.shape[1]))
        return pd.DataFrame({c: self.X_[c].iloc[rows[:, j]].to_numpy() for j, c in enumerate(self.X_.columns)}
                            ).astype(self.X_.dtypes.to_dict())


class CollapsedTargetGenerator(ReplayGenerator):
    """Replays the rows with the target collapsed to its majority class."""

    def __init__(self, target="y", random_state=None):
        self.target = target
        self.random_state = random_state

    def sample(self, n_samples=1, *, random_state=None):
        S = super().sample(n_samples)
        S[self.target] = self.X_[self.target].mode().iloc[0]
        return S


class FakeRecursive(BaseEstimator):
    """Duck-types RecursiveSynthesizer: generation g replays the rows, with NaN in ``x`` if g == nan_generation."""

    def __init__(self, n_generations=2, keep="all", nan_generation=None, random_state=None):
        self.n_generations = n_generations
        self.keep = keep
        self.nan_generation = nan_generation
        self.random_state = random_state

    def fit(self, X, y=None):
        self.X_ = X.copy()
        gens = range(self.n_generations + 1) if self.keep == "all" else [self.n_generations]
        self.kept_generations_ = list(gens)
        self.generators_ = [ReplayGenerator().fit(X) for _ in gens]
        self.history_ = pd.DataFrame({"generation": range(self.n_generations + 1)})
        return self

    def sample(self, n_samples=1, *, generation=-1, random_state=None):
        g = generation % (self.n_generations + 1)
        S = self.X_.iloc[:n_samples].reset_index(drop=True)
        if g == self.nan_generation:
            S.loc[::2, "x"] = np.nan
        return S


class NoSampleGenerator(BaseEstimator):
    def fit(self, X, y=None):
        return self
