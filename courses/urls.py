from __future__ import annotations

from django.apps import apps
from django.urls import include, path

from courses.judging import views as judging
from courses.views import learner, media, placement, teacher

urlpatterns = [
    path("", learner.home, name="home"),
    path("courses/<slug:slug>/", learner.course_detail, name="course_detail"),
    path("courses/<slug:slug>/enrol/", learner.enrol_view, name="enrol"),
    path("courses/<slug:slug>/practice/", learner.practice_next, name="practice_next"),
    path("courses/<slug:slug>/exercises/<str:key>/", learner.exercise_view, name="exercise"),
    path("courses/<slug:slug>/exercises/<str:key>/program/", judging.send_program,
         name="send_program"),
    path("courses/<slug:slug>/submissions/<int:submission_id>/", judging.submission_page,
         name="submission"),
    path("courses/<slug:slug>/submissions/<int:submission_id>/status/",
         judging.submission_status, name="submission_status"),
    path("courses/<slug:slug>/path/", learner.path_fragment, name="path_fragment"),
    path("courses/<slug:slug>/placement/", placement.placement_page, name="placement"),
    path("courses/<slug:slug>/placement/start/", placement.placement_start,
         name="placement_start"),
    path("courses/<slug:slug>/placement/skip/", placement.placement_skip, name="placement_skip"),
    path("courses/<slug:slug>/placement/answer/", placement.placement_answer,
         name="placement_answer"),
    path(
        "courses/<slug:slug>/attempts/<int:attempt_id>/",
        learner.attempt_feedback,
        name="attempt_feedback",
    ),
    path("teach/", teacher.teacher_classes, name="teacher_classes"),
    path("teach/classes/<int:cohort_id>/", teacher.teacher_class, name="teacher_class"),
    path(
        "teach/classes/<int:cohort_id>/learners/<int:learner_id>/",
        teacher.teacher_learner,
        name="teacher_learner",
    ),
    path("teach/classes/<int:cohort_id>/pins/", teacher.pin_add, name="pin_add"),
    path(
        "teach/classes/<int:cohort_id>/pins/<int:pin_id>/delete/",
        teacher.pin_remove,
        name="pin_remove",
    ),
    path("", include("courses.urls_dashboards")),
    path("", include("courses.urls_assignments")),
    path("", include("courses.urls_privacy")),
    path("media/<path:name>", media.content_image, name="content_image"),
]

if apps.is_installed("courses.devtools"):  # development only: the benchmark's yardstick
    from courses.devtools.views import bare_json

    urlpatterns.append(path("dev/bare.json", bare_json, name="dev_bare_json"))
