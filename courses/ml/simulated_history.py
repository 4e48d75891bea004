"""Simulated learners' histories as training data: a course with ``simulated_learners`` set (the
demo) trains its model on that many learners of :mod:`learnpath.sim` practising its active
exercises, besides the stored attempts. Nothing is stored: the same seed and start give the same
histories at every run, so a retrain sees the same simulated data while the content is the same.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from courses.models import Course
from courses.queries.exercises import sim_course_for
from learnpath.sim import simulate_population
from learnpath.sim.records import model_attempts

if TYPE_CHECKING:
    from learnpath.seq import LearnerSequence

# Not the demo class's seed (``load_demo --seed``), so no stored classmate has a twin here.
SEED = 7001
START = datetime(2025, 9, 1, 8, tzinfo=UTC)
# Learner names ``sim:<n>`` cannot clash with stored learners, which are named by their id.
PREFIX = "sim:"


def simulated_sequences(course: Course) -> list[LearnerSequence]:
    """The course's ``simulated_learners`` histories as the engine's plain sequences."""
    from learnpath.seq import LearnerSequence

    if course.simulated_learners == 0:
        return []
    histories = simulate_population(sim_course_for(course), course.simulated_learners,
                                    seed=SEED, start=START)
    return [LearnerSequence(f"{PREFIX}{history.learner_index}",
                            tuple(model_attempts(history.attempts)))
            for history in histories if history.attempts]
