"""A teacher's side: their classes, a class's dashboard data (learners × skills, who may need
help and why), a learner's chart and path, and the class's attempts."""
from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from courses import access
from courses.api.learning import PageQuery, chart_out, path_out
from courses.api.paging import attempt_page
from courses.api.schemas import (
    DENIED,
    AttemptPage,
    ChartOut,
    ClassOut,
    DashboardOut,
    PathOut,
)
from courses.api.tokens import signed_in
from courses.dashboards.needs_help import HELP_RULE, flags
from courses.models import Attempt
from courses.queries.charts import class_grid
from courses.recommend.cache import path_or_pending

router = Router(tags=["classes"])


@router.get("/classes", response={200: list[ClassOut], **DENIED})
def list_classes(request: HttpRequest) -> list[dict[str, Any]]:
    """The classes you teach (every class for an admin); empty for a learner."""
    user = signed_in(request)
    cohorts = access.cohorts_taught(user).select_related("teacher").annotate(
        size=Count("learners"))
    return [{"id": c.pk, "name": c.name, "course": c.course.slug,
             "teacher": c.teacher.get_username(), "learners": c.size}
            for c in cohorts.order_by("name", "id")]


@router.get("/classes/{class_id}/dashboard", response={200: DashboardOut, **DENIED})
def class_dashboard(request: HttpRequest, class_id: int) -> dict[str, Any]:
    """What the class dashboard shows, as data: each learner's mastery per skill (skills in
    prerequisite order) and the reasons a learner may need help, with the rule."""
    cohort = access.taught_cohort(signed_in(request), class_id)
    grid = class_grid(cohort)
    reasons = flags(grid.skills, grid.rows, timezone.now())
    skills = cohort.course.skills.prefetch_related("prerequisites")
    by_key = {s.key: s for s in skills}
    return {
        "class_id": cohort.pk, "course": cohort.course.slug,
        "skills": [{"key": col.key, "name": col.name,
                    "description": by_key[col.key].description, "area": by_key[col.key].area,
                    "prerequisites": sorted(p.key for p in by_key[col.key].prerequisites.all())}
                   for col in grid.skills],
        "learners": [{
            "id": row.learner_id, "username": row.username, "full_name": row.full_name,
            "attempts": row.attempts, "last_active": row.last_active,
            "mean_mastery_percent": row.mean_percent,
            "skills": [{"skill": col.key, "level": cell.level, "p_mastery": cell.p_mastery,
                        "attempts": cell.attempts, "wrong": cell.wrong}
                       for col, cell in zip(grid.skills, row.cells, strict=True)],
            "needs_help": [flag.text for flag in reasons[row.learner_id]],
        } for row in grid.rows],
        "help_rule": HELP_RULE.notes(),
    }


@router.get("/classes/{class_id}/learners/{learner_id}/chart", response={200: ChartOut, **DENIED})
def learner_chart(request: HttpRequest, class_id: int, learner_id: int) -> dict[str, Any]:
    cohort = access.taught_cohort(signed_in(request), class_id)
    return chart_out(access.learner_in_cohort(cohort, learner_id), cohort.course)


@router.get("/classes/{class_id}/learners/{learner_id}/path", response={200: PathOut, **DENIED})
def learner_path(request: HttpRequest, class_id: int, learner_id: int) -> dict[str, Any]:
    cohort = access.taught_cohort(signed_in(request), class_id)
    learner = access.learner_in_cohort(cohort, learner_id)
    return path_out(path_or_pending(learner, cohort.course))


@router.get("/classes/{class_id}/attempts", response={200: AttemptPage, **DENIED})
def class_attempts(request: HttpRequest, class_id: int,
                   page: Query[PageQuery]) -> dict[str, Any]:
    """The attempts of the class's learners in its course, oldest first, a page at a time."""
    cohort = access.taught_cohort(signed_in(request), class_id)
    attempts = Attempt.objects.filter(course=cohort.course, learner__cohorts=cohort)
    return attempt_page(cohort.course, attempts, after=page.after, limit=page.limit,
                        since=page.since, until=page.until)
