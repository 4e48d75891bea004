"""Assignment URLs (included from ``courses.urls``): the teacher's pages for a class."""
from __future__ import annotations

from django.urls import URLPattern, path

from courses.views import assignments

_ONE = "teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/"

urlpatterns: list[URLPattern] = [
    path("teach/classes/<int:cohort_id>/assignments/", assignments.assignments_page,
         name="teacher_assignments"),
    path("teach/classes/<int:cohort_id>/assignments/new/", assignments.assignment_create,
         name="assignment_create"),
    path("teach/classes/<int:cohort_id>/dashboard/assignments/",
         assignments.assignments_dashboard, name="class_assignments_dashboard"),
    path(_ONE, assignments.assignment_page, name="teacher_assignment"),
    path(f"{_ONE}edit/", assignments.assignment_edit, name="assignment_edit"),
    path(f"{_ONE}extend/", assignments.assignment_extend, name="assignment_extend"),
    path(f"{_ONE}delete/", assignments.assignment_delete, name="assignment_delete"),
]
