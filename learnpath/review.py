"""Scheduled review: when a mastered skill comes back, as plain data.

The one home of the review rule: the planner (:mod:`learnpath.paths`), the skill chart's pages
and the dashboard ask :func:`due_reviews` what is due.

Cards
    Each learner has one FSRS card per skill (the ``fsrs`` package, the Free Spaced Repetition
    Scheduler), fed by every answer on an exercise tagged with the skill, in order
    (:func:`apply_answer`; :func:`replay_cards` folds it over a history). An answer is a review
    of the card with the rating :func:`rating_for` gives it:

    =========================  ========
    wrong                      Again
    right, with the hint       Hard
    right, without the hint    Good
    =========================  ========

    (never Easy: a right answer does not say it was easy). The scheduler's learning and
    relearning steps (minutes, made for flash cards seen many times in a sitting) are off, so
    every answer schedules whole days: at least one, as FSRS rounds, at most
    ``maximum_interval_days``. Fuzzing is off, so a card is a pure function of its answers.
    The card's *due* time is when FSRS predicts the chance of recall has fallen to
    ``desired_retention`` (:class:`ReviewParams`).

The rule
    With a schedule (skill -> its card's due time), a skill is due for review when it is
    *mastered* on the skill chart (:mod:`learnpath.mastery`) and its card's due time has
    passed; the most overdue come first, and the reason says "due for review since …". A skill
    not mastered is never scheduled (it is on the ready-to-learn frontier instead, once its
    prerequisites are in place), nor is one without a card (mastered only through right answers
    on the skills that build on it, which keep showing it). Without a schedule (``None``) the
    rule is the one before FSRS, :func:`learnpath.mastery.review_candidates` (falling skills,
    then mastered ones not practised for 30 days), kept for comparison
    (:mod:`learnpath.sim.review_eval`) and for callers that keep no cards.

Parameters
    FSRS's default weights (its 21 parameters, fitted by its authors on a large review corpus);
    ``desired_retention`` 0.95 (chosen among 0.8, 0.85, 0.9 and 0.95 on validation learners of
    the simulator by ``manage.py evaluate_reviews``: the highest won, see
    docs/learners.md (Scheduled review)), ``maximum_interval_days`` 365.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fsrs import Card, Rating, Scheduler, State

from learnpath import mastery
from learnpath.phrases import Phrase, gettext_noop

DESIRED_RETENTION = 0.95
MAXIMUM_INTERVAL_DAYS = 365
DUE_REASON = gettext_noop("due for review since %(day)s")


@dataclass(frozen=True)
class ReviewParams:
    desired_retention: float = DESIRED_RETENTION
    maximum_interval_days: int = MAXIMUM_INTERVAL_DAYS

    def __post_init__(self) -> None:
        if not 0.0 < self.desired_retention < 1.0:
            raise ValueError(f"desired_retention must lie in (0, 1): {self}")
        if self.maximum_interval_days < 1:
            raise ValueError(f"maximum_interval_days must be at least 1: {self}")

    def scheduler(self) -> Scheduler:
        return Scheduler(desired_retention=self.desired_retention, learning_steps=(),
                         relearning_steps=(), maximum_interval=self.maximum_interval_days,
                         enable_fuzzing=False)


DEFAULT_REVIEW_PARAMS = ReviewParams()


@dataclass(frozen=True)
class SkillCard:
    """A learner's FSRS card for one skill: memory stability (days) and difficulty (1-10), when
    it was last reviewed (answered) and when it falls due; ``reviews`` counts its answers."""

    stability: float
    difficulty: float
    due: datetime
    last_review: datetime
    reviews: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"stability": self.stability, "difficulty": self.difficulty,
                "due": self.due.isoformat(), "last_review": self.last_review.isoformat(),
                "reviews": self.reviews}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SkillCard:
        """The card :meth:`to_json` wrote; a ``ValueError`` for anything else."""
        try:
            return cls(float(data["stability"]), float(data["difficulty"]),
                       _utc(datetime.fromisoformat(data["due"])),
                       _utc(datetime.fromisoformat(data["last_review"])), int(data["reviews"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a stored review card: {data!r}") from error


def rating_for(correct: bool, hint_used: bool) -> Rating:
    """The FSRS rating of an answer (the table in the module doc)."""
    if not correct:
        return Rating.Again
    return Rating.Hard if hint_used else Rating.Good


def review_skill(
    card: SkillCard | None, correct: bool, hint_used: bool, at: datetime,
    params: ReviewParams = DEFAULT_REVIEW_PARAMS,
) -> SkillCard:
    """The card after one answer on the skill at ``at`` (a new card for the first answer)."""
    at = _utc(at)
    scheduler = params.scheduler()
    before = (Card(card_id=0, due=at) if card is None else
              Card(card_id=0, state=State.Review, step=None, stability=card.stability,
                   difficulty=card.difficulty, due=card.due, last_review=card.last_review))
    after, _ = scheduler.review_card(before, rating_for(correct, hint_used), at)
    assert after.stability is not None and after.difficulty is not None
    return SkillCard(after.stability, after.difficulty, after.due, at,
                     1 if card is None else card.reviews + 1)


def apply_answer(
    cards: Mapping[str, SkillCard], skills: Sequence[str], correct: bool, hint_used: bool,
    at: datetime, params: ReviewParams = DEFAULT_REVIEW_PARAMS,
) -> dict[str, SkillCard]:
    """The new cards of the answer's skills (only those), from the old ones."""
    return {key: review_skill(cards.get(key), correct, hint_used, at, params)
            for key in dict.fromkeys(skills)}


def replay_cards(
    answers: Iterable[tuple[Sequence[str], bool, bool, datetime]],
    params: ReviewParams = DEFAULT_REVIEW_PARAMS,
) -> dict[str, SkillCard]:
    """Cards rebuilt from an ordered history of (skills, correct, hint used, at)."""
    cards: dict[str, SkillCard] = {}
    for skills, correct, hint_used, at in answers:
        cards.update(apply_answer(cards, skills, correct, hint_used, at, params))
    return cards


def schedule_of(cards: Mapping[str, SkillCard]) -> dict[str, datetime]:
    return {key: card.due for key, card in cards.items()}


def scheduled(
    chart: Mapping[str, mastery.SkillMastery], schedule: Mapping[str, datetime]
) -> list[tuple[datetime, str]]:
    """(due, skill) of the mastered skills with a card, soonest first."""
    mastered = mastery.MasteryLevel.MASTERED
    return sorted((due, key) for key, due in schedule.items()
                  if key in chart and chart[key].level is mastered)


def due_reviews(
    chart: Mapping[str, mastery.SkillMastery], now: datetime,
    schedule: Mapping[str, datetime] | None = None,
) -> list[tuple[str, Phrase]]:
    """(skill, reason) of the skills due for review at ``now``, by the rule in the module doc:
    FSRS's schedule when one is given, else the rule before it."""
    if schedule is None:
        return mastery.review_candidates(chart, now)
    return [(key, Phrase.of(DUE_REASON, day=due))
            for due, key in scheduled(chart, schedule) if due <= now]


def next_review_at(
    chart: Mapping[str, mastery.SkillMastery], schedule: Mapping[str, datetime] | None,
    now: datetime,
) -> datetime | None:
    """When the next scheduled review falls due after ``now`` (``None``: none is scheduled):
    what is due changes then, with no answer in between."""
    if schedule is None:
        return None
    return next((due for due, _ in scheduled(chart, schedule) if due > now), None)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("review times must be timezone-aware")
    return moment.astimezone(UTC)
