"""Choosing an expansion schedule: the cheapest one that keeps generation T within a tolerance.

:func:`recommend_schedule` answers "I will retrain for T generations; how many
synthetic rows must each generation get so the model stays within a tolerance
of what the real data gives, and what does that cost?" with the theory and the
exact simulators of :mod:`synthloop.theory` / :mod:`synthloop.simulate`, a few
real recursive runs where they are only approximate, and the schedule families
of :mod:`synthloop.schedules`.
"""

from ._recommend import recommend_schedule
from ._result import ScheduleAdvice

__all__ = ["ScheduleAdvice", "recommend_schedule"]
