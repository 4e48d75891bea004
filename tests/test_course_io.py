"""Course JSON: round trip, located validation errors, atomic import, DAG edits."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from courses.actions.attempts import record_attempt
from courses.actions.course_import import (
    CourseDocumentError,
    import_course,
    parse_course_json,
    validate_course_document,
)
from courses.models import Attempt, Choice, Course, Exercise, Skill
from courses.queries.course_export import export_course
from courses.queries.graphs import check_prerequisites_of
from tests.factories import small_course_document

DEMO = Path(__file__).resolve().parents[1] / "courses" / "demo" / "fractions_course.json"


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Fills the optional fields with their defaults so documents compare by content."""
    result = json.loads(json.dumps(document))
    result["skills"] = sorted(
        ({"description": "", "area": "", "prerequisites": [], **s} for s in result["skills"]),
        key=lambda s: s["key"],
    )
    for skill in result["skills"]:
        skill["prerequisites"] = sorted(skill["prerequisites"])
    exercises = []
    for exercise in result["exercises"]:
        exercise = {"status": "active", "hint": "", "solution": "", **exercise}
        exercise["skills"] = sorted(exercise["skills"])
        exercises.append(exercise)
    result["exercises"] = sorted(exercises, key=lambda e: e["key"])
    return result


def test_round_trip_keeps_everything(db: Any) -> None:
    document = small_course_document()
    course = import_course(document).course
    exported = export_course(course)
    assert _normalised(exported) == _normalised(document)
    Course.objects.all().delete()
    again = import_course(json.loads(json.dumps(exported))).course
    assert _normalised(export_course(again)) == _normalised(document)


def test_demo_course_is_valid_and_rich_enough(db: Any) -> None:
    document = parse_course_json(DEMO.read_bytes())
    assert validate_course_document(document) == []
    summary = import_course(document)
    course = summary.course
    assert course.skills.count() >= 12
    active = course.exercises.filter(status=Exercise.Status.ACTIVE)
    assert active.count() >= 80
    assert set(active.values_list("kind", flat=True)) == {"choice", "numeric", "text"}
    from courses.queries.graphs import skill_graph_for

    assert max(skill_graph_for(course).levels().values()) >= 3  # 4 levels: 0..3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(format="other"), "format: must be 'learnpath-course'"),
        (lambda d: d["skills"][1].update(prerequisites=["nope"]), "nope"),
        (lambda d: d["skills"][0].update(prerequisites=["adding"]), "cycle"),
        (lambda d: d["skills"][0].update(prerequisites=["halves"]), "self-loop: \"Halves\""),
        (lambda d: d["skills"][1].update(name="Halves"), "Halves"),
        (lambda d: d["exercises"][0]["choices"][0].update(correct=False),
         "exercises[0] (halves-choice).choices: at least one option must be correct"),
        (lambda d: d["exercises"][0].update(
            choices=[{"text": f"option {i}", "correct": i == 0} for i in range(40000)]),
         "exercises[0] (halves-choice).choices: 40000 options; at most 50 are allowed"),
        (lambda d: d["exercises"][2].update(answer="0.75"),
         "exercises[2] (quarters-numeric).answer"),
        (lambda d: d["exercises"][3].update(accepted=[]), "exercises[3] (quarters-text).accepted"),
        (lambda d: d["exercises"][3].update(kind="essay"), "exercises[3] (quarters-text).kind"),
        (lambda d: d["exercises"][4].update(skills=["ghost"]), "unknown skill(s) ['ghost']"),
        (lambda d: d["exercises"][4].update(key="halves-choice"), "is used twice"),
        (lambda d: d["exercises"][4].update(difficulty=9), "difficulty: must be an integer"),
        (lambda d: d["exercises"][4].update(key="Bad Key"), "must use lowercase"),
        (lambda d: d.update(skills="many"), "skills: must be a list"),
    ],
)
def test_invalid_documents_say_where(db: Any, change: Any, expected: str) -> None:
    document = small_course_document()
    change(document)
    with pytest.raises(CourseDocumentError) as raised:
        import_course(document)
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems
    assert not Course.objects.exists()
    assert not Skill.objects.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "must be a JSON object"),
     (b"\xff\xfe", "not")],
)
def test_unparseable_files_are_refused(raw: bytes, expected: str) -> None:
    with pytest.raises(CourseDocumentError, match=expected):
        parse_course_json(raw)


def test_failed_reimport_changes_nothing(course: Course) -> None:
    before = export_course(course)
    document = small_course_document(title="Renamed")
    document["exercises"][0]["choices"] = [{"text": "only", "correct": False}, {"text": "x"}]
    with pytest.raises(CourseDocumentError):
        import_course(document)
    assert export_course(Course.objects.get(slug="mini")) == before


def test_reimport_updates_in_place_and_retires_attempted_exercises(
    course: Course, enrolled_alice: Any
) -> None:
    numeric = Exercise.objects.get(key="quarters-numeric")
    choice = Exercise.objects.get(key="halves-choice")
    option_ids = list(choice.choices.values_list("pk", flat=True))
    record_attempt(learner=enrolled_alice, exercise=numeric, given="0.75",
                   client_id=uuid.uuid4())
    document = small_course_document(title="Mini fractions, 2nd edition")
    document["exercises"] = [e for e in document["exercises"]
                             if e["key"] not in {"quarters-numeric", "quarters-text"}]
    summary = import_course(document)
    assert not summary.created
    assert summary.retired == ["quarters-numeric"]
    assert Course.objects.get().title == "Mini fractions, 2nd edition"
    numeric.refresh_from_db()
    assert numeric.status == Exercise.Status.RETIRED
    assert Attempt.objects.filter(exercise=numeric).count() == 1
    assert not Exercise.objects.filter(key="quarters-text").exists()
    assert list(choice.choices.values_list("pk", flat=True)) == option_ids


def test_unchanged_choices_keep_their_ids_and_changed_ones_are_replaced(course: Course) -> None:
    document = small_course_document()
    document["exercises"][0]["choices"][1]["text"] = "1/4"
    import_course(document)
    choices = Choice.objects.filter(exercise__key="halves-choice")
    texts = list(choices.values_list("text", flat=True))
    assert texts == ["1/2", "1/4", "2/3"]


def test_prerequisite_that_closes_a_cycle_is_refused_with_the_cycle(course: Course) -> None:
    halves, adding = Skill.objects.get(key="halves"), Skill.objects.get(key="adding")
    problems = check_prerequisites_of(halves, [*halves.prerequisites.all(), adding])
    assert len(problems) == 1 and "cycle" in problems[0]
    for name in ("Halves", "Quarters", "Adding"):
        assert name in problems[0]


def test_a_prerequisite_that_keeps_the_graph_acyclic_is_accepted(course: Course) -> None:
    halves, adding = Skill.objects.get(key="halves"), Skill.objects.get(key="adding")
    assert check_prerequisites_of(adding, [*adding.prerequisites.all(), halves]) == []
