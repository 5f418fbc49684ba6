"""Utilities: seeds and the generator checks."""

from ._random import as_seed_sequence, child_seed, child_seeds, make_rng

__all__ = ["as_seed_sequence", "child_seed", "child_seeds", "make_rng"]
