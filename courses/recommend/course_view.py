"""What planning needs to know of a course (its skill graph, BKT parameters, names and
exercises), read once and kept per process until the course's content changes.

The view is kept by :class:`courses.queries.per_content.PerContent`, as the skill graph is:
a stale view is never served and nothing needs resetting.
"""
from __future__ import annotations

from dataclasses import dataclass

from courses.models import Course
from courses.queries.charts import params_for
from courses.queries.graphs import skill_specs
from courses.queries.history import exercise_skill_keys
from courses.queries.per_content import PerContent
from learnpath import paths
from learnpath.mastery import BKTParams
from learnpath.skillgraph import SkillGraph, build_skill_graph


@dataclass(frozen=True)
class CourseView:
    """What planning needs from the database, read once and kept while the content stands."""

    graph: SkillGraph
    params: dict[str, BKTParams]
    names: dict[str, str]
    catalog: dict[int, tuple[str, tuple[str, ...]]]
    exercises: list[paths.PlanExercise]

    @classmethod
    def load(cls, course: Course) -> CourseView:
        skills = list(course.skills.order_by("key"))
        skill_keys = exercise_skill_keys(course)
        catalog, exercises = {}, []
        for pk, key, difficulty, status in course.exercises.values_list(
            "id", "key", "difficulty", "status"
        ):
            tagged = tuple(skill_keys.get(pk, ()))
            catalog[pk] = (key, tagged)
            if tagged:
                exercises.append(paths.PlanExercise(key, tagged, difficulty, status == "active"))
        return cls(build_skill_graph(skill_specs(course, skills)), params_for(skills),
                   {skill.key: skill.name for skill in skills}, catalog, exercises)

    @property
    def skills_by_exercise(self) -> dict[str, tuple[str, ...]]:
        return {key: skills for key, skills in self.catalog.values() if skills}


_views: PerContent[CourseView] = PerContent(CourseView.load)


def course_view(course: Course) -> CourseView:
    return _views.of(course)
