"""Scheduled review on the site: an answer feeds the skill's card, a due review leads the path
with its reason, the dashboard lists what is due, and a cached path is planned again once a
review falls due."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from courses.actions.charts import rebuild_course_charts
from courses.dashboards.learner import learner_dashboard
from courses.models import Course, ReviewCard, SkillState
from courses.recommend import cache
from courses.recommend.paths import LearningPath, recommend_path
from learnpath import paths
from tests.factories import answer


def _master_halves(learner: Any, course: Course, days_ago: float) -> None:
    start = timezone.now() - timedelta(days=days_ago)
    for n in range(30):
        answer(learner, course, "halves-choice", True,
               at=start + timedelta(minutes=n))
        if SkillState.objects.get(learner=learner, skill__key="halves").level == "mastered":
            return
    raise AssertionError("halves was never mastered")


def _card(learner: Any) -> ReviewCard:
    return ReviewCard.objects.get(learner=learner, skill__key="halves")


def test_an_answer_feeds_the_skills_card_and_a_rebuild_gives_the_same(
    course: Course, enrolled_alice: Any
) -> None:
    at = timezone.now() - timedelta(days=3)
    answer(enrolled_alice, course, "halves-choice", True, at=at)
    card = _card(enrolled_alice)
    assert card.card["reviews"] == 1 and card.due == at + timedelta(days=1)  # at 0.95
    answer(enrolled_alice, course, "halves-multi", False, at=at + timedelta(days=2))
    card = _card(enrolled_alice)
    assert card.card["reviews"] == 2 and card.due == at + timedelta(days=3)  # a lapse: 1 day
    stored = {row.skill_id: (row.card, row.due) for row in ReviewCard.objects.all()}
    rebuild_course_charts(course)
    assert {row.skill_id: (row.card, row.due) for row in ReviewCard.objects.all()} == stored


def test_a_due_review_leads_the_path_with_its_reason(course: Course, enrolled_alice: Any) -> None:
    _master_halves(enrolled_alice, course, days_ago=10)
    due = _card(enrolled_alice).due
    assert due < timezone.now()
    first = recommend_path(enrolled_alice, course).items[0]
    assert first.kind == paths.REVIEW and first.skill_key == "halves"
    assert "due for review since" in str(first.reason) and str(due.year) in str(first.reason)


def test_a_mastered_skill_not_yet_due_is_not_reviewed_and_bounds_the_path(
    course: Course, enrolled_alice: Any
) -> None:
    _master_halves(enrolled_alice, course, days_ago=0)
    path = recommend_path(enrolled_alice, course)
    assert all(item.kind != paths.REVIEW for item in path.items)
    assert path.valid_until == _card(enrolled_alice).due


def test_the_dashboard_lists_reviews_due_today_and_this_week(
    course: Course, enrolled_alice: Any
) -> None:
    _master_halves(enrolled_alice, course, days_ago=10)
    client = Client()
    client.force_login(enrolled_alice)
    page = client.get(f"/courses/{course.slug}/dashboard/").content.decode()
    assert "Review schedule" in page
    assert '<ul class="reviews-today"><li><b>Halves</b>' in page
    today = timezone.localdate()
    ReviewCard.objects.update(due=timezone.now() + timedelta(days=3))
    outlook = learner_dashboard(enrolled_alice, course, today=today).reviews
    assert outlook.today == [] and [item.skill_key for item in outlook.this_week] == ["halves"]
    ReviewCard.objects.update(due=timezone.now() + timedelta(days=9))
    outlook = learner_dashboard(enrolled_alice, course, today=today).reviews
    assert outlook.today == [] and outlook.this_week == []


def test_a_cached_path_is_planned_again_when_a_review_falls_due(
    course: Course, enrolled_alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _master_halves(enrolled_alice, course, days_ago=1)
    now = timezone.now()
    ReviewCard.objects.update(due=now + timedelta(minutes=30))
    planned: list[LearningPath] = []

    def counted(learner: Any, course: Course, length: int | None = None) -> LearningPath:
        planned.append(recommend_path(learner, course, length))
        return planned[-1]

    monkeypatch.setattr(cache, "recommend_path", counted)
    first = cache.learning_path(enrolled_alice, course)
    assert all(item.kind != paths.REVIEW for item in first.items)
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=20))
    assert cache.learning_path(enrolled_alice, course) == first and len(planned) == 1
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=31))
    again = cache.learning_path(enrolled_alice, course)
    assert len(planned) == 2  # before the hour after which any stored path expires
    assert again.items[0].kind == paths.REVIEW and again.items[0].skill_key == "halves"
    assert "due for review since" in str(again.items[0].reason)
