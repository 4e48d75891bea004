"""Per skill and per exercise (:func:`item_stats`)
Computed from the class's own attempts. *Success rate* is right answers over answers;
*attempts to mastery* is, per learner who reached *mastered* on a skill, the number of their
answers to exercises of that skill up to the attempt that made it mastered (median over those
learners). *Predicted success* is what the model expected before each attempt, averaged over
the attempts: by default (:func:`bkt_predicted_success`) the BKT chance of a right answer,
``predict_correct(p, params)``, where ``p`` is the learner's P(mastery) of the skill just
before the attempt (the last stored ``MasteryEvent`` for that learner and skill, else the
skill's ``p_init``); for an exercise with several skills, the mean over its skills. Any other
model plugs in as a :data:`SuccessPredictor`. An exercise *looks broken* when at least
:data:`BROKEN_MIN_ATTEMPTS` answers were given and fewer than :data:`BROKEN_SUCCESS_RATE` of
them were right.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from courses.dashboards.figures import Figure
from courses.dashboards.figures.items import exercise_difficulty_figure, skill_stats_figure
from courses.dashboards.rows import ExerciseStat, SkillStat
from courses.models import Attempt, Cohort, Exercise, MasteryEvent
from courses.queries.charts import percent
from courses.queries.graphs import skill_graph_for
from learnpath import mastery

BROKEN_MIN_ATTEMPTS = 8
BROKEN_SUCCESS_RATE = 0.15


class AttemptRecord(NamedTuple):
    attempt_id: int
    learner_id: int
    exercise_id: int
    correct: bool


class EventRecord(NamedTuple):
    skill_id: int
    p_mastery: float
    level: str


@dataclass(frozen=True)
class ClassHistory:
    """A class's attempts in storage order, with the chart changes each one made."""

    attempts: list[AttemptRecord]
    exercise_skills: dict[int, tuple[int, ...]]
    events: dict[int, list[EventRecord]]
    params: dict[int, mastery.BKTParams]


SuccessPredictor = Callable[[ClassHistory], dict[int, float]]
"""Attempt id -> the model's P(right answer) just before that attempt."""


def bkt_predicted_success(history: ClassHistory) -> dict[int, float]:
    """BKT's chance of a right answer before each attempt (mean over the exercise's skills)."""
    current: dict[tuple[int, int], float] = {}
    predicted: dict[int, float] = {}
    for attempt in history.attempts:
        skills = history.exercise_skills.get(attempt.exercise_id, ())
        if skills:
            chances = []
            for skill_id in skills:
                params = history.params.get(skill_id, mastery.DEFAULT_PARAMS)
                p = current.get((attempt.learner_id, skill_id), params.p_init)
                chances.append(mastery.predict_correct(p, params))
            predicted[attempt.attempt_id] = statistics.fmean(chances)
        for event in history.events.get(attempt.attempt_id, ()):
            current[(attempt.learner_id, event.skill_id)] = event.p_mastery
    return predicted


def attempts_to_mastery(history: ClassHistory) -> dict[int, list[int]]:
    """Skill id -> per learner who reached *mastered*: their answers on it until then."""
    answered: Counter[tuple[int, int]] = Counter()
    reached: dict[tuple[int, int], int] = {}
    mastered = mastery.MasteryLevel.MASTERED.value
    for attempt in history.attempts:
        for skill_id in history.exercise_skills.get(attempt.exercise_id, ()):
            answered[(attempt.learner_id, skill_id)] += 1
        for event in history.events.get(attempt.attempt_id, ()):
            pair = (attempt.learner_id, event.skill_id)
            if event.level == mastered and pair not in reached:
                reached[pair] = answered[pair]
    by_skill: dict[int, list[int]] = defaultdict(list)
    for (_, skill_id), count in sorted(reached.items()):
        by_skill[skill_id].append(count)
    return dict(by_skill)


def class_history(cohort: Cohort, params: dict[int, mastery.BKTParams]) -> ClassHistory:
    """Three queries: the class's attempts, the course's exercise skills, the chart events."""
    course = cohort.course
    attempts = [
        AttemptRecord(*row)
        for row in Attempt.objects.filter(course=course, learner__cohorts=cohort)
        .order_by("id").values_list("id", "learner_id", "exercise_id", "correct")
    ]
    exercise_skills: dict[int, list[int]] = defaultdict(list)
    for exercise_id, skill_id in Exercise.skills.through.objects.filter(
        exercise__course=course
    ).order_by("exercise_id", "skill_id").values_list("exercise_id", "skill_id"):
        exercise_skills[exercise_id].append(skill_id)
    events: dict[int, list[EventRecord]] = defaultdict(list)
    for attempt_id, skill_id, p_mastery, level in MasteryEvent.objects.filter(
        course=course, learner__cohorts=cohort
    ).order_by("attempt_id", "id").values_list("attempt_id", "skill_id", "p_mastery", "level"):
        events[attempt_id].append(EventRecord(skill_id, p_mastery, level))
    return ClassHistory(
        attempts=attempts,
        exercise_skills={k: tuple(v) for k, v in exercise_skills.items()},
        events=dict(events),
        params=params,
    )


@dataclass
class _Tally:
    attempts: int = 0
    correct: int = 0
    predicted_total: float = 0.0
    predicted_count: int = 0

    def __post_init__(self) -> None:
        self.learners: set[int] = set()

    def add(self, attempt: AttemptRecord, predicted: float | None) -> None:
        self.attempts += 1
        self.correct += int(attempt.correct)
        self.learners.add(attempt.learner_id)
        if predicted is not None:
            self.predicted_total += predicted
            self.predicted_count += 1

    @property
    def success_percent(self) -> int | None:
        return percent(self.correct / self.attempts) if self.attempts else None

    @property
    def predicted_percent(self) -> int | None:
        if not self.predicted_count:
            return None
        return percent(self.predicted_total / self.predicted_count)


@dataclass(frozen=True)
class ItemStats:
    skills: list[SkillStat]
    exercises: list[ExerciseStat]
    figures: dict[str, Figure]

    @property
    def broken(self) -> list[ExerciseStat]:
        return [exercise for exercise in self.exercises if exercise.broken]


def _looks_broken(tally: _Tally) -> bool:
    return tally.attempts >= BROKEN_MIN_ATTEMPTS and (
        tally.correct < BROKEN_SUCCESS_RATE * tally.attempts
    )


def _tallies(
    history: ClassHistory, predicted: Mapping[int, float]
) -> tuple[dict[int, _Tally], dict[int, _Tally]]:
    by_exercise: dict[int, _Tally] = defaultdict(_Tally)
    by_skill: dict[int, _Tally] = defaultdict(_Tally)
    for attempt in history.attempts:
        chance = predicted.get(attempt.attempt_id)
        by_exercise[attempt.exercise_id].add(attempt, chance)
        for skill_id in history.exercise_skills.get(attempt.exercise_id, ()):
            by_skill[skill_id].add(attempt, chance)
    return by_exercise, by_skill


def item_stats(cohort: Cohort, predictor: SuccessPredictor = bkt_predicted_success) -> ItemStats:
    """Per skill and per exercise statistics of a class, in seven queries."""
    course = cohort.course
    order = {key: n for n, key in enumerate(skill_graph_for(course).topological_order())}
    skills = sorted(course.skills.values_list("id", "key", "name", "bkt_params"),
                    key=lambda s: order.get(s[1], len(order)))
    params = {sid: mastery.BKTParams(**stored) for sid, _, _, stored in skills if stored}
    history = class_history(cohort, params)
    by_exercise, by_skill = _tallies(history, predictor(history))
    to_mastery = attempts_to_mastery(history)
    skill_names = {sid: name for sid, _, name, _ in skills}
    skill_stats = [
        SkillStat(
            key=key, name=name, attempts=by_skill[sid].attempts,
            learners=len(by_skill[sid].learners), success_percent=by_skill[sid].success_percent,
            predicted_percent=by_skill[sid].predicted_percent,
            mastered_learners=len(to_mastery.get(sid, [])),
            attempts_to_mastery=statistics.median(to_mastery[sid]) if sid in to_mastery else None,
        )
        for sid, key, name, _ in skills
    ]
    exercise_stats = [
        ExerciseStat(
            key=key, prompt=prompt, skills=", ".join(sorted(skill_names[s] for s in
                                                           history.exercise_skills.get(eid, ()))),
            difficulty=difficulty, active=status == Exercise.Status.ACTIVE,
            attempts=by_exercise[eid].attempts, correct=by_exercise[eid].correct,
            learners=len(by_exercise[eid].learners),
            success_percent=by_exercise[eid].success_percent,
            predicted_percent=by_exercise[eid].predicted_percent,
            broken=_looks_broken(by_exercise[eid]),
        )
        for eid, key, prompt, difficulty, status in course.exercises.order_by("key").values_list(
            "id", "key", "prompt", "difficulty", "status")
        if status == Exercise.Status.ACTIVE or eid in by_exercise
    ]
    exercise_stats.sort(key=lambda e: (not e.broken, e.surprise if e.surprise is not None
                                       else 101, e.key))
    return ItemStats(
        skills=skill_stats, exercises=exercise_stats,
        figures={"skills": skill_stats_figure(skill_stats),
                 "exercises": exercise_difficulty_figure(exercise_stats)},
    )


