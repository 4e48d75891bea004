"""What planning needs to know of a course (its skill graph, BKT parameters, names and
exercises), read once and kept per process until the course's content changes.

The cache knows a course by its identity and content: (id, creation time, ``content_version``),
which every change of skills, prerequisites, exercises or options raises (``courses.signals``),
so a stale view is never served and nothing needs resetting.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from courses.models import Course
from courses.queries.charts import params_for
from courses.queries.graphs import skill_specs
from courses.queries.history import exercise_skill_keys
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


class CourseViews:
    """This process's course views, one per course, with the identity each was read at."""

    def __init__(self) -> None:
        self._views: dict[int, tuple[tuple[datetime, int], CourseView]] = {}

    def of(self, course: Course) -> CourseView:
        """The view of the course's current content (its version is read from the database:
        the caller's course object may be older than the content)."""
        identity = Course.objects.filter(pk=course.pk).values_list(
            "created_at", "content_version"
        ).first()
        cached = self._views.get(course.pk)
        if cached is None or identity is None or cached[0] != identity:
            view = CourseView.load(course)
            if identity is not None:
                self._views[course.pk] = (identity, view)
            return view
        return cached[1]


_views = CourseViews()


def course_view(course: Course) -> CourseView:
    return _views.of(course)
