"""Planning a learning path: the next k exercises as a sequence, not k independent picks.

Inputs are plain data: the learner's skill chart (:mod:`learnpath.mastery`), the course's
:class:`~learnpath.skillgraph.SkillGraph`, the exercises, and a :class:`SuccessModel` that
predicts P(right answer) for each exercise from the learner's current (possibly simulated)
state and can be rolled forward by one hypothetical attempt. Two models exist: the LSTM (served
by :mod:`learnpath.seq`) and :class:`ChartSuccessModel`, the cold-start model built from the skill
chart and the authors' difficulty ratings.

The plan is made one step at a time:

1. **Candidates.** Active exercises, not among the learner's last ``recent_window`` attempts nor
   already in the plan, whose skills are each on the ready-to-learn frontier, due for review, or
   already proficient — with at least one frontier or review skill — and whose skills'
   prerequisites are all at least *familiar* (never an exercise whose prerequisites are far from
   mastered). Retired exercises are never candidates. What is due for review is
   :func:`learnpath.review.due_reviews`: FSRS's schedule when ``review_schedule`` is given (a
   skill reviewed in the plan is not due again in it, and while reviews are due the steps are
   chosen among them), else the rule before it (scored like any other candidate).
2. **Score.** ``expected_gain × band_fit + order_bonus``: ``expected_gain`` is the expected rise
   of P(mastery) of the exercise's skills under BKT, averaging the right and wrong outcomes by the
   model's predicted success ``p``; ``band_fit`` is 1 inside the desirable-difficulty band
   (default 0.55–0.85) and falls off as ``exp(-(distance / 0.1)²)`` outside it; the small
   ``order_bonus`` prefers skills earlier in the graph's topological order.
   **Lookahead.** The best ``lookahead`` candidates by that score (default 12) are ranked
   again by what the success model itself expects the step to do for the targets:
   ``(p · S_right + (1 − p) · S_wrong − S_now) × band_fit``, where ``S`` is the model's mean
   P(right) over the target exercises (the targets' exercises, or every active exercise of
   the course without targets, at most ``max_target_exercises``) now and after a right or a
   wrong answer on the candidate (:mod:`learnpath.success`: the LSTM steps its state through
   both outcomes for every candidate in one batch; the cold-start model rolls BKT forward).
   For a calibrated model a right answer's evidence and a wrong one's cancel in expectation,
   so what is left is the learning the model expects from the step.
3. **Roll forward.** The chosen step's most likely outcome (right when ``p ≥ 0.5``) is applied
   to both the chart (BKT update) and the model state, so the next step is planned for the
   learner as they will probably be after it: a skill reaching proficiency opens its dependents.

**Assigned work.** ``priorities`` (exercise key -> :class:`Priority`) favour the exercises of a
learner's open assignments: each one's weight (:mod:`learnpath.urgency`, growing as the due
date nears) times its band fit is added to its score; a prioritised exercise is a candidate even
off the frontier (say a mastered skill's exercise assigned to answer) when it is unseen or
spaced and its skills' prerequisites are all familiar; the lookahead re-ranks only candidates
of the best one's weight (so it never undoes the priority); the step's reason starts with the
priority's own ("Assigned: Fractions, due Friday.").

Teacher pins come first, in their order, and the model is rolled through them too. With
``targets`` (the skills the learner works towards), candidates are limited to the targets and
the skills they build on; when none of those is eligible, the targets' own exercises are.

An exercise already answered comes back only after ``respace_after`` (a day), and only when no
unseen exercise of the same skills fits; when everything that fits was answered lately, the
least recently answered comes back (the last ``recent_window`` never do). Right after a wrong
answer the first step stays with the failed skill at an easier level, or goes back to its least
secure prerequisite, or else stays with the skill at the same level, or else takes the easiest
exercise left on the skill, and says so (when none of these exists, planning goes on as usual).

Each step's reason is stated in the learner's values *now* (the chart before the plan): "you are
ready for it" only for a skill on the current frontier, a review with the current drop; a skill
that opens or falls due only through earlier steps says that the steps before it prepare it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from learnpath import mastery, review
from learnpath.phrases import Phrase, gettext_noop, sentences
from learnpath.setback import after_a_wrong_answer
from learnpath.skillgraph import SkillGraph
from learnpath.success import (
    ChartSuccessModel,
    PlanExercise,
    SequenceSuccessModel,
    SuccessModel,
    TargetOutlook,
)
from learnpath.success import p_mastery_of as _p_mastery

__all__ = [
    "LEARN", "PINNED", "REVIEW", "ChartSuccessModel", "PlanConfig", "PlanExercise",
    "PlannedStep", "Priority", "SequenceSuccessModel", "SuccessModel", "TargetOutlook",
    "chance_of_success", "plan_path",
]

LEARN = "learn"
REVIEW = "review"
PINNED = "pinned"
_BAND_SOFTNESS = 0.1
_ORDER_BONUS = 0.002
_FAMILIAR = mastery.MasteryLevel.FAMILIAR.rank
_PROFICIENT = mastery.MasteryLevel.PROFICIENT.rank


@dataclass(frozen=True)
class PlanConfig:
    length: int = 5
    band: tuple[float, float] = (0.55, 0.85)
    recent_window: int = 3
    # An exercise the learner answered (and saw the worked solution of) comes back only after
    # this long, and only when no unseen exercise of the same skills fits.
    respace_after: timedelta = timedelta(days=1)
    # The skills the learner works towards (an assignment, a simulated learner's goal); empty:
    # the whole course. Steps stay on them and the skills they build on.
    targets: tuple[str, ...] = ()
    # The best ``lookahead`` candidates by the BKT score are ranked again by the success
    # model's expected rise of P(right) on the targets' exercises (0: off).
    lookahead: int = 12
    max_target_exercises: int = 300


@dataclass(frozen=True)
class Priority:
    """Assigned work: a weight added to the exercise's planning score (times its band fit) and
    the words that start its step's reason."""

    weight: float
    reason: Phrase


@dataclass(frozen=True)
class PlannedStep:
    exercise_key: str
    skill_key: str
    kind: str
    p_success: float
    expected_gain: float
    reason: tuple[Phrase, ...]  # sentences (learnpath.phrases); none for a pin

    @property
    def reason_text(self) -> str:
        """The reason in English."""
        return sentences(self.reason)


def _level(chart: Mapping[str, mastery.SkillMastery], key: str) -> mastery.MasteryLevel:
    state = chart.get(key)
    return state.level if state else mastery.MasteryLevel.NOT_STARTED


@dataclass
class _Planner:
    graph: SkillGraph
    exercises: dict[str, PlanExercise]
    config: PlanConfig
    params: Mapping[str, mastery.BKTParams]
    now: datetime
    names: Mapping[str, str]
    last_seen: Mapping[str, datetime] = field(default_factory=dict)
    review_schedule: dict[str, datetime] | None = None
    _outcome_cache: dict[tuple[str, ...], tuple[list[float], list[float], list[float]]] = (
        field(default_factory=dict)
    )

    def candidates(
        self, chart: Mapping[str, mastery.SkillMastery], excluded: set[str]
    ) -> tuple[list[PlanExercise], dict[str, Phrase | None]]:
        focus = self.focus(chart)
        groups = [[e for e in group if e.key not in excluded]
                  for skills, group in self.by_skills.items()
                  if self._eligible(chart, skills, focus)]
        chosen = [e for group in groups for e in self.fresh(group)]
        # Everything that fits was answered lately: the least recently answered come back.
        return chosen or self.least_recent([e for group in groups for e in group]), focus

    def prioritised_extras(
        self, chart: Mapping[str, mastery.SkillMastery], chosen: Sequence[PlanExercise],
        excluded: set[str], priorities: Mapping[str, Priority],
    ) -> list[PlanExercise]:
        """Prioritised exercises the usual rule left out: active, unseen or spaced, with every
        prerequisite of their skills familiar."""
        known = {e.key for e in chosen} | excluded
        extras = []
        for key in priorities:
            exercise = self.exercises.get(key)
            if exercise is None or not exercise.active or key in known:
                continue
            skills = {s for s in exercise.skills if s in self.graph}
            prerequisites = {p for s in skills for p in self.graph.prerequisites(s)} - skills
            if skills and all(_level(chart, p).rank >= _FAMILIAR for p in prerequisites):
                extras.extend(self.fresh([exercise]))
        return extras

    def least_recent(self, exercises: Sequence[PlanExercise]) -> list[PlanExercise]:
        if not exercises:
            return []
        oldest = min(self.last_seen.get(e.key, self.now) for e in exercises)
        return [e for e in exercises if self.last_seen.get(e.key, self.now) == oldest]

    def fresh(self, group: Sequence[PlanExercise]) -> list[PlanExercise]:
        """Of exercises that train the same skills: the unseen ones; if none, those answered at
        least ``respace_after`` ago; never one answered more recently than that."""
        unseen = [e for e in group if e.key not in self.last_seen]
        if unseen:
            return unseen
        spacing = self.config.respace_after
        return [e for e in group if self.now - self.last_seen[e.key] >= spacing]

    def focus(self, chart: Mapping[str, mastery.SkillMastery]) -> dict[str, Phrase | None]:
        """Skill -> None on the ready-to-learn frontier, or the reason it is due for review."""
        focus: dict[str, Phrase | None] = dict.fromkeys(mastery.ready_to_learn(chart, self.graph))
        focus.update(review.due_reviews(chart, self.now, self.review_schedule))
        return focus

    def due_first(
        self, candidates: list[PlanExercise], focus: Mapping[str, Phrase | None]
    ) -> list[PlanExercise]:
        """With a review schedule, due reviews come first: the candidates on a skill due for
        review, while there are any."""
        if self.review_schedule is None:
            return candidates
        return [e for e in candidates if any(focus.get(s) for s in e.skills)] or candidates

    def _eligible(
        self, chart: Mapping[str, mastery.SkillMastery], skills: tuple[str, ...],
        focus: Mapping[str, Phrase | None],
    ) -> bool:
        """At least one focus skill, the others proficient, every prerequisite familiar; with
        targets, only the targets and the skills they build on."""
        if not skills or not any(s in focus for s in skills):
            return False
        if self.towards is not None and not self.towards.issuperset(skills):
            return False
        if any(s not in focus and _level(chart, s).rank < _PROFICIENT for s in skills):
            return False
        prerequisites = {p for s in skills for p in self.graph.prerequisites(s)} - set(skills)
        return all(_level(chart, p).rank >= _FAMILIAR for p in prerequisites)

    @cached_property
    def towards(self) -> set[str] | None:
        """The targets and every skill they build on; None without targets."""
        if not self.known_targets:
            return None
        return set(self.known_targets).union(
            *(self.graph.ancestors(key) for key in self.known_targets))

    @cached_property
    def target_exercises(self) -> list[str]:
        """The exercises whose success the lookahead raises: the active ones on a target skill
        (every active one without targets), at most ``max_target_exercises``, evenly spread."""
        targets = set(self.known_targets)
        keys = sorted(e.key for e in self.exercises.values() if e.active and e.skills
                      and (not targets or targets.intersection(e.skills)))
        cap = self.config.max_target_exercises
        if len(keys) > cap:
            keys = [keys[i * len(keys) // cap] for i in range(cap)]
        return keys

    @cached_property
    def known_targets(self) -> tuple[str, ...]:
        return tuple(key for key in self.config.targets if key in self.graph)

    def target_fallback(self, excluded: set[str]) -> list[PlanExercise]:
        """With targets and nothing eligible: the targets' own exercises (on nothing outside
        the targets and what they build on), unseen or spaced."""
        towards = self.towards or set()
        return self.fresh([e for e in self.exercises.values() if e.active
                           and e.key not in excluded and towards.issuperset(e.skills)
                           and set(self.known_targets).intersection(e.skills)])

    @cached_property
    def by_skills(self) -> dict[tuple[str, ...], list[PlanExercise]]:
        """Active exercises grouped by their (known) skills: eligibility is per group."""
        groups: dict[tuple[str, ...], list[PlanExercise]] = {}
        for exercise in self.exercises.values():
            if exercise.active:
                skills = tuple(s for s in exercise.skills if s in self.graph)
                groups.setdefault(skills, []).append(exercise)
        return groups

    def expected_gain(
        self, chart: Mapping[str, mastery.SkillMastery], exercise: PlanExercise, p: float
    ) -> float:
        right, wrong, before = self._outcomes(chart, exercise.skills)
        return sum(p * r + (1 - p) * w - b for r, w, b in zip(right, wrong, before, strict=True))

    def _outcomes(
        self, chart: Mapping[str, mastery.SkillMastery], skills: tuple[str, ...]
    ) -> tuple[list[float], list[float], list[float]]:
        """P(mastery) of the skills after a right and a wrong answer, and before; the same for
        every exercise of those skills, so it is computed once per planning step."""
        if skills not in self._outcome_cache:
            known = [s for s in skills if s in self.graph]
            right = mastery.apply_attempt(chart, known, True, self.now, self.graph, self.params)
            wrong = mastery.apply_attempt(chart, known, False, self.now, self.graph, self.params)
            self._outcome_cache[skills] = (
                [right[s].p_mastery for s in known],
                [wrong[s].p_mastery for s in known],
                [_p_mastery(chart, s, self.params) for s in known],
            )
        return self._outcome_cache[skills]

    def band_fit(self, p: float) -> float:
        low, high = self.config.band
        distance = max(low - p, p - high, 0.0)
        return math.exp(-((distance / _BAND_SOFTNESS) ** 2))

    def reason(self, kind: str, skill: str, focus_now: Mapping[str, Phrase | None]) -> Phrase:
        """Why this step, in the learner's *current* values: ``focus_now`` is the frontier and
        the review list of the chart as it stands, before the plan's earlier steps (a skill
        that only becomes ready or due once they are done says so)."""
        name = self._name(skill)
        due = focus_now.get(skill)
        if kind == REVIEW:
            if due is not None:
                return Phrase.of(gettext_noop("Review of %(skill)s: %(due)s."), skill=name, due=due)
            return Phrase.of(gettext_noop("Review of %(skill)s, after the steps before it."),
                             skill=name)
        before = tuple(self._name(k) for k in self.graph.prerequisites(skill))
        if not before:
            return Phrase.of(
                gettext_noop("Trains %(skill)s, a starting skill that needs nothing before it."),
                skill=name)
        if skill in focus_now:
            ready = (gettext_noop("Trains %(skill)s: you are ready for it, since %(before)s is "
                                  "in place.") if len(before) == 1 else
                     gettext_noop("Trains %(skill)s: you are ready for it, since %(before)s are "
                                  "in place."))
            return Phrase.of(ready, skill=name, before=before)
        return Phrase.of(gettext_noop(
            "Trains %(skill)s, which builds on %(before)s: the steps before it prepare it."),
            skill=name, before=before)

    def _name(self, key: str) -> str:
        return self.names.get(key) or self.graph.name(key)


def plan_path(
    chart: Mapping[str, mastery.SkillMastery],
    graph: SkillGraph,
    exercises: Sequence[PlanExercise],
    model: SuccessModel,
    *,
    now: datetime,
    config: PlanConfig | None = None,
    params: Mapping[str, mastery.BKTParams] | None = None,
    pinned: Sequence[str] = (),
    recent: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    last_seen: Mapping[str, datetime] | None = None,
    last_answer: tuple[str, bool] | None = None,
    priorities: Mapping[str, Priority] | None = None,
    review_schedule: Mapping[str, datetime] | None = None,
) -> list[PlannedStep]:
    """The next ``config.length`` exercises for this learner, pins first (see module doc).
    ``last_seen`` gives when each exercise was last answered; ``last_answer`` is the learner's
    latest (exercise key, right?); ``priorities`` favour assigned exercises."""
    config = config or PlanConfig()
    priorities = priorities or {}
    planner = _Planner(graph, {e.key: e for e in exercises}, config, params or {}, now,
                       names or {}, dict(last_seen or {}),
                       None if review_schedule is None else dict(review_schedule))
    chart = dict(chart)
    focus_now = planner.focus(chart)
    steps: list[PlannedStep] = []
    for key in pinned[: config.length]:
        exercise = planner.exercises[key]
        p = model.p_correct([key])[key]
        gain = planner.expected_gain(chart, exercise, p)
        steps.append(PlannedStep(key, exercise.skills[0], PINNED, p, gain, ()))
        chart, model = _roll(planner, chart, model, exercise, p)
    excluded = set(pinned) | set(recent[-config.recent_window:] if config.recent_window else [])
    order = {key: index for index, key in enumerate(graph.topological_order())}
    remedial: tuple[list[PlanExercise], tuple[str, ...], Phrase | None] = ([], (), None)
    if last_answer is not None and not last_answer[1] and last_answer[0] in planner.exercises:
        remedial = after_a_wrong_answer(planner, chart, planner.exercises[last_answer[0]],
                                                excluded)
    while len(steps) < config.length:
        if remedial[0]:
            candidates, focus = remedial[0], dict.fromkeys(remedial[1])
        else:
            candidates, focus = planner.candidates(chart, excluded)
            candidates = candidates + planner.prioritised_extras(chart, candidates, excluded,
                                                                 priorities)
            candidates = planner.due_first(candidates, focus)
        fallback = not candidates and planner.towards is not None
        if fallback:
            candidates = planner.target_fallback(excluded)
            focus = dict.fromkeys(planner.known_targets)
        if not candidates:
            break
        predicted = model.p_correct([e.key for e in candidates])
        scored = []
        for exercise in candidates:
            p = predicted[exercise.key]
            main = min([s for s in exercise.skills if s in focus]
                       or [s for s in exercise.skills if s in order], key=order.__getitem__)
            gain = planner.expected_gain(chart, exercise, p)
            bonus = _ORDER_BONUS * (len(order) - order[main]) / len(order)
            weight = _weight(priorities, exercise.key)
            fit = planner.band_fit(p)
            scored.append((-(gain * fit + bonus + weight * fit), exercise.key, main, p, gain))
        scored.sort()
        top_weight = _weight(priorities, scored[0][1])
        _, best_key, main, p, gain = _looked_ahead(
            planner, model, [row for row in scored if _weight(priorities, row[1]) == top_weight])
        best = planner.exercises[best_key]
        kind = REVIEW if focus.get(main) else LEARN
        why: tuple[Phrase, ...] = ()
        if main not in focus:  # a prioritised exercise off the frontier
            pass
        elif remedial[0] and remedial[2] is not None:
            why = (remedial[2],)
        elif fallback:
            why = (Phrase.of(gettext_noop("Trains %(skill)s, a skill you are working towards."),
                             skill=planner._name(main)),)
        else:
            why = (planner.reason(kind, main, focus_now),)
        why = (*why, chance_of_success(p))
        if best.key in priorities:
            why = (priorities[best.key].reason, *why)
        remedial = ([], (), None)
        steps.append(PlannedStep(best.key, main, kind, p, gain, why))
        excluded.add(best.key)
        chart, model = _roll(planner, chart, model, best, p)
    return steps


def chance_of_success(p: float) -> Phrase:
    """The sentence every step's reason ends with (a pin's too)."""
    return Phrase.of(gettext_noop("Predicted chance of success: %(percent)s%%."),
                     percent=int(f"{100 * p:.0f}"))


def _weight(priorities: Mapping[str, Priority], key: str) -> float:
    return priorities[key].weight if key in priorities else 0.0


def _looked_ahead(
    planner: _Planner, model: SuccessModel, scored: list[tuple[float, str, str, float, float]]
) -> tuple[float, str, str, float, float]:
    """Of the best ``lookahead`` candidates by the BKT score, the one with the largest expected
    rise of the model's P(right) on the target exercises, weighed by the band fit (ties keep
    the BKT order)."""
    top = scored[: planner.config.lookahead]
    targets = planner.target_exercises
    look = getattr(model, "outlook", None)
    if look is None or len(top) < 2 or not targets:
        return scored[0]
    outlook: TargetOutlook = look([row[1] for row in top], targets)
    ranked = sorted((-_weighed(outlook.expected_rise(row[1], row[3]), planner.band_fit(row[3])),
                     rank) for rank, row in enumerate(top))
    return top[ranked[0][1]]


def _weighed(rise: float, fit: float) -> float:
    """A rise weighed by the band fit: a gain shrinks outside the band, and a loss grows (so a
    step far outside the band never wins by making its loss look small)."""
    return rise * fit if rise > 0 else rise / max(fit, 1e-3)


def _roll(
    planner: _Planner,
    chart: dict[str, mastery.SkillMastery],
    model: SuccessModel,
    exercise: PlanExercise,
    p: float,
) -> tuple[dict[str, mastery.SkillMastery], SuccessModel]:
    outcome = p >= 0.5
    planner._outcome_cache.clear()
    skills = [s for s in exercise.skills if s in planner.graph]
    if planner.review_schedule is not None:
        for key in skills:
            planner.review_schedule.pop(key, None)  # reviewed in the plan: not due again in it
    changed = mastery.apply_attempt(chart, skills, outcome, planner.now, planner.graph,
                                    planner.params)
    return {**chart, **changed}, model.after(exercise.key, outcome)
