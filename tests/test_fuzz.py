"""Fuzz tests with generated bad input (Hypothesis): the exercise form, the course import (the
service and the admin's upload view), the teacher's pin forms and the dashboards' parameters.

The invariants: no response is a server error; a submission stores at most one attempt, and none
unless the answer was accepted; a refused import leaves the database as it was, and an accepted
one is a course that exports to a valid document and whose pages have URLs. Each example runs in
a savepoint that is rolled back, so examples never see each other's writes. Answer checking on
its own is fuzzed in ``tests/engine/test_answers.py``.
"""
from __future__ import annotations

import copy
import json
import math
import operator
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from courses.actions.attempts import record_attempt
from courses.actions.course_import import (
    CourseDocumentError,
    import_course,
    validate_course_document,
)
from courses.actions.pins import add_pin
from courses.models import Attempt, Choice, Cohort, Course, Exercise, PathPin, Prerequisite, Skill
from courses.queries.course_export import export_course
from courses.views.learner import TICKET_SALT
from tests.factories import small_course_document


def fuzz(examples: int) -> settings:
    # Fixtures are made once per test, not per example: harmless, as every example is rolled back.
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


EXERCISE_KEYS = ["halves-choice", "halves-multi", "quarters-numeric", "quarters-text",
                 "adding-numeric", "adding-old"]

PLAIN_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
NASTY_TEXT = st.one_of(
    PLAIN_TEXT,
    st.sampled_from(["", " ", "\x00", "a\x00b", "0.75", "3/4", "1 1/2", "one quarter", "1e400",
                     "NaN", "-0", "٣", "\u202e", "halves\n", "<script>", "'; --"]),
    st.builds(operator.mul, st.sampled_from(["x", "\x00", "9", "é", "\U0001f600"]),
              st.integers(64, 70_000)),
)
NUMBER_TEXT = st.integers(-(2**80), 2**80).map(str)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ticket(exercise: Exercise) -> str:
    return signing.dumps(
        {"exercise": exercise.pk, "started": timezone.now().isoformat()}, salt=TICKET_SALT
    )


@pytest.fixture
def answered(course: Course, cohort: Cohort, enrolled_alice: Any) -> Attempt:
    """alice in tess's class, with one attempt (so the course's exercises have history)."""
    return record_attempt(
        learner=enrolled_alice, exercise=Exercise.objects.get(course=course, key="quarters-text"),
        given="one quarter", client_id=uuid.uuid4(),
    ).attempt


def _corrupted(
    data: st.DataObject, valid: dict[str, Any], garbage: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """A valid form with some of its fields dropped or replaced by garbage."""
    form = dict(valid)
    for name in data.draw(st.sets(st.sampled_from(sorted(garbage))), label="corrupted fields"):
        if data.draw(st.booleans(), label=f"drop {name}"):
            form.pop(name, None)
        else:
            form[name] = data.draw(garbage[name], label=name)
    return form


def _send_form(data: st.DataObject, client: Client, url: str, form: dict[str, Any]) -> Any:
    """The form as multipart, as URL-encoded, or a body of raw bytes in its place."""
    encoding = data.draw(st.sampled_from(["multipart", "urlencoded", "raw"]), label="encoding")
    if encoding == "multipart":
        return client.post(url, form)
    body = (urlencode(form, doseq=True).encode() if encoding == "urlencoded"
            else data.draw(st.binary(max_size=300), label="body"))
    return client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")


def _an_answer(data: st.DataObject, exercise: Exercise) -> dict[str, Any]:
    """A well-formed answer, right or wrong, as the exercise page would send it."""
    if exercise.kind == Exercise.Kind.CHOICE:
        own = [str(pk) for pk in exercise.choices.values_list("pk", flat=True)]
        return {"choice": data.draw(st.lists(st.sampled_from(own), min_size=1, unique=True))}
    return {"answer": data.draw(st.sampled_from(["0.75", "3/4", "1", "one quarter", "half"]))}


@fuzz(300)
@given(data=st.data())
def test_exercise_form_never_fails_and_stores_at_most_one_attempt(
    data: st.DataObject, course: Course, answered: Attempt
) -> None:
    alice = answered.learner
    key = data.draw(st.sampled_from([*EXERCISE_KEYS, ""]), label="key") or data.draw(
        NASTY_TEXT.filter(lambda text: text and "/" not in text), label="garbage key")
    exercise = (Exercise.objects.get(course=course, key=key) if key in EXERCISE_KEYS
                else answered.exercise)
    other = Exercise.objects.get(course=course, key="quarters-numeric")
    valid = {"ticket": _ticket(exercise), "client_id": str(data.draw(st.uuids(), label="id")),
             **_an_answer(data, exercise)}
    choice_ids = [str(pk) for pk in Choice.objects.values_list("pk", flat=True)]
    form = _corrupted(data, valid, {
        "answer": NASTY_TEXT,
        "choice": st.lists(st.sampled_from(choice_ids) | NUMBER_TEXT | NASTY_TEXT, max_size=4),
        "ticket": st.sampled_from([_ticket(other), valid["ticket"] + "x"]) | NASTY_TEXT,
        "client_id": st.just(str(answered.client_id)) | NASTY_TEXT,
        "hint_used": NASTY_TEXT,
    })
    url = f"/courses/{course.slug}/exercises/{quote(key, safe='')}/"
    before = Attempt.objects.count()
    with rolled_back():
        response = _send_form(data, _client(alice), url, form)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 404, 409)
        stored = Attempt.objects.count() - before
        assert stored in (0, 1)
        if stored:
            assert response.status_code == 302
            attempt = Attempt.objects.latest("id")
            assert "\x00" not in json.dumps(attempt.answer)
            assert attempt.learner == alice


# Values a mutated course document may hold, as json.loads could give them.
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), NASTY_TEXT,
    # No subnormals: training elsewhere in the run sets the CPU to flush them to zero.
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False),
    st.sampled_from([10**400, -(10**400), 2**63, 1e308, 0, -1, 2.0, 6, "\ud800"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
NASTY_STRINGS = st.sampled_from(
    ["", " ", "\x00", "mini\x00", "\ud800", "halves\n", "Halves", "HALVES", "Ünïcödé ✓", "x" * 81,
     "x" * 121, "x" * 201, "x" * 501, "x" * 10_001, "1/2", "no-such-skill", "quarters"]
)
NASTY_NUMBERS = st.sampled_from(
    [10**400, -(10**400), 2**63, 1e308, math.nan, math.inf, -math.inf, 0, -1, 2.0, 2.5, True]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _paths(item, (*prefix, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _at(document: dict[str, Any], path: tuple[Any, ...]) -> Any:
    value: Any = document
    for step in path:
        value = value[step]
    return value


def _set_at(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    _at(document, path[:-1])[path[-1]] = value


def _paths_to(kind: Any, document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [path for path in _paths(document) if isinstance(_at(document, path), kind)]


def _replace(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    path = draw(st.sampled_from(list(_paths(document))[1:]))
    _set_at(document, path, draw(st.one_of(JSON_VALUES, NASTY_STRINGS, NASTY_NUMBERS)))


def _nasty_string(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    _set_at(document, draw(st.sampled_from(_paths_to(str, document))), draw(NASTY_STRINGS))


def _nasty_number(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    numbers = _paths_to(int | float, document)
    if numbers:
        _set_at(document, draw(st.sampled_from(numbers)), draw(NASTY_NUMBERS))


def _delete(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    path = draw(st.sampled_from(list(_paths(document))[1:]))
    del _at(document, path[:-1])[path[-1]]


def _add_key(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    path = draw(st.sampled_from(_paths_to(dict, document)))
    _set_at(document, (*path, draw(st.text(max_size=12))), draw(JSON_VALUES))


def _duplicate(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    lists = _paths_to(list, document)
    items = _at(document, draw(st.sampled_from(lists))) if lists else []
    if items:
        items.append(copy.deepcopy(draw(st.sampled_from(items))))


def _link(draw: Callable[..., Any], document: dict[str, Any]) -> None:
    """A prerequisite or a skill tag, naming a known skill (maybe closing a cycle) or none."""
    holders = [path for path in _paths_to(list, document)
               if len(path) == 3 and path[-1] in ("prerequisites", "skills")]
    if holders:
        target = _at(document, draw(st.sampled_from(holders)))
        target.append(draw(st.sampled_from(["halves", "quarters", "adding", "no-such-skill"])))


MUTATIONS = [_replace, _nasty_string, _nasty_number, _delete, _add_key, _duplicate, _link]


@st.composite
def mutated_documents(draw: Callable[..., Any]) -> dict[str, Any]:
    """The small course (as a new course, or over the existing one) with 1 to 3 mutations."""
    document = small_course_document(slug=draw(st.sampled_from(["mini", "fuzzed"])))
    for _ in range(draw(st.integers(1, 3))):
        draw(st.sampled_from(MUTATIONS))(draw, document)
    return document


def _course_rows() -> dict[str, Any]:
    counts = {model.__name__: model.objects.count()
              for model in (Course, Skill, Exercise, Choice, Prerequisite)}
    return {"counts": counts, "courses": [export_course(c) for c in Course.objects.order_by("pk")]}


def _assert_usable(course: Course) -> None:
    """An imported course exports to a valid document, and its pages have URLs."""
    assert validate_course_document(export_course(course)) == []
    reverse("course_detail", args=[course.slug])
    for key in course.exercises.values_list("key", flat=True):
        reverse("exercise", args=[course.slug, key])


def _changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = small_course_document(slug="fuzzed")
    _set_at(document, path, value)
    return document


# Documents that once failed (a 500, or a row PostgreSQL refuses), kept as fixed examples.
@example(document=_changed(("exercises", 2, "answer"), 10**400))
@example(document=_changed(("exercises", 2, "tolerance"), -(10**400)))
@example(document=_changed(("exercises", 1, "prompt"), "a\x00b"))
@example(document=_changed(("skills", 0, "name"), "\ud800"))
@example(document=_changed(("exercises", 3, "accepted"), ["\x00"]))
@example(document=_changed(("course", "title"), "x" * 201))
@example(document=_changed(("course", "title"), " " * 10 + "x" * 200))
@example(document=_changed(("skills", 0, "area"), "x" * 121))
@example(document=_changed(("exercises", 0, "choices", 0, "text"), "x" * 501))
@example(document=_changed(("course", "slug"), "fuzzed\n"))
@fuzz(400)
@given(document=mutated_documents())
def test_import_course_imports_or_refuses_without_a_trace(
    document: dict[str, Any], answered: Attempt
) -> None:
    before = _course_rows()
    with rolled_back():
        try:
            summary = import_course(document)
        except CourseDocumentError as error:
            event("refused")
            assert error.problems
            assert _course_rows() == before
        else:
            event("imported")
            _assert_usable(summary.course)


def _truncated(raw: bytes, at: int) -> bytes:
    return raw[: at % max(len(raw), 1)]


def _as_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, allow_nan=True).encode()


COURSE_FILES = st.one_of(
    mutated_documents().map(_as_json),
    st.builds(_truncated, mutated_documents().map(_as_json), st.integers(0, 10_000)),
    st.binary(max_size=200),
    st.integers(1, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 100_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(4_000, 10_000).map(lambda digits: b'{"version": ' + b"9" * digits + b"}"),
    st.just(b"\xef\xbb\xbf" + _as_json(small_course_document(slug="bom"))),
    st.just(json.dumps(small_course_document(slug="utf16")).encode("utf-16")),
)


@example(content=b"[" * 100_000 + b"]" * 100_000)
@example(content=b'{"version": ' + b"9" * 5_000 + b"}")
@fuzz(200)
@given(content=COURSE_FILES)
def test_admin_import_answers_400_or_imports(content: bytes, root: Any, answered: Attempt) -> None:
    before = _course_rows()
    upload = SimpleUploadedFile("course.json", content, content_type="application/json")
    with rolled_back():
        response = _client(root).post(reverse("admin:courses_course_import"), {"file": upload})
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert _course_rows() == before
        else:
            _assert_usable(Course.objects.latest("updated_at"))


@pytest.fixture
def pinned(answered: Attempt, cohort: Cohort, other_cohort: Cohort, tess: Any, ted: Any,
           bob: Any) -> dict[str, PathPin]:
    return {
        "alice": add_pin(tess, cohort, "halves-multi", answered.learner),
        "class": add_pin(tess, cohort, "quarters-numeric"),
        "bob": add_pin(ted, other_cohort, "halves-multi", bob),
        "other class": add_pin(ted, other_cohort, "quarters-text"),
    }


def _cohort_id(data: st.DataObject, cohort: Cohort, other: Cohort) -> int:
    return data.draw(st.sampled_from([cohort.pk, other.pk]) | st.integers(0, 2**70),
                     label="cohort id")


@fuzz(200)
@given(data=st.data())
def test_pin_form_never_fails_and_pins_only_in_the_teachers_class(
    data: st.DataObject, pinned: dict[str, PathPin], cohort: Cohort, other_cohort: Cohort,
    tess: Any, bob: Any,
) -> None:
    alice = pinned["alice"].learner
    valid = {"exercise": data.draw(st.sampled_from(EXERCISE_KEYS), label="exercise"),
             "learner": data.draw(st.sampled_from([str(alice.pk), ""]), label="learner")}
    form = _corrupted(data, valid, {
        "exercise": NASTY_TEXT,
        "learner": st.sampled_from([str(bob.pk), str(tess.pk)]) | NUMBER_TEXT | NASTY_TEXT,
    })
    cohort_id = _cohort_id(data, cohort, other_cohort)
    before = set(PathPin.objects.values_list("pk", flat=True))
    with rolled_back():
        response = _send_form(data, _client(tess), f"/teach/classes/{cohort_id}/pins/", form)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 403, 404)
        new = PathPin.objects.exclude(pk__in=before)
        assert new.count() <= 1
        for pin in new:
            assert (pin.cohort, pin.learner) in ((cohort, None), (None, alice))
            assert pin.exercise.is_active and pin.exercise.course == cohort.course


@fuzz(150)
@given(data=st.data())
def test_pin_removal_never_fails_and_removes_only_the_teachers_pins(
    data: st.DataObject, pinned: dict[str, PathPin], cohort: Cohort, other_cohort: Cohort,
    tess: Any,
) -> None:
    pin_id = data.draw(st.sampled_from([pin.pk for pin in pinned.values()])
                       | st.integers(0, 2**70), label="pin id")
    cohort_id = _cohort_id(data, cohort, other_cohort)
    url = f"/teach/classes/{cohort_id}/pins/{pin_id}/delete/"
    with rolled_back():
        response = _send_form(data, _client(tess), url, {})
        event(f"status {response.status_code}")
        assert response.status_code in (302, 403, 404)
        kept = set(PathPin.objects.values_list("pk", flat=True))
        assert {pinned["bob"].pk, pinned["other class"].pk} <= kept
        assert len(kept) >= len(pinned) - 1


@fuzz(30)
@given(data=st.data())
def test_dashboard_parameters_never_fail(
    data: st.DataObject, answered: Attempt, cohort: Cohort, tess: Any
) -> None:
    alice = answered.learner
    skills = st.lists(st.sampled_from(["halves", "quarters", "adding"]) | NASTY_TEXT, max_size=4)
    own = f"/courses/{cohort.course.slug}/dashboard/"
    taught = f"/teach/classes/{cohort.pk}/learners/{alice.pk}/dashboard/"
    for user, url, parameters in (
        (alice, own, {"skill": data.draw(skills, label="skills")}),
        (tess, taught, {"skill": data.draw(skills, label="skills")}),
        (tess, f"/teach/classes/{cohort.pk}/dashboard/", {"sort": data.draw(NASTY_TEXT)}),
    ):
        response = _client(user).get(f"{url}?{urlencode(parameters, doseq=True)}")
        assert response.status_code == 200, url


def test_exercise_key_with_nul_is_404(course: Course, answered: Attempt) -> None:
    client = _client(answered.learner)
    url = f"/courses/{course.slug}/exercises/%00/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"answer": "1"}).status_code == 404


def test_pin_of_an_exercise_key_with_nul_is_refused(cohort: Cohort, tess: Any) -> None:
    response = _client(tess).post(f"/teach/classes/{cohort.pk}/pins/", {"exercise": "a\x00"})
    assert response.status_code == 302
    assert not PathPin.objects.exists()
