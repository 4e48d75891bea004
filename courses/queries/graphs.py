"""A course's skill graph from the database (built once per content version and process), and
the check that keeps its prerequisites a DAG."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from courses.models import Course, Prerequisite, Skill
from learnpath.skillgraph import SkillGraph, SkillSpec, build_skill_graph, validate_skills


def skill_specs(course: Course, skills: list[Skill] | None = None) -> list[SkillSpec]:
    """The course's skills (or the given ones of it) as plain specs, in two queries or one."""
    prerequisites: dict[int, list[str]] = defaultdict(list)
    for skill_id, prerequisite_key in Prerequisite.objects.filter(
        skill__course=course
    ).values_list("skill_id", "prerequisite__key"):
        prerequisites[skill_id].append(prerequisite_key)
    return [
        SkillSpec(
            key=skill.key,
            name=skill.name,
            prerequisites=tuple(sorted(prerequisites[skill.pk])),
            area=skill.area,
        )
        for skill in (skills if skills is not None else course.skills.order_by("key"))
    ]


class SkillGraphs:
    """This process's skill graphs, one per course, each kept with the course identity it was
    built for: (id, creation time, ``content_version``), which every change of skills or
    prerequisites raises (:mod:`courses.signals`), so a stale graph is never returned and
    nothing needs resetting. A graph is only read once built."""

    def __init__(self) -> None:
        self._graphs: dict[int, tuple[tuple[datetime, int], SkillGraph]] = {}

    def of(self, course: Course) -> SkillGraph:
        """The graph of the course's current content (its version is read from the database:
        the caller's course object may be older than the content)."""
        identity = Course.objects.filter(pk=course.pk).values_list(
            "created_at", "content_version"
        ).first()
        cached = self._graphs.get(course.pk)
        if cached is not None and identity is not None and cached[0] == identity:
            return cached[1]
        graph = build_skill_graph(skill_specs(course))
        if identity is not None:
            self._graphs[course.pk] = (identity, graph)
        return graph


_graphs = SkillGraphs()


def skill_graph_for(course: Course) -> SkillGraph:
    return _graphs.of(course)


def check_prerequisites_of(skill: Skill, prerequisites: Iterable[Skill]) -> list[str]:
    """Problems (e.g. the cycle, named) if ``skill`` had exactly these prerequisites."""
    chosen = [p for p in prerequisites]
    foreign = [p.name for p in chosen if p.course_id != skill.course_id]
    if foreign:
        return [f"Prerequisites must be skills of the same course: {', '.join(foreign)}."]
    specs = [
        SkillSpec(s.key, s.name, tuple(p.key for p in chosen), s.area) if s.key == skill.key else s
        for s in skill_specs(skill.course)
    ]
    return [problem.message for problem in validate_skills(specs)]
