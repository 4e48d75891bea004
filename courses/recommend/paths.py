"""A learner's proposed learning path: teacher pins first, then the planner's picks.

With an active, intact model the planner's success predictions come from the LSTM over the
learner's history (:class:`learnpath.paths.SequenceSuccessModel`); otherwise — a new course with no
trained model, a missing or corrupt artifact, or a model that predicted its validation
learners no better than the skill chart (:func:`learnpath.success.sequence_model_earns_paths`)
— from the skill chart and the authors' difficulty ratings
(:class:`learnpath.paths.ChartSuccessModel`), and the path says so. The
planning rules are documented in :mod:`learnpath.paths`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Max
from django.utils import timezone

from courses.ml.learner_state import current_state
from courses.ml.registry import serving_model
from courses.models import Attempt, Course, PathPin
from courses.phrases import shown, shown_all
from courses.queries.charts import chart_and_schedule
from courses.queries.pins import pinned_exercises
from courses.recommend.assigned import assignment_priorities
from courses.recommend.course_view import CourseView, course_view
from learnpath import paths, review
from learnpath.mastery import SkillMastery
from learnpath.phrases import Phrase, gettext_noop
from learnpath.success import sequence_model_earns_paths

LSTM = "lstm"
SKILL_GRAPH = "skill_graph"
# The path's notes and its steps' reasons are phrases (learnpath.phrases): stored with the path
# and written in the reader's language when shown (courses.phrases).
NO_MODEL_NOTE = Phrase.of(gettext_noop(
    "This course has no trained model yet, so your path is planned from the skill graph and the "
    "exercises' difficulty ratings."))
BROKEN_MODEL_NOTE = Phrase.of(gettext_noop(
    "The course's model is unavailable right now, so your path is planned from the skill graph "
    "and the exercises' difficulty ratings."))
UNEARNED_MODEL_NOTE = gettext_noop(
    "The course's model (version %(number)s) predicted the answers of learners held out of its "
    "training no better than the skill chart (AUC %(model)s against %(chart)s), so your path "
    "is planned from the skill graph and the exercises' difficulty ratings.")
NEW_LEARNER_NOTE = Phrase.of(gettext_noop(
    "You have no answers yet: the model plans from how learners usually start."))
NEW_EXERCISE_NOTE = Phrase.of(gettext_noop(
    "A new exercise: its chance is estimated from its skills."))


@dataclass(frozen=True)
class PathItem:
    exercise_id: int
    exercise_key: str
    skill_key: str
    skill_name: str
    kind: str
    p_success: float
    why: tuple[Phrase, ...]
    other_skill_names: tuple[str, ...] = ()

    @property
    def skills_label(self) -> str:
        """Every skill the exercise trains: the step's own skill first."""
        return " + ".join((self.skill_name, *self.other_skill_names))

    @property
    def pinned(self) -> bool:
        return self.kind == paths.PINNED

    @property
    def reason(self) -> str:
        """Why this step, in the reader's language."""
        return shown_all(self.why)

    @property
    def percent(self) -> int:
        return round(100 * self.p_success)


@dataclass(frozen=True)
class LearningPath:
    items: list[PathItem]
    source: str
    about: Phrase | None  # a note on how the path was planned
    model_version: int | None = None
    # Plan again by then at the latest, even if nothing else changes (an assignment's urgency,
    # a review falling due).
    valid_until: datetime | None = None

    @property
    def note(self) -> str:
        """The note in the reader's language ("" without one)."""
        return shown(self.about) if self.about is not None else ""


def recommend_path(
    learner: User, course: Course, length: int | None = None
) -> LearningPath:
    view = course_view(course)
    chart, schedule = chart_and_schedule(learner, course)
    now = timezone.now()
    pins = pinned_exercises(learner, course)
    latest = list(
        Attempt.objects.filter(learner=learner, course=course)
        .order_by("-id")
        .values_list("exercise__key", "correct")[:5]
    )[::-1]
    last_seen = dict(
        Attempt.objects.filter(learner=learner, course=course)
        .values("exercise__key").annotate(last=Max("submitted_at"))
        .values_list("exercise__key", "last")
    )
    model, source, note, version_number, unseen = _success_model(
        learner, course, view, chart, now
    )
    priorities, valid_until = assignment_priorities(learner, course, view, chart, now)
    steps = paths.plan_path(
        chart, view.graph, view.exercises, model, now=now, params=view.params,
        config=paths.PlanConfig(
            length=length or course.path_length,
            band=(course.success_band_low, course.success_band_high),
        ),
        pinned=[pin.exercise.key for pin in pins],
        recent=[key for key, _ in latest],
        names=view.names,
        last_seen=last_seen,
        last_answer=latest[-1] if latest else None,
        priorities=priorities,
        review_schedule=schedule,
    )
    ids = {key: exercise_id for exercise_id, (key, _) in view.catalog.items()}
    pins_by_key = {pin.exercise.key: pin for pin in pins}
    items = [
        PathItem(
            exercise_id=ids[step.exercise_key],
            exercise_key=step.exercise_key,
            skill_key=step.skill_key,
            skill_name=view.names.get(step.skill_key, step.skill_key),
            kind=step.kind,
            p_success=step.p_success,
            why=(*(step.reason or _pin_reason(pins_by_key[step.exercise_key], step.p_success)),
                 *((NEW_EXERCISE_NOTE,) if step.exercise_key in unseen else ())),
            other_skill_names=tuple(
                view.names.get(key, key) for key in view.skills_by_exercise[step.exercise_key]
                if key != step.skill_key
            ),
        )
        for step in steps
    ]
    next_review = review.next_review_at(chart, schedule, now)  # a review falls due: replan
    if next_review is not None and (valid_until is None or next_review < valid_until):
        valid_until = next_review
    return LearningPath(items, source, note, version_number, valid_until)


def _pin_reason(pin: PathPin, p_success: float) -> tuple[Phrase, ...]:
    name = pin.teacher.get_full_name() or pin.teacher.get_username()
    chosen = (gettext_noop("Chosen by your teacher, %(teacher)s, until you have answered it.")
              if pin.until == PathPin.Until.ANSWERED else
              gettext_noop("Chosen by your teacher, %(teacher)s, until you have mastered its "
                           "skills."))
    return Phrase.of(chosen, teacher=name), paths.chance_of_success(p_success)


def _success_model(
    learner: User,
    course: Course,
    view: CourseView,
    chart: dict[str, SkillMastery],
    now: datetime,
) -> tuple[paths.SuccessModel, str, Phrase | None, int | None, set[str]]:
    """The success model, its source, a note for the learner, the model version, and the
    exercises the model never saw (scored through their skills)."""
    loaded = serving_model(course, view.skills_by_exercise)
    if loaded is None:
        has_active = course.model_versions.filter(status="active").exists()
        model: paths.SuccessModel = paths.ChartSuccessModel(
            chart, {e.key: e for e in view.exercises}, view.params, view.graph, now
        )
        note = BROKEN_MODEL_NOTE if has_active else NO_MODEL_NOTE
        return model, SKILL_GRAPH, note, None, set()
    version, serving = loaded
    if not sequence_model_earns_paths(version.metrics):
        model = paths.ChartSuccessModel(
            chart, {e.key: e for e in view.exercises}, view.params, view.graph, now
        )
        note = Phrase.of(UNEARNED_MODEL_NOTE, number=version.number,
                         model=Decimal(f"{version.metrics['valid_auc']:.3f}"),
                         chart=Decimal(f"{version.metrics['valid_chart_auc']:.3f}"))
        return model, SKILL_GRAPH, note, None, set()
    state = current_state(learner, course, version, serving, view.catalog)
    model = paths.SequenceSuccessModel(serving, state, view.skills_by_exercise)
    unseen = set(view.skills_by_exercise) - set(serving.vocab.exercises)
    return model, LSTM, None if chart else NEW_LEARNER_NOTE, version.number, unseen
