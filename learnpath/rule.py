"""The simple skill-graph rule: the app's choice of the next exercise before a model is trained
(the course page's *practise* without a plan, and the simulator's ``skill_graph`` baseline)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from learnpath import mastery, review
from learnpath.skillgraph import SkillGraph
from learnpath.success import PlanExercise
from learnpath.success import p_mastery_of as _p_mastery

__all__ = ["rule_next_exercise"]


def rule_next_exercise(
    chart: Mapping[str, mastery.SkillMastery],
    graph: SkillGraph,
    exercises: Sequence[PlanExercise],
    last_seen: Mapping[str, float],
    now: datetime,
    targets: Sequence[str] = (),
    review_schedule: Mapping[str, datetime] | None = None,
) -> str | None:
    """The simple skill-graph rule (the app's choice before a model is trained).

    1. The first skill in topological order on the ready-to-learn frontier; if none, the first
       skill due for review (:func:`learnpath.review.due_reviews`); if none either (all
       mastered), the weakest skill. With ``targets``, only the targets and the skills they
       build on count.
    2. Of that skill's active exercises: the least recently seen (never seen first), ties broken
       by the difficulty nearest the learner's level on the skill (``1 + 4·p_mastery``), then key.
    """
    active = [e for e in exercises if e.active]
    practisable = {skill for exercise in active for skill in exercise.skills}
    known_targets = [key for key in targets if key in graph]
    if known_targets:
        practisable &= set(known_targets).union(*(graph.ancestors(k) for k in known_targets))
    order = graph.topological_order()
    skill = next((k for k in mastery.ready_to_learn(chart, graph) if k in practisable), None)
    if skill is None:
        skill = next(
            (k for k, _ in review.due_reviews(chart, now, review_schedule) if k in practisable),
            None,
        )
    if skill is None:
        ranked = sorted((_p_mastery(chart, k, {}), i, k) for i, k in enumerate(order)
                        if k in practisable)
        skill = ranked[0][2] if ranked else None
    if skill is None:
        return None
    target = 1.0 + 4.0 * _p_mastery(chart, skill, {})
    return min(
        (e for e in active if skill in e.skills),
        key=lambda e: (last_seen.get(e.key, float("-inf")), abs(e.difficulty - target), e.key),
    ).key
