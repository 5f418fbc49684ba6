"""Studies: comparisons and grids of runs over generators, schedules and pools."""

from ._compare import compare_generators

__all__ = ["compare_generators"]
