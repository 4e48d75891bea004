"""The data-driven simulator: real learners' histories, answered on by a knowledge-tracing model
trained on real attempts, so that nobody here wrote its learning by hand (the way CSEAL, SRC and
GEHRL evaluate learning paths on real data).

- :func:`data_course` makes the course a planner sees from data: the skills and problems
  learners met (problems with at least ``min_attempts`` answers), each problem's difficulty
  1..5 from its share of right answers (quintiles, the hardest fifth 5), and a prerequisite graph
  inferred from the order learners first meet skills (:func:`infer_prerequisites`).
- :class:`KTEnvironment` is the simulated learner's answers: a trained attention model
  (:class:`learnpath.seq.attention.AttentionKT`, another architecture than the planner's LSTM)
  gives P(right) on any problem after a history; the simulator samples the answer from it and
  appends it, so the environment's knowledge moves with what it is asked.

Pure: plain data in and out; torch is imported by :class:`KTEnvironment` only.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from learnpath.seq.records import LearnerSequence
from learnpath.sim.model import SimCourse, SimExercise, SimSkill

DIFFICULTY_LEVELS = 5


@dataclass(frozen=True)
class PrerequisiteRule:
    """Skill ``a`` is a prerequisite of ``b`` when at least ``min_learners`` learners met both and
    at least ``share`` of them met ``a`` first (first attempts compared), the edges agree with
    the skills' mean order of first meeting (so the graph has no cycle), and they are not implied
    by other edges (transitive reduction)."""

    share: float = 0.8
    min_learners: int = 30


def infer_prerequisites(
    sequences: Sequence[LearnerSequence],
    skills_of: Mapping[str, Sequence[str]],
    rule: PrerequisiteRule = PrerequisiteRule(),
) -> dict[str, tuple[str, ...]]:
    """Skill -> its inferred prerequisites (see :class:`PrerequisiteRule`)."""
    first_seen: list[dict[str, int]] = []
    for sequence in sequences:
        order: dict[str, int] = {}
        for attempt in sequence.attempts:
            for skill in skills_of.get(attempt.exercise, ()):
                order.setdefault(skill, len(order))
        first_seen.append(order)
    before: dict[tuple[str, str], int] = defaultdict(int)
    together: dict[tuple[str, str], int] = defaultdict(int)
    rank_sum: dict[str, float] = defaultdict(float)
    rank_count: dict[str, int] = defaultdict(int)
    for order in first_seen:
        met = sorted(order, key=order.__getitem__)
        for index, skill in enumerate(met):
            rank_sum[skill] += index / max(len(met) - 1, 1)
            rank_count[skill] += 1
            for later in met[index + 1:]:
                pair = (skill, later) if skill < later else (later, skill)
                together[pair] += 1
                if pair[0] == skill:
                    before[pair] += 1
    mean_rank = {skill: rank_sum[skill] / rank_count[skill] for skill in rank_sum}
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(mean_rank)
    for (a, b), count in together.items():
        if count < rule.min_learners:
            continue
        share_a_first = before[(a, b)] / count
        for first, then, share in ((a, b, share_a_first), (b, a, 1 - share_a_first)):
            if share >= rule.share and mean_rank[first] < mean_rank[then]:
                graph.add_edge(first, then)
    reduced = nx.transitive_reduction(graph)
    return {skill: tuple(sorted(reduced.predecessors(skill))) for skill in sorted(mean_rank)}


def data_course(
    sequences: Sequence[LearnerSequence],
    skills_of: Mapping[str, Sequence[str]],
    *,
    min_attempts: int = 10,
    rule: PrerequisiteRule | None = PrerequisiteRule(),
) -> SimCourse:
    """The course a planner sees, from these learners' attempts (see the module docstring);
    ``rule=None``: no prerequisites."""
    answers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sequence in sequences:
        for attempt in sequence.attempts:
            if skills_of.get(attempt.exercise):
                counts = answers[attempt.exercise]
                counts[0] += int(attempt.correct)
                counts[1] += 1
    kept = sorted((key for key, (_, total) in answers.items() if total >= min_attempts),
                  key=lambda key: (answers[key][0] / answers[key][1], key))
    if not kept:
        raise ValueError(f"no problem has {min_attempts}+ answers")
    # Hardest first in ``kept``: the first fifth gets difficulty 5, the last fifth 1.
    difficulty = {key: DIFFICULTY_LEVELS - index * DIFFICULTY_LEVELS // len(kept)
                  for index, key in enumerate(kept)}
    skill_keys = sorted({skill for key in kept for skill in skills_of[key]})
    prerequisites = infer_prerequisites(sequences, skills_of, rule) if rule else {}
    skills = tuple(
        SimSkill(key, tuple(p for p in prerequisites.get(key, ()) if p in skill_keys))
        for key in skill_keys
    )
    exercises = tuple(
        SimExercise(key, tuple(dict.fromkeys(skills_of[key])), difficulty[key])
        for key in sorted(kept)
    )
    return SimCourse(skills, exercises)


class KTEnvironment:
    """P(right) of a simulated learner on any problems after their history, from a trained
    :class:`~learnpath.seq.attention.AttentionKT` and its vocabulary; the history's last
    ``window`` attempts are read (as in training)."""

    def __init__(self, model: Any, vocab: Any, window: int = 200) -> None:
        import torch

        self._torch = torch
        self.model = model.eval()
        self.vocab = vocab
        self.window = window

    def _ids(self, keys: Sequence[str]) -> tuple[Any, Any]:
        torch = self._torch
        return (torch.tensor([self.vocab.exercise_id(key) for key in keys], dtype=torch.long),
                torch.tensor([self.vocab.skill_ids(key) for key in keys], dtype=torch.long))

    def p_right(self, history: Sequence[tuple[str, bool]], problems: Sequence[str]) -> list[float]:
        torch = self._torch
        recent = list(history)[-self.window:]
        exercise, skills = self._ids([key for key, _ in recent])
        skills = skills.view(1, len(recent), self.vocab.max_skills)
        correct = torch.tensor([[float(right) for _, right in recent]])
        targets, target_skills = self._ids(problems)
        with torch.no_grad():
            p = self.model.next_answer_probabilities(
                exercise.view(1, -1), skills, correct.view(1, -1), targets,
                target_skills,
            )
        return [float(value) for value in p]
