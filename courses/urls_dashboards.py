"""Dashboard URLs (included from ``courses.urls``): the learner's own, and the teacher's."""
from __future__ import annotations

from django.urls import URLPattern, path

from courses.views import dashboards

urlpatterns: list[URLPattern] = [
    path(
        "courses/<slug:slug>/dashboard/",
        dashboards.learner_dashboard_page,
        name="learner_dashboard",
    ),
    path(
        "teach/classes/<int:cohort_id>/dashboard/",
        dashboards.class_dashboard_page,
        name="class_dashboard",
    ),
    path(
        "teach/classes/<int:cohort_id>/dashboard/exercises/",
        dashboards.class_items_page,
        name="class_items",
    ),
    path(
        "teach/classes/<int:cohort_id>/learners/<int:learner_id>/dashboard/",
        dashboards.teacher_learner_dashboard_page,
        name="teacher_learner_dashboard",
    ),
    path(
        "teach/classes/<int:cohort_id>/mastery.csv",
        dashboards.class_mastery_csv,
        name="class_mastery_csv",
    ),
]
