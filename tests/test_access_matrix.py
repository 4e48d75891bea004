"""The access matrix: every URL of the site and the admin, for each of six roles, with the
expected outcome.

Roles (columns, in this order): anonymous; learner (alice, in tess's class); other learner
(bob, in ted's class); class teacher (tess, teaches alice); other teacher (ted); admin (root,
a superuser). Outcomes: a status code, and for a redirect where it goes (the sign-in pages also
carry ``?next=`` the page asked for).

Every URL pattern the resolver knows must have an entry: a new URL without one fails
``test_every_url_has_an_entry``, naming it. The admin's standard model pages are generated for
each model in ``ADMIN_MODELS`` (which must list every registered model); its own pages are
listed one by one. Each check runs in a savepoint rolled back afterwards, so a POST by one role
does not change what the next role sees.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, SolarSchedule
from lti_tool.models import LtiContext, LtiDeployment, LtiRegistration, LtiUser

from courses.actions.assignments import AssignmentSpec, create_assignment, extend_assignment
from courses.actions.attempts import record_attempt
from courses.actions.pins import add_pin
from courses.api.tokens import issue_token
from courses.judging.models import Submission
from courses.lti.keys import ensure_current_key
from courses.lti.models import LinkedClass
from courses.models import (
    Attempt,
    Choice,
    Cohort,
    ContentImage,
    Course,
    Enrollment,
    Exercise,
    ModelVersion,
    PathPin,
    TrainingRun,
)
from courses.outbox.models import OutboxRow
from courses.views.learner import TICKET_SALT
from tests.conftest import PASSWORD
from tests.content_support import make_image

ROLES = ("anonymous", "learner", "other_learner", "class_teacher", "other_teacher", "admin")


@dataclass(frozen=True)
class Outcome:
    status: int
    to: str = ""  # for a redirect: the view name of its target
    comes_back: bool = False  # a sign-in redirect: ?next= is the page asked for

    def __str__(self) -> str:
        return f"{self.status} -> {self.to}" if self.to else str(self.status)


OK = Outcome(200)
FORBIDDEN = Outcome(403)
NOT_FOUND = Outcome(404)
LOGIN = Outcome(302, "login", comes_back=True)
ADMIN_LOGIN = Outcome(302, "admin:login", comes_back=True)


def redirect(view_name: str) -> Outcome:
    return Outcome(302, view_name)


@dataclass(frozen=True)
class Check:
    """One request, made by each role in turn: ``expect`` has one outcome per role."""

    method: str
    url: str  # formatted with the scene's ids
    expect: tuple[Outcome, ...]
    data: dict[str, str] = field(default_factory=dict)  # values formatted with the scene's ids
    wrong_method: str = ""  # a method the view refuses with 405
    json: bool = False  # the data is sent as a JSON body (the API)

    def __post_init__(self) -> None:
        assert len(self.expect) == len(ROLES), self.url


def get(url: str, *expect: Outcome, wrong_method: str = "post") -> Check:
    return Check("get", url, expect, wrong_method=wrong_method)


def post(url: str, data: dict[str, str], *expect: Outcome, wrong_method: str = "get") -> Check:
    return Check("post", url, expect, data=data, wrong_method=wrong_method)


def api(method: str, url: str, *expect: Outcome, data: dict[str, Any] | None = None,
        wrong_method: str = "put") -> Check:
    """An API call, its body (if any) as JSON; sessions sign the roles in (no CSRF check in
    the test client)."""
    return Check(method, url, expect, data=data or {}, wrong_method=wrong_method, json=True)


T_ONLY = (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK)  # the class's teacher and the admin
ANSWER = {"choice": "{choice}", "client_id": "{client_id}", "ticket": "{ticket}"}
ASSIGNMENT = {"title": "Homework", "kind": "exercises", "exercises": "quarters-numeric",
              "due_at": "{due}"}
PROGRAM = {"source": "def add(a, b):\n    return a + b\n", "client_id": "{client_id}",
           "ticket": "{program_ticket}"}

#                  anonymous  learner  other learner  class teacher  other teacher  admin
SITE_MATRIX: dict[str, tuple[Check, ...]] = {
    "": (get("/", LOGIN, OK, OK, redirect("teacher_classes"), redirect("teacher_classes"), OK),),
    "courses/<slug:slug>/": (get("/courses/{slug}/", LOGIN, OK, OK, OK, OK, OK),),
    "courses/<slug:slug>/enrol/": (
        post("/courses/{slug}/enrol/", {}, LOGIN, *[redirect("course_detail")] * 5),
    ),
    "courses/<slug:slug>/practice/": (
        get("/courses/{slug}/practice/", LOGIN, redirect("exercise"), redirect("exercise"),
            FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/exercises/<str:key>/": (
        get("/courses/{slug}/exercises/{key}/", LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN,
            wrong_method="put"),
        post("/courses/{slug}/exercises/{key}/", ANSWER, LOGIN, redirect("attempt_feedback"),
             redirect("attempt_feedback"), FORBIDDEN, FORBIDDEN, FORBIDDEN, wrong_method="put"),
    ),
    "courses/<slug:slug>/exercises/<str:key>/program/": (
        post("/courses/{slug}/exercises/{program_key}/program/", PROGRAM, LOGIN,
             redirect("submission"), redirect("submission"), FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/submissions/<int:submission_id>/": (
        get("/courses/{slug}/submissions/{submission}/", LOGIN, OK, NOT_FOUND, FORBIDDEN,
            FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/submissions/<int:submission_id>/status/": (
        get("/courses/{slug}/submissions/{submission}/status/", LOGIN, OK, NOT_FOUND,
            FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/path/": (  # the learner's own path: no other learner can be named
        get("/courses/{slug}/path/", LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/placement/": (  # the learner's own check, as the path
        get("/courses/{slug}/placement/", LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/placement/start/": (
        post("/courses/{slug}/placement/start/", {}, LOGIN, redirect("placement"),
             redirect("placement"), FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/placement/skip/": (
        post("/courses/{slug}/placement/skip/", {}, LOGIN, redirect("course_detail"),
             redirect("course_detail"), FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/placement/answer/": (  # no check under way in the scene: 409
        post("/courses/{slug}/placement/answer/", {"exercise": "{key}"}, LOGIN,
             Outcome(409), Outcome(409), FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "courses/<slug:slug>/attempts/<int:attempt_id>/": (
        get("/courses/{slug}/attempts/{attempt}/", LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN,
            FORBIDDEN),
    ),
    "courses/<slug:slug>/dashboard/": (
        get("/courses/{slug}/dashboard/", LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "teach/": (get("/teach/", LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, OK),),
    "teach/classes/<int:cohort_id>/": (get("/teach/classes/{cohort}/", *T_ONLY),),
    "teach/classes/<int:cohort_id>/learners/<int:learner_id>/": (
        get("/teach/classes/{cohort}/learners/{learner}/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/pins/": (
        post("/teach/classes/{cohort}/pins/", {"exercise": "quarters-numeric",
                                               "learner": "{learner}"},
             LOGIN, FORBIDDEN, FORBIDDEN, redirect("teacher_learner"), FORBIDDEN,
             redirect("teacher_learner")),
    ),
    "teach/classes/<int:cohort_id>/pins/<int:pin_id>/delete/": (
        post("/teach/classes/{cohort}/pins/{pin}/delete/", {}, LOGIN, FORBIDDEN, FORBIDDEN,
             redirect("teacher_class"), FORBIDDEN, redirect("teacher_class")),
    ),
    "teach/classes/<int:cohort_id>/assignments/": (
        get("/teach/classes/{cohort}/assignments/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/assignments/new/": (
        post("/teach/classes/{cohort}/assignments/new/", ASSIGNMENT, LOGIN, FORBIDDEN,
             FORBIDDEN, redirect("teacher_assignment"), FORBIDDEN,
             redirect("teacher_assignment")),
    ),
    "teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/": (
        get("/teach/classes/{cohort}/assignments/{assignment}/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/edit/": (
        post("/teach/classes/{cohort}/assignments/{assignment}/edit/", ASSIGNMENT, LOGIN,
             FORBIDDEN, FORBIDDEN, redirect("teacher_assignment"), FORBIDDEN,
             redirect("teacher_assignment")),
    ),
    "teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/extend/": (
        post("/teach/classes/{cohort}/assignments/{assignment}/extend/",
             {"learner": "{learner}", "due_at": "{later}"}, LOGIN, FORBIDDEN, FORBIDDEN,
             redirect("teacher_assignment"), FORBIDDEN, redirect("teacher_assignment")),
    ),
    "teach/classes/<int:cohort_id>/assignments/<int:assignment_id>/delete/": (
        post("/teach/classes/{cohort}/assignments/{assignment}/delete/", {}, LOGIN, FORBIDDEN,
             FORBIDDEN, redirect("teacher_assignments"), FORBIDDEN,
             redirect("teacher_assignments")),
    ),
    "teach/classes/<int:cohort_id>/dashboard/assignments/": (
        get("/teach/classes/{cohort}/dashboard/assignments/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/dashboard/": (
        get("/teach/classes/{cohort}/dashboard/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/dashboard/exercises/": (
        get("/teach/classes/{cohort}/dashboard/exercises/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/learners/<int:learner_id>/dashboard/": (
        get("/teach/classes/{cohort}/learners/{learner}/dashboard/", *T_ONLY),
    ),
    "teach/classes/<int:cohort_id>/mastery.csv": (
        get("/teach/classes/{cohort}/mastery.csv", *T_ONLY),
    ),
    "teach/courses/<slug:slug>/research-export/": (  # teachers of a class on it, and admins
        get("/teach/courses/{slug}/research-export/", LOGIN, FORBIDDEN, FORBIDDEN,
            OK, OK, OK),
    ),
    "media/<path:name>": (get("/media/{image_file}", LOGIN, *[OK] * 5),),  # a course's image
    "dev/bare.json": (get("/dev/bare.json", *[OK] * 6),),  # development app: the yardstick
    "accounts/login/": (get("/accounts/login/", *[OK] * 6, wrong_method="delete"),),
    "accounts/logout/": (
        post("/accounts/logout/", {}, *[redirect("login")] * 6),
    ),
    "accounts/password_change/": (
        get("/accounts/password_change/", LOGIN, *[OK] * 5, wrong_method="delete"),
    ),
    "accounts/password_change/done/": (
        get("/accounts/password_change/done/", LOGIN, *[OK] * 5),
    ),
    "accounts/password_reset/": (
        get("/accounts/password_reset/", *[OK] * 6, wrong_method="delete"),
    ),
    "accounts/password_reset/done/": (
        get("/accounts/password_reset/done/", *[OK] * 6),
    ),
    "accounts/reset/<uidb64>/<token>/": (
        get("/accounts/reset/bm90LWEtdXNlcg/not-a-token/", *[OK] * 6, wrong_method=""),
    ),
    "accounts/reset/done/": (get("/accounts/reset/done/", *[OK] * 6),),
    "account/api-tokens/": (get("/account/api-tokens/", LOGIN, *[OK] * 5),),
    "account/api-tokens/new/": (
        post("/account/api-tokens/new/", {"name": "script"}, LOGIN,
             *[redirect("api_tokens")] * 5),
    ),
    "account/language/": (  # anyone: a signed-in person's choice is stored, else a cookie
        get("/account/language/", *[OK] * 6, wrong_method="delete"),
        post("/account/language/", {"language": "es"}, *[redirect("language")] * 6,
             wrong_method="delete"),
    ),
    "account/api-tokens/<int:token_id>/revoke/": (  # only one's own: alice's token
        post("/account/api-tokens/{token}/revoke/", {}, LOGIN, redirect("api_tokens"),
             *[NOT_FOUND] * 4),
    ),
    # One's own data; deleting the account needs the password, and is refused (409) to a
    # teacher of a class until the class has another teacher.
    "account/data/": (get("/account/data/", LOGIN, *[OK] * 5),),
    "account/data/download.json": (get("/account/data/download.json", LOGIN, *[OK] * 5),),
    "account/data/delete/": (
        get("/account/data/delete/", LOGIN, *[OK] * 5, wrong_method="put"),
        post("/account/data/delete/", {"password": PASSWORD}, LOGIN, OK, OK, Outcome(409),
             Outcome(409), OK, wrong_method="put"),
    ),
    # LTI: the platform's endpoints answer everyone alike (a launch without a signed token is
    # refused); the deep-linking picker needs the session's own selection; the roster is the
    # class teacher's (tess's class stands for an LMS course in the scene).
    "lti/login/": (get("/lti/login/", *[Outcome(400)] * 6, wrong_method="put"),),
    "lti/<uuid:registration_uuid>/login/": (
        get("/lti/{lti_registration_uuid}/login/", *[Outcome(400)] * 6, wrong_method="put"),
    ),
    "lti/launch/": (post("/lti/launch/", {}, *[FORBIDDEN] * 6, wrong_method="get"),),
    "lti/jwks.json": (get("/lti/jwks.json", *[OK] * 6),),
    "lti/deep-link/<str:token>/": (
        get("/lti/deep-link/not-a-selection/", LOGIN, *[FORBIDDEN] * 5, wrong_method="put"),
    ),
    "lti/classes/<int:cohort_id>/roster/": (
        get("/lti/classes/{cohort}/roster/", *T_ONLY, wrong_method="put"),
        post("/lti/classes/{cohort}/roster/", {}, LOGIN, FORBIDDEN, FORBIDDEN,
             redirect("lti_roster"), FORBIDDEN, redirect("lti_roster"), wrong_method="put"),
    ),
}

# The API: anonymous calls get 401 (no sign-in redirect); the same rules as the site.
UNAUTHORIZED = Outcome(401)
CREATED = Outcome(201)
ACCEPTED = Outcome(202)
A_T_ONLY = (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK)
LEARNERS = (UNAUTHORIZED, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
SIGNED_IN = (UNAUTHORIZED, *[OK] * 5)
ADMINS = (UNAUTHORIZED, *[FORBIDDEN] * 4)
PROGRAM_BODY = {"exercise": "{program_key}", "source": "def add(a, b):\n    return a + b\n",
                "client_id": "{client_id}"}
ATTEMPT_BODY = {"exercise": "halves-choice", "answer": ["{choice}"], "client_id": "{client_id}"}
API_MATRIX: dict[str, tuple[Check, ...]] = {
    "api/v1/": (api("get", "/api/v1/", *[NOT_FOUND] * 6, wrong_method=""),),
    "api/v1/docs": (api("get", "/api/v1/docs", *[OK] * 6, wrong_method=""),),
    "api/v1/openapi.json": (api("get", "/api/v1/openapi.json", *[OK] * 6, wrong_method=""),),
    "api/v1/courses": (
        api("get", "/api/v1/courses", *SIGNED_IN),
        api("post", "/api/v1/courses", *ADMINS, Outcome(400), data={"format": "nope"}),
    ),
    "api/v1/courses/<slug>": (api("get", "/api/v1/courses/{slug}", *SIGNED_IN),),
    "api/v1/courses/<slug>/skills": (api("get", "/api/v1/courses/{slug}/skills", *SIGNED_IN),),
    # Enrolled learners read the exercises (without answers); the course's teachers (ted
    # teaches another class on the same course) and admins with them.
    "api/v1/courses/<slug>/exercises": (
        api("get", "/api/v1/courses/{slug}/exercises", *SIGNED_IN),
    ),
    "api/v1/courses/<slug>/exercises/<key>": (
        api("get", "/api/v1/courses/{slug}/exercises/{key}", *SIGNED_IN),
    ),
    "api/v1/courses/<slug>/export": (
        api("get", "/api/v1/courses/{slug}/export", UNAUTHORIZED, FORBIDDEN, FORBIDDEN, OK, OK,
            OK),
    ),
    "api/v1/courses/<slug>/chart": (api("get", "/api/v1/courses/{slug}/chart", *LEARNERS),),
    "api/v1/courses/<slug>/path": (api("get", "/api/v1/courses/{slug}/path", *LEARNERS),),
    "api/v1/courses/<slug>/attempts": (
        api("get", "/api/v1/courses/{slug}/attempts", UNAUTHORIZED, OK, OK, FORBIDDEN,
            FORBIDDEN, OK),
        api("post", "/api/v1/courses/{slug}/attempts", UNAUTHORIZED, CREATED, CREATED,
            FORBIDDEN, FORBIDDEN, FORBIDDEN, data=ATTEMPT_BODY),
    ),
    "api/v1/courses/<slug>/submissions": (
        api("post", "/api/v1/courses/{slug}/submissions", UNAUTHORIZED, ACCEPTED, ACCEPTED,
            FORBIDDEN, FORBIDDEN, FORBIDDEN, data=PROGRAM_BODY),
    ),
    "api/v1/courses/<slug>/submissions/<submission_id>": (
        api("get", "/api/v1/courses/{slug}/submissions/{submission}", UNAUTHORIZED, OK,
            NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ),
    "api/v1/classes": (api("get", "/api/v1/classes", *SIGNED_IN),),
    "api/v1/classes/<class_id>/dashboard": (
        api("get", "/api/v1/classes/{cohort}/dashboard", *A_T_ONLY),
    ),
    "api/v1/classes/<class_id>/attempts": (
        api("get", "/api/v1/classes/{cohort}/attempts", *A_T_ONLY),
    ),
    "api/v1/classes/<class_id>/learners/<learner_id>/chart": (
        api("get", "/api/v1/classes/{cohort}/learners/{learner}/chart", *A_T_ONLY),
    ),
    "api/v1/classes/<class_id>/learners/<learner_id>/path": (
        api("get", "/api/v1/classes/{cohort}/learners/{learner}/path", *A_T_ONLY),
    ),
    "api/v1/courses/<slug>/training-runs": (  # a run is already queued: 200 with it
        api("post", "/api/v1/courses/{slug}/training-runs", *ADMINS, OK, wrong_method="get"),
    ),
    "api/v1/training-runs/<run_id>": (
        api("get", "/api/v1/training-runs/{courses_trainingrun}", *ADMINS, OK),
    ),
    "api/v1/tokens": (
        api("get", "/api/v1/tokens", *SIGNED_IN),
        api("post", "/api/v1/tokens", UNAUTHORIZED, *[CREATED] * 5, data={"name": "script"}),
    ),
    "api/v1/tokens/<token_id>": (  # only one's own: alice's token
        api("delete", "/api/v1/tokens/{token}", UNAUTHORIZED, OK, *[NOT_FOUND] * 4),
    ),
}
SITE_MATRIX.update(API_MATRIX)

# Every model registered in the admin, and what the admin may do with it: "editable"; "log"
# (look, change and delete, but not add); "read-only" (look only).
ADMIN_MODELS = {
    "auth.group": "editable",
    "auth.user": "editable",
    "django_celery_beat.periodictask": "editable",
    "django_celery_beat.clockedschedule": "editable",
    "django_celery_beat.crontabschedule": "editable",
    "django_celery_beat.solarschedule": "editable",
    "django_celery_beat.intervalschedule": "editable",
    "courses.course": "editable",
    "courses.skill": "editable",
    "courses.exercise": "editable",
    "courses.contentimage": "editable",
    "courses.cohort": "editable",
    "courses.enrollment": "editable",
    "courses.pathpin": "editable",
    "courses.assignment": "editable",
    "courses.assignmentextension": "editable",
    "courses.attempt": "read-only",
    "courses.studysession": "read-only",
    "courses.modelversion": "read-only",
    "courses.trainingrun": "read-only",
    "api.apitoken": "editable",
    "lti_tool.ltiregistration": "editable",
    "lti_tool.key": "read-only",
    "lti_tool.ltiuser": "log",
    "lti.linkedclass": "log",
    "outbox.outboxrow": "read-only",
    "judging.submission": "read-only",
    "axes.accessattempt": "log",
    "axes.accesslog": "log",
    "axes.accessfailurelog": "log",
}


def admin_only(url: str, outcome: Outcome = OK, wrong_method: str = "") -> Check:
    """An admin page: everyone but a staff member is sent to the admin's sign-in."""
    return get(url, *[ADMIN_LOGIN] * 5, outcome, wrong_method=wrong_method)


def _model_admin_checks(label: str, access: str) -> dict[str, tuple[Check, ...]]:
    app, model = label.split(".")
    base = f"admin/{app}/{model}/"
    obj = f"/{base}{{{app}_{model}}}/"
    addable = OK if access == "editable" else FORBIDDEN
    deletable = FORBIDDEN if access == "read-only" else OK
    return {
        base: (admin_only(f"/{base}"),),
        f"{base}add/": (admin_only(f"/{base}add/", addable),),
        f"{base}<path:object_id>/history/": (admin_only(f"{obj}history/"),),
        f"{base}<path:object_id>/delete/": (admin_only(f"{obj}delete/", deletable),),
        f"{base}<path:object_id>/change/": (admin_only(f"{obj}change/"),),
        f"{base}<path:object_id>/": (admin_only(obj, redirect(f"admin:{app}_{model}_change")),),
    }


def _join_route(prefix: str, route: str) -> str:
    # As Django's resolver joins them: a nested regex loses its leading "^".
    return prefix + route.removeprefix("^") if prefix else route


def _all_routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = _join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _all_routes(pattern.url_patterns, route)
        else:
            assert isinstance(pattern, URLPattern)
            yield route


# The admin's per-app index route names every app with a registered model.
_APP_INDEX_ROUTE = next(route for route in _all_routes(get_resolver().url_patterns)
                        if route.startswith("admin/(?P<app_label>"))
ADMIN_MATRIX: dict[str, tuple[Check, ...]] = {
    "admin/": (admin_only("/admin/"),),
    "admin/login/": (
        get("/admin/login/", OK, OK, OK, OK, OK, redirect("admin:index"), wrong_method=""),
    ),
    "admin/logout/": (
        post("/admin/logout/", {}, *[redirect("admin:index")] * 5, redirect("login"),
             wrong_method="get"),
    ),
    "admin/password_change/": (admin_only("/admin/password_change/"),),
    "admin/password_change/done/": (admin_only("/admin/password_change/done/"),),
    "admin/autocomplete/": (admin_only("/admin/autocomplete/", FORBIDDEN),),
    "admin/jsi18n/": (admin_only("/admin/jsi18n/"),),
    "admin/r/<path:content_type_id>/<path:object_id>/": (
        admin_only("/admin/r/{course_type}/{courses_course}/", NOT_FOUND),
    ),
    _APP_INDEX_ROUTE: (admin_only("/admin/courses/"),),
    "admin/(?P<url>.*)$": (admin_only("/admin/no-such-page/", NOT_FOUND),),
    "admin/auth/user/<id>/password/": (admin_only("/admin/auth/user/{auth_user}/password/"),),
    "admin/courses/course/import/": (admin_only("/admin/courses/course/import/"),),
    "admin/courses/course/<int:course_id>/import-attempts/": (
        admin_only("/admin/courses/course/{courses_course}/import-attempts/"),
    ),
    "admin/courses/course/<int:course_id>/export/": (
        admin_only("/admin/courses/course/{courses_course}/export/"),
    ),
    "admin/courses/course/<int:course_id>/import-bank/": (
        admin_only("/admin/courses/course/{courses_course}/import-bank/"),
    ),
    "admin/courses/course/<int:course_id>/export-bank/": (
        admin_only("/admin/courses/course/{courses_course}/export-bank/"),
    ),
    "admin/courses/exercise/<int:exercise_id>/preview/": (
        admin_only("/admin/courses/exercise/{courses_exercise}/preview/"),
    ),
    "admin/courses/modelversion/dashboard/": (
        admin_only("/admin/courses/modelversion/dashboard/", wrong_method="post"),
    ),
    "admin/courses/modelversion/dashboard/<int:course_id>/": (
        admin_only("/admin/courses/modelversion/dashboard/{courses_course}/"),
    ),
}
for _label, _access in ADMIN_MODELS.items():
    ADMIN_MATRIX.update(_model_admin_checks(_label, _access))

MATRIX = {**SITE_MATRIX, **ADMIN_MATRIX}


@dataclass(frozen=True)
class Scene:
    users: dict[str, Any]  # role -> user; None for anonymous
    ids: dict[str, Any]  # what URL templates and form data are filled with


@pytest.fixture
def scene(
    course: Course, cohort: Cohort, other_cohort: Cohort, alice: Any, bob: Any, tess: Any,
    ted: Any, root: Any,
) -> Scene:
    exercise = Exercise.objects.get(course=course, key="halves-choice")
    correct = Choice.objects.get(exercise=exercise, is_correct=True)
    attempt = record_attempt(
        learner=alice, exercise=exercise, given=[str(correct.pk)], client_id=uuid.uuid4()
    ).attempt
    pin = add_pin(tess, cohort, "quarters-text", alice)
    due = timezone.now() + timedelta(days=7)
    assignment = create_assignment(tess, cohort, AssignmentSpec(
        title="Quarters", kind="exercises", due_at=due, exercise_keys=("quarters-text",)))
    extend_assignment(assignment, alice, due + timedelta(days=1))
    program = _program_and_submission(course, alice)
    token = issue_token(alice, "scene").token
    _objects_for_every_admin_page(course)
    lti_registration = _lti_objects(cohort, alice)
    ids: dict[str, Any] = {
        "slug": course.slug, "key": exercise.key, "attempt": attempt.pk, "cohort": cohort.pk,
        "assignment": assignment.pk, "due": f"{due:%Y-%m-%dT%H:%M}",
        "later": f"{due + timedelta(days=2):%Y-%m-%dT%H:%M}",
        "learner": alice.pk, "pin": pin.pk, "token": token.pk, "choice": correct.pk,
        "client_id": uuid.uuid4(), "lti_registration_uuid": lti_registration.uuid,
        "course_type": ContentType.objects.get_for_model(Course).pk,
        "image_file": ContentImage.objects.get(course=course).file.name,
        "ticket": signing.dumps(
            {"exercise": exercise.pk, "started": timezone.now().isoformat()}, salt=TICKET_SALT
        ),
        "program_key": program.exercise.key, "submission": program.pk,
        "program_ticket": signing.dumps(
            {"exercise": program.exercise_id, "started": timezone.now().isoformat()},
            salt=TICKET_SALT),
    }
    for label in ADMIN_MODELS:
        model = _admin_model(label)
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"the scene needs a {label} for its admin pages"
        ids[label.replace(".", "_")] = first.pk
    users = dict(zip(ROLES, (None, alice, bob, tess, ted, root), strict=True))
    return Scene(users=users, ids=ids)


def _admin_model(label: str) -> Any:
    app, name = label.split(".")
    return next(
        model for model in admin.site._registry
        if (model._meta.app_label, model._meta.model_name) == (app, name)
    )


def _objects_for_every_admin_page(course: Course) -> None:
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=52.0, longitude=4.0)
    version = ModelVersion.objects.create(
        course=course, number=1, artifact_path="models/none.pt", checksum="0" * 64,
        training_attempts=1, training_learners=1,
    )
    TrainingRun.objects.create(course=course, trigger=TrainingRun.Trigger.ADMIN,
                               model_version=version)
    sign_in = {"username": "alice", "ip_address": "192.0.2.1", "user_agent": "test",
               "http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**sign_in, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**sign_in)
    AccessLog.objects.create(**sign_in)
    OutboxRow.objects.create(channel="xapi", key="answered:0", payload={})
    make_image(course)


def _program_and_submission(course: Course, learner: Any) -> Submission:
    """A code exercise in the course, and a program the learner sent for it."""
    exercise = Exercise.objects.create(
        course=course, key="add-program", kind=Exercise.Kind.CODE, prompt="Write `add`.",
        code={"starter": "", "reference": "def add(a, b):\n    return a + b\n",
              "tests": [{"call": "add", "args": [1, 2], "expected": 3, "visible": True}]})
    exercise.skills.set(course.skills.filter(key="halves"))
    return Submission.objects.create(learner=learner, course=course, exercise=exercise,
                                     source="def add(a, b): pass", started_at=timezone.now())


def _lti_objects(cohort: Cohort, learner: Any) -> LtiRegistration:
    """A registered LMS whose course is tess's class, with alice as its LMS user."""
    ensure_current_key()
    registration = LtiRegistration.objects.create(
        name="LMS", issuer="https://lms.example.org", client_id="learnpath",
        auth_url="https://lms.example.org/auth", token_url="https://lms.example.org/token",
        keyset_url="https://lms.example.org/jwks",
    )
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1",
                                              is_active=True)
    LtiUser.objects.create(registration=registration, sub="alice-in-lms", auth_user=learner)
    context = LtiContext.objects.create(deployment=deployment, id_on_platform="course-1")
    LinkedClass.objects.create(context=context, course=cohort.course, cohort=cohort)
    return registration


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _problem(response: Any, url: str, expected: Outcome) -> str:
    """Empty when the response is the expected outcome, else what differs."""
    if response.status_code != expected.status:
        return f"status {response.status_code}, expected {expected}"
    if not expected.to:
        return ""
    target = urlsplit(response["Location"])
    reached = resolve(target.path).view_name
    if reached != expected.to:
        return f"redirected to {response['Location']} ({reached}), expected {expected.to}"
    if expected.comes_back and parse_qs(target.query).get("next") != [url]:
        return f"sign-in redirect {response['Location']} does not come back to {url}"
    return ""


def _request(user: Any, method: str, url: str, data: dict[str, Any], as_json: bool = False
             ) -> Any:
    send = getattr(_client(user), method)
    with transaction.atomic():
        if as_json and method != "get":
            response = send(url, json.dumps(data), content_type="application/json")
        else:
            response = send(url, data) if data else send(url)
        transaction.set_rollback(True)
    return response


def _filled(value: Any, ids: dict[str, Any]) -> Any:
    """A form or JSON value with the scene's ids put in (a whole-id string becomes a number)."""
    if isinstance(value, list):
        return [_filled(item, ids) for item in value]
    if not isinstance(value, str):
        return value
    filled = value.format(**ids)
    whole = value.startswith("{") and value.endswith("}") and value.count("{") == 1
    return int(filled) if whole and filled.isdigit() else filled


def _mismatches(route: str, scene: Scene) -> list[str]:
    found = []
    for check in MATRIX[route]:
        url = check.url.format(**scene.ids)
        assert resolve(url).route == route, f"{url} does not reach {route!r}"
        data = {name: _filled(value, scene.ids) for name, value in check.data.items()}
        for role, expected in zip(ROLES, check.expect, strict=True):
            response = _request(scene.users[role], check.method, url, data, check.json)
            problem = _problem(response, url, expected)
            if problem:
                found.append(f"{check.method.upper()} {url} as {role}: {problem}")
            if check.wrong_method and _reaches_the_view(role, expected):
                status = _request(scene.users[role], check.wrong_method, url, {}).status_code
                if status != 405:
                    found.append(f"{check.wrong_method.upper()} {url} as {role}: {status}, "
                                 "expected 405")
    return found


def _reaches_the_view(role: str, expected: Outcome) -> bool:
    """Signed in and past the admin's staff check: the method check comes before any other."""
    return role != "anonymous" and expected.to not in {"admin:login", "admin:index"}


def test_every_url_has_an_entry() -> None:
    routes = set(_all_routes(get_resolver().url_patterns))
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"URLs without an access-matrix entry: {missing}"
    assert not stale, f"access-matrix entries for URLs that no longer exist: {stale}"


def test_every_admin_model_is_listed() -> None:
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == ADMIN_MODELS.keys()


@pytest.mark.parametrize("route", sorted(SITE_MATRIX))
def test_site_url(route: str, scene: Scene) -> None:
    mismatches = _mismatches(route, scene)
    assert not mismatches, "\n".join(mismatches)


def _admin_groups() -> dict[str, list[str]]:
    """The admin's routes by model (its own pages under "site"): one test each."""
    groups: dict[str, list[str]] = {}
    for route in ADMIN_MATRIX:
        group = next((label for label in ADMIN_MODELS
                      if route.startswith(f"admin/{label.replace('.', '/')}/")), "site")
        groups.setdefault(group, []).append(route)
    return groups


@pytest.mark.parametrize("group", sorted(_admin_groups()))
def test_admin_urls(group: str, scene: Scene) -> None:
    mismatches = [m for route in _admin_groups()[group] for m in _mismatches(route, scene)]
    assert not mismatches, "\n".join(mismatches)


def test_the_roles_are_who_the_matrix_says(scene: Scene) -> None:
    users = scene.users
    cohort = Cohort.objects.get(pk=scene.ids["cohort"])
    assert cohort.teacher == users["class_teacher"]
    assert list(cohort.learners.all()) == [users["learner"]]
    assert Attempt.objects.get(pk=scene.ids["attempt"]).learner == users["learner"]
    assert PathPin.objects.get(pk=scene.ids["pin"]).learner == users["learner"]
    assert Enrollment.objects.filter(learner=users["other_learner"]).exists()
    taught_by_ted = Cohort.objects.filter(teacher=users["other_teacher"])
    assert not taught_by_ted.filter(learners=users["learner"]).exists()
    assert users["admin"].is_superuser
    assert not any(users[role].is_staff for role in ROLES[1:-1])
