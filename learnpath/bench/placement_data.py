"""How well a placement check places learners of the data-driven simulator
(``manage.py evaluate_placement --simulator data``; the simulator is :mod:`learnpath.sim.kt_env`).

The learners of the ASSISTments 2009 files are split as the path measurement splits them
(:func:`learnpath.bench.paths.split_by_learner`, the same seed, so the same environment):
40 % train the environment (the attention model), 40 % are what the site would have (the course
is made from their attempts by :func:`learnpath.sim.kt_env.data_course`, and its BKT parameters
are fitted on them as ``fit_mastery`` does), and the other 20 % are the simulated learners,
whom neither saw.

Each simulated learner (with at least ``min_attempts`` attempts) starts from a real prefix of
their own history: the first half, at most ``max_prefix`` attempts, study the site never sees.
The *truth*: they know a skill when the environment's mean P(right) over that skill's problems
after the prefix, before the check, is at least ``known_at`` (0.5). Unlike the built-in
simulator's, these known skills need not be closed under the course's prerequisites.

Every method of :func:`learnpath.bench.placement.placement_methods` then places the learner:
each question is answered by sampling from the environment's P(right), and the answer is
appended to the learner's history, so the environment's state moves with what it is asked (as
in the path measurement). Every method meets the same learners and the same random numbers per
learner and question. Scores as on the built-in simulator
(:func:`learnpath.bench.placement.score_placed`).
"""
from __future__ import annotations

import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from learnpath import mastery
from learnpath.bench.placement import (
    METHODS,
    Placed,
    PlacementScore,
    placement_methods,
    score_placed,
)
from learnpath.placement import PlacementConfig
from learnpath.seq.records import LearnerSequence
from learnpath.sim.model import SimCourse

KNOWN_AT = 0.5
History = tuple[tuple[str, bool], ...]


class Environment(Protocol):
    """What the measurement needs of :class:`learnpath.sim.kt_env.KTEnvironment`."""

    def p_right(self, history: Sequence[tuple[str, bool]], problems: Sequence[str]
                ) -> list[float]: ...


@dataclass(frozen=True)
class DataSimulator:
    """The course the site would see, its fitted BKT parameters, the environment, the
    held-out learners' starting histories, and what was built (for the report)."""

    course: SimCourse
    params: Mapping[str, mastery.BKTParams]
    environment: Environment
    prefixes: list[History]
    facts: dict[str, Any]


def held_out_prefixes(sequences: Sequence[LearnerSequence], *, min_attempts: int,
                      max_prefix: int, learners: int, seed: int) -> list[History]:
    """Up to ``learners`` learners with ``min_attempts``+ attempts, drawn (seeded): the first
    half of each one's history, at most ``max_prefix`` attempts."""
    eligible = sorted((s for s in sequences if len(s.attempts) >= min_attempts),
                      key=lambda s: s.learner)
    random.Random(f"learnpath.placement.data/{seed}").shuffle(eligible)
    return [tuple((a.exercise, a.correct)
                  for a in s.attempts[:min(len(s.attempts) // 2, max_prefix)])
            for s in eligible[:learners]]


def true_knowledge(environment: Environment, history: Sequence[tuple[str, bool]],
                   course: SimCourse, known_at: float = KNOWN_AT) -> dict[str, bool]:
    """Per skill: the environment's mean P(right) over its problems is at least ``known_at``."""
    problems = [e.key for e in course.exercises]
    p_right = dict(zip(problems, environment.p_right(history, problems), strict=True))
    return {skill: statistics.fmean(p_right[e.key] for e in course.exercises_for(skill))
            >= known_at for skill in course.skill_keys}


def evaluate_data_placement(
    course: SimCourse, environment: Environment, prefixes: Sequence[History],
    truths: Sequence[Mapping[str, bool]], config: PlacementConfig,
    params: Mapping[str, mastery.BKTParams] | None = None, *, items: int = 15,
    seed: int = 0, methods: Sequence[str] = METHODS,
) -> list[PlacementScore]:
    """Every method's score on these learners (``truths[i]`` is ``prefixes[i]``'s truth)."""
    made = placement_methods(course, config, items, params)
    scores = []
    for name in methods:
        placed = Placed([], [], [])
        for number, (prefix, truth) in enumerate(zip(prefixes, truths, strict=True)):
            history = list(prefix)
            draws = random.Random(f"{seed}:placement-answers:{number}")

            def ask(key: str, history: list[tuple[str, bool]] = history,
                    draws: random.Random = draws) -> bool:
                (p,) = environment.p_right(history, [key])
                right = draws.random() < p
                history.append((key, right))
                return right

            predicted, asked = made[name](ask)
            for skill in course.skill_keys:
                placed.truth.append(truth[skill])
                placed.predicted.append(predicted[skill])
            placed.items.append(asked)
        scores.append(score_placed(name, placed, len(prefixes)))
    return scores


def build_data_simulator(data: Path, *, prefix: str, seed: int, epochs: int,
                         prerequisites: bool, models: Path, learners: int, min_attempts: int,
                         max_prefix: int) -> DataSimulator:
    """Reads the AKT problem-id files ``data/prefix_*.csv``, trains the environment (or reuses
    the one kept in ``models``, shared with the path measurement of the same seed and
    epochs), makes the course from the site's learners (``prerequisites``: with the graph
    inferred by the default :class:`~learnpath.sim.kt_env.PrerequisiteRule`, else none), and
    draws the held-out learners. Imports torch."""
    from learnpath.bench.paths import fit_environment, read_split
    from learnpath.mastery_fit import fit_course_params
    from learnpath.seq.trainer import prepare_torch
    from learnpath.sim.kt_env import KTEnvironment, PrerequisiteRule, data_course

    prepare_torch(1)
    split = read_split(data, prefix, seed)
    skills, site_part = split.skills, split.site
    course = data_course(site_part, skills, rule=PrerequisiteRule() if prerequisites else None)
    params = fit_course_params(
        [[(skills[a.exercise], a.correct) for a in s.attempts if course.has_exercise(a.exercise)]
         for s in site_part])
    model, vocab, metrics, _, reused = fit_environment(split, epochs=epochs, seed=seed,
                                                       out=models)
    prefixes = held_out_prefixes(split.simulated, min_attempts=min_attempts,
                                 max_prefix=max_prefix, learners=learners, seed=seed)
    facts = {
        "learners": {"environment": len(split.environment), "site": len(site_part),
                     "held_out": len(split.simulated), "simulated": len(prefixes)},
        "skills": len(course.skill_keys), "problems": len(course.exercises),
        "prerequisite_edges": sum(len(course.skill(k).prerequisites)
                                  for k in course.skill_keys),
        "environment_valid_auc": metrics.get("valid_auc"), "environment_reused": reused,
    }
    return DataSimulator(course, params, KTEnvironment(model, vocab), prefixes, facts)
