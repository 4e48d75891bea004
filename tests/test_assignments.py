"""Assignments: setting them (checks, one transaction), progress and status, the learner's
course page, the path favouring them as the date nears (and its stored copy following every
change and the urgency bands), the teacher's pages and the class dashboard."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from courses.actions.assignments import (
    AssignmentSpec,
    create_assignment,
    delete_assignment,
    edit_assignment,
    extend_assignment,
    read_due,
)
from courses.errors import InvalidInput
from courses.models import Assignment, Cohort, Course
from courses.queries.assignments import (
    BEHIND,
    DONE,
    ON_TRACK,
    OVERDUE,
    assignment_progress,
    learner_assignments,
    status_of,
)
from courses.recommend import cache
from tests.factories import answer

pytestmark = pytest.mark.django_db

SET = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _spec(**changes: Any) -> AssignmentSpec:
    fields: dict[str, Any] = {"title": "Quarters", "kind": "exercises",
                              "due_at": timezone.now() + timedelta(days=10),
                              "exercise_keys": ("quarters-numeric", "quarters-text")}
    return AssignmentSpec(**{**fields, **changes})


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the rule --------------------------------------------------------------------------

def test_the_status_rule() -> None:
    due = SET + timedelta(days=10)
    assert status_of(1.0, SET, due, due + timedelta(days=3)) == DONE
    assert status_of(0.9, SET, due, due) == OVERDUE
    assert status_of(0.0, SET, due, SET + timedelta(days=1)) == ON_TRACK  # within the margin
    assert status_of(0.2, SET, due, SET + timedelta(days=5)) == BEHIND  # 20% done, half gone
    assert status_of(0.4, SET, due, SET + timedelta(days=5)) == ON_TRACK


# --- actions and progress ----------------------------------------------------------------

def test_bad_input_gets_every_reason_at_once_and_writes_nothing(cohort: Cohort, tess: Any,
                                                                 bob: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        create_assignment(tess, cohort, _spec(title=" ", exercise_keys=("nope", "x\x00"),
                                              learner_ids=(bob.pk,)))
    message = raised.value.message
    assert "title" in message and "exercise" in message and "learner" in message
    with pytest.raises(InvalidInput, match="target level"):
        create_assignment(tess, cohort, _spec(kind="skills", skill_keys=("halves",),
                                              target_level="guru"))
    with pytest.raises(InvalidInput, match="future"):
        create_assignment(tess, cohort, _spec(due_at=timezone.now() - timedelta(hours=1)))
    with pytest.raises(InvalidInput, match="date"):
        read_due("next Friday")
    assert not Assignment.objects.exists()


def test_exercise_progress_counts_right_answers_and_an_extension_moves_the_due_date(
    cohort: Cohort, tess: Any, alice: Any
) -> None:
    assignment = create_assignment(tess, cohort, _spec())
    answer(alice, cohort.course, "quarters-numeric", True)
    answer(alice, cohort.course, "quarters-text", False)
    [row] = assignment_progress(assignment)
    assert (row.met, row.total, row.open_exercises) == (1, 2, ("quarters-text",))
    later = assignment.due_at + timedelta(days=3)
    extend_assignment(assignment, alice, later)
    [row] = assignment_progress(assignment, now=assignment.due_at + timedelta(days=1))
    assert row.extended and row.due_at == later and row.status != OVERDUE
    with pytest.raises(InvalidInput, match="later"):
        extend_assignment(assignment, alice, assignment.due_at - timedelta(days=1))
    extend_assignment(assignment, alice, None)
    [row] = assignment_progress(assignment, now=assignment.due_at + timedelta(days=1))
    assert row.status == OVERDUE and not row.extended
    answer(alice, cohort.course, "quarters-text", True)
    assert assignment_progress(assignment)[0].status == DONE


def test_skill_progress_is_the_share_at_the_target_level_for_chosen_learners_only(
    cohort: Cohort, tess: Any, alice: Any, bob: Any
) -> None:
    from courses.actions.enrolment import add_to_cohort

    add_to_cohort(cohort, bob)
    assignment = create_assignment(tess, cohort, _spec(
        kind="skills", skill_keys=("halves", "quarters"), target_level="familiar",
        learner_ids=(alice.pk,)))
    for _ in range(4):
        answer(alice, cohort.course, "halves-choice", True)
    [row] = assignment_progress(assignment)  # bob is not chosen
    assert row.username == "alice" and (row.met, row.total) == (1, 2)
    assert row.open_skills == ("quarters",)
    with pytest.raises(InvalidInput, match="not for this learner"):
        extend_assignment(assignment, bob, assignment.due_at + timedelta(days=1))
    edit_assignment(assignment, _spec(kind="skills", skill_keys=("halves",),
                                      target_level="familiar"))
    assert {row.username for row in assignment_progress(assignment)} == {"alice", "bob"}
    assert [row.status for row in assignment_progress(assignment)] == [DONE, ON_TRACK]


# --- the learner's side: the course page and the path -------------------------------------

def test_the_course_page_lists_the_learners_assignments_with_progress_and_due_date(
    cohort: Cohort, tess: Any, alice: Any, bob: Any
) -> None:
    assignment = create_assignment(tess, cohort, _spec(title="Quarter practice"))
    extend_assignment(assignment, alice, assignment.due_at + timedelta(days=2))
    page = _client(alice).get(f"/courses/{cohort.course.slug}/").content.decode()
    assert "Quarter practice" in page and "extended for you" in page
    assert "0 of 2 exercises answered right" in page
    from courses.actions.enrolment import enrol

    enrol(bob, cohort.course)  # not in the class: not his
    assert "Quarter practice" not in _client(bob).get(
        f"/courses/{cohort.course.slug}/").content.decode()
    assert [item.title for item in learner_assignments(alice, cohort.course)] == [
        "Quarter practice"]


def test_work_due_today_leads_the_path_and_every_change_replans_it(
    cohort: Cohort, tess: Any, alice: Any
) -> None:
    course = cohort.course
    before = cache.learning_path(alice, course)
    assert before.items and before.items[0].exercise_key == "halves-choice"
    assignment = create_assignment(tess, cohort, _spec(
        title="Adding", exercise_keys=("halves-multi",),
        due_at=timezone.now() + timedelta(hours=5)))
    path = cache.learning_path(alice, course)  # the stamp changed: planned again
    assert path.items[0].exercise_key == "halves-multi"
    assert path.items[0].reason.startswith("Assigned: Adding, due ")
    assert path.valid_until == assignment.due_at  # it falls overdue then: planned again
    stamp = cache.current_stamp(alice.pk, course.pk)
    extend_assignment(assignment, alice, timezone.now() + timedelta(days=20))
    assert cache.current_stamp(alice.pk, course.pk) != stamp
    path = cache.learning_path(alice, course)
    assert path.items[0].exercise_key == "halves-choice"  # weeks ahead: only a nudge
    assert path.valid_until == alice.assignment_extensions.get().due_at - timedelta(days=7)
    delete_assignment(assignment)
    assert cache.learning_path(alice, course).valid_until is None


def test_a_stored_path_is_planned_again_once_its_band_changes(
    cohort: Cohort, tess: Any, alice: Any
) -> None:
    # Soon to be under a day left (within the stored path's hour).
    create_assignment(tess, cohort, _spec(exercise_keys=("quarters-text",),
                                          due_at=timezone.now() + timedelta(days=1, minutes=30)))
    path = cache.learning_path(alice, cohort.course)
    lookup = cache._lookup(alice.pk, cohort.course.pk)
    assert lookup is not None and path.valid_until is not None
    assert lookup.current_path(path.valid_until - timedelta(seconds=1)) == path
    assert lookup.current_path(path.valid_until) is None


# --- the teacher's pages ------------------------------------------------------------------

def test_a_teacher_sets_edits_extends_and_deletes_an_assignment_from_the_class(
    cohort: Cohort, tess: Any, alice: Any
) -> None:
    client = _client(tess)
    base = f"/teach/classes/{cohort.pk}/assignments/"
    assert "Set an assignment" in client.get(base).content.decode()
    due = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    made = client.post(f"{base}new/", {"title": "Halves", "kind": "skills", "skills": ["halves"],
                                       "target_level": "mastered", "due_at": due})
    assignment = Assignment.objects.get()
    assert made.status_code == 302 and made["Location"] == f"{base}{assignment.pk}/"
    assert assignment.target_level == "mastered" and not assignment.lms_grade
    page = client.get(f"{base}{assignment.pk}/").content.decode()
    assert "alice" in page and "On track" in page
    later = (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"{base}{assignment.pk}/extend/", {"learner": alice.pk, "due_at": later})
    assert alice.assignment_extensions.count() == 1
    client.post(f"{base}{assignment.pk}/edit/", {"title": "Halves!", "kind": "exercises",
                                                 "exercises": ["halves-choice"], "due_at": due,
                                                 "lms_grade": "on"})
    assignment.refresh_from_db()
    assert (assignment.title, assignment.kind, assignment.lms_grade) == (
        "Halves!", "exercises", True)
    client.post(f"{base}{assignment.pk}/delete/")
    assert not Assignment.objects.exists()


def test_bad_forms_are_told_not_crashed_and_other_classes_are_closed(
    cohort: Cohort, other_cohort: Cohort, tess: Any, ted: Any
) -> None:
    client = _client(tess)
    base = f"/teach/classes/{cohort.pk}/assignments/"
    for form in ({"title": "x", "kind": "skills", "due_at": "soon"},
                 {"title": "x", "kind": "exercises", "due_at": "2030-01-01T10:00",
                  "exercises": ["nope"], "learners": ["1x"]},
                 {"title": "x\x00", "kind": "wat", "due_at": "99999-01-01T10:00"}):
        response = client.post(f"{base}new/", form, follow=True)
        assert response.status_code == 200 and response.context["messages"]
    assert not Assignment.objects.exists()
    theirs = create_assignment(ted, other_cohort, _spec())
    assert client.get(f"/teach/classes/{other_cohort.pk}/assignments/{theirs.pk}/"
                      ).status_code == 403
    assert client.get(f"{base}{theirs.pk}/").status_code == 404
    assert client.post(f"{base}{theirs.pk}/delete/").status_code == 404
    assert client.get(f"{base}new/").status_code == 405


def test_the_class_dashboard_shows_progress_against_the_due_date_and_who_is_behind(
    cohort: Cohort, tess: Any, alice: Any
) -> None:
    assignment = create_assignment(tess, cohort, _spec(title="Quarters quiz"))
    Assignment.objects.filter(pk=assignment.pk).update(
        created_at=timezone.now() - timedelta(days=30))  # most of the time gone, nothing done
    response = _client(tess).get(f"/teach/classes/{cohort.pk}/dashboard/assignments/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Who is behind" in page and "alice" in page and "Behind" in page
    board = response.context["board"]
    [summary] = board.summaries
    assert summary.counts == {"done": 0, "on_track": 0, "behind": 1, "overdue": 0}
    assert summary.elapsed_percent == 75
    statuses = [trace["name"] for trace in board.figure["data"]]
    assert statuses == ["Done", "On track", "Behind", "Overdue"]
    assert 'id="figure-assignments"' in page and "Show as a table" in page


def test_the_class_pages_link_to_the_assignments(cohort: Cohort, tess: Any) -> None:
    client = _client(tess)
    assert f"/teach/classes/{cohort.pk}/assignments/" in client.get(
        f"/teach/classes/{cohort.pk}/").content.decode()
    assert f"/teach/classes/{cohort.pk}/dashboard/assignments/" in client.get(
        f"/teach/classes/{cohort.pk}/dashboard/").content.decode()


def test_an_empty_dashboard_says_so(cohort: Cohort, tess: Any, course: Course) -> None:
    page = _client(tess).get(f"/teach/classes/{cohort.pk}/dashboard/assignments/")
    assert "no assignments yet" in page.content.decode()
