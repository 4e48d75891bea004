"""A course's skill graph from the database (built once per content version and process), and
the check that keeps its prerequisites a DAG."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from courses.models import Course, Prerequisite, Skill
from courses.queries.per_content import PerContent
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
            description=skill.description,
        )
        for skill in (skills if skills is not None else course.skills.order_by("key"))
    ]


def build_graph_of(course: Course) -> SkillGraph:
    return build_skill_graph(skill_specs(course))


_graphs: PerContent[SkillGraph] = PerContent(build_graph_of)


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
