"""What the site would have learnt from a simulated history: a trained sequence model and
fitted BKT parameters, for the offline evaluation of path policies (``evaluate_paths``). The
metrics carry the skill chart's AUC on the model's validation learners (``valid_chart_auc``),
which decides whether the model plans paths
(:func:`learnpath.success.sequence_model_earns_paths`)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from learnpath.mastery import BKTParams
from learnpath.mastery_fit import fit_course_params
from learnpath.sim.model import SimCourse
from learnpath.sim.policies import course_graph, plan_exercises
from learnpath.sim.population import simulate_population
from learnpath.sim.records import model_attempts
from learnpath.success import chart_predictions


def train_on_simulated_history(
    training: Mapping[str, Any], course: SimCourse, learners: int, seed: int
) -> tuple[Any, dict[str, Any], dict[str, BKTParams]]:
    """The LSTM (trained with ``training``, :class:`learnpath.seq.TrainConfig` fields) and the
    fitted BKT parameters the site would have after this simulated history."""
    import numpy as np

    from learnpath.seq import LearnerSequence, TrainConfig, train_from_sequences
    from learnpath.seq.metrics import roc_auc

    histories = simulate_population(course, learners, seed=seed,
                                    start=datetime(2025, 1, 6, 9, tzinfo=UTC))
    skills = {e.key: e.skills for e in course.exercises}
    fitted = fit_course_params(
        [[(skills[a.exercise_key], a.correct) for a in history.attempts]
         for history in histories]
    )
    sequences = [
        LearnerSequence(str(history.learner_index), tuple(model_attempts(history.attempts)))
        for history in histories
    ]
    config = TrainConfig(**training)
    result = train_from_sequences(sequences, skills, config)
    held_out = set(result.valid_learners)
    metrics = dict(result.metrics)
    if held_out:
        # The chart's parameters for this comparison are fitted without the held-out learners.
        fitted_apart = fit_course_params(
            [[(skills[a.exercise_key], a.correct) for a in history.attempts]
             for history in histories if str(history.learner_index) not in held_out])
        answers, predicted = chart_predictions(
            [s for s in sequences if s.learner in held_out],
            {e.key: e for e in plan_exercises(course)}, course_graph(course), fitted_apart)
        if len(set(answers)) == 2:
            metrics["valid_chart_auc"] = roc_auc(np.array(answers), np.array(predicted))
    return result.model.with_catalog(skills), metrics, fitted
