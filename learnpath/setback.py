"""The step after a wrong answer (used by :func:`learnpath.paths.plan_path`, whose docstring
states the rule): stay with the failed skill at an easier level, or go back to its least secure
prerequisite, and say so."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from learnpath import mastery
from learnpath.phrases import Phrase, gettext_noop
from learnpath.skillgraph import SkillGraph
from learnpath.success import PlanExercise
from learnpath.success import p_mastery_of as _p_mastery

__all__ = ["Planning", "after_a_wrong_answer"]


class Planning(Protocol):
    """What the rule reads of the planner (:class:`learnpath.paths._Planner`)."""

    @property
    def graph(self) -> SkillGraph: ...

    @property
    def exercises(self) -> Mapping[str, PlanExercise]: ...

    @property
    def params(self) -> Mapping[str, mastery.BKTParams]: ...

    @property
    def towards(self) -> set[str] | None: ...

    def fresh(self, group: Sequence[PlanExercise]) -> list[PlanExercise]: ...

    def _name(self, key: str) -> str: ...


def after_a_wrong_answer(
    self: Planning, chart: Mapping[str, mastery.SkillMastery], failed: PlanExercise,
    excluded: set[str],
) -> tuple[list[PlanExercise], tuple[str, ...], Phrase | None]:
    """The step after a wrong answer: an easier exercise (lower difficulty) on the failed
    one's skills, else one on their least secure direct prerequisite, else another one on
    them just as hard, else the easiest one left on them; always unseen, or answered long
    enough ago (:meth:`fresh`). Returns (candidates, their skills, why)."""
    skills = [s for s in failed.skills if s in self.graph]
    if self.towards is not None and not self.towards.issuperset(skills):
        return [], (), None  # a wrong answer away from the targets: plan towards them
    name = tuple(self._name(s) for s in skills)
    same_skills = [
        e for e in self.exercises.values()
        if e.active and e.key not in excluded and e.key != failed.key
        and set(e.skills) & set(skills) and set(e.skills) <= set(skills)
    ]
    easier = self.fresh([e for e in same_skills if e.difficulty < failed.difficulty])
    if easier:
        return easier, tuple(skills), Phrase.of(gettext_noop(
            "After your wrong answer on %(skills)s: an easier exercise on it."), skills=name)
    prerequisites = sorted(
        {p for s in skills for p in self.graph.prerequisites(s)} - set(skills),
        key=lambda p: (_p_mastery(chart, p, self.params), p),
    )
    for prerequisite in prerequisites:
        group = self.fresh([
            e for e in self.exercises.values()
            if e.active and e.key not in excluded and e.skills == (prerequisite,)
        ])
        if group:
            percent = round(100 * _p_mastery(chart, prerequisite, self.params))
            return group, (prerequisite,), Phrase.of(gettext_noop(
                "After your wrong answer on %(skills)s: back to %(prerequisite)s, the least "
                "secure skill it builds on (%(percent)s%% mastery)."),
                skills=name, prerequisite=self._name(prerequisite), percent=percent)
    again = self.fresh([e for e in same_skills if e.difficulty == failed.difficulty])
    if again:
        return again, tuple(skills), Phrase.of(gettext_noop(
            "After your wrong answer on %(skills)s: another exercise on it, no harder "
            "(there is no easier one, nor a prerequisite to go back to)."), skills=name)
    left = self.fresh(same_skills)
    if left:
        easiest = min(e.difficulty for e in left)
        return [e for e in left if e.difficulty == easiest], tuple(skills), Phrase.of(
            gettext_noop("After your wrong answer on %(skills)s: the easiest exercise on it "
                         "you have not done lately (none as easy is left, nor a "
                         "prerequisite to go back to)."), skills=name)
    return [], (), None


