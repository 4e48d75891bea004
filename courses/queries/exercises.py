"""Exercises as the engine sees them: the answer key the checker uses, a right (or plausible
wrong) answer in the form a learner would submit, and the course as the simulator sees it."""
from __future__ import annotations

from courses.models import Course, Exercise
from courses.queries.content import Option, answer_key
from courses.queries.graphs import skill_graph_for
from learnpath.answers import AnswerKey
from learnpath.sim import SimCourse, SimExercise, SimSkill


def answer_key_for(exercise: Exercise) -> AnswerKey:
    """The answer key of an exercise object (a stored exercise is also in
    :func:`courses.queries.content.course_content`, with the same key)."""
    choices = ([Option(choice.id, choice.text, choice.is_correct)
                for choice in exercise.choices.all()]
               if exercise.kind == Exercise.Kind.CHOICE else [])
    return answer_key(exercise.kind, choices, exercise.numeric_answer, exercise.tolerance,
                      tuple(exercise.accepted_answers or ()))


def sim_course_for(course: Course) -> SimCourse:
    """The course as the simulator sees it; skills in the graph's topological order."""
    graph = skill_graph_for(course)
    skills = tuple(
        SimSkill(key, tuple(graph.prerequisites(key))) for key in graph.topological_order()
    )
    exercises = tuple(
        SimExercise(exercise.key, tuple(sorted(s.key for s in exercise.skills.all())),
                    exercise.difficulty)
        for exercise in course.exercises.filter(status=Exercise.Status.ACTIVE)
        .prefetch_related("skills")
        .order_by("key")
        if exercise.skills.all()
    )
    return SimCourse(skills=skills, exercises=exercises)


def answer_for(exercise: Exercise, correct: bool) -> str | list[int]:
    """A right answer, or a plausible wrong one, in the form a learner would submit."""
    if exercise.kind == Exercise.Kind.CHOICE:
        choices = list(exercise.choices.all())
        right = [c.pk for c in choices if c.is_correct]
        wrong = [c.pk for c in choices if not c.is_correct]
        if correct:
            return right
        return wrong[:1] if wrong else right[:-1] or right
    if exercise.kind == Exercise.Kind.NUMERIC:
        answer = exercise.numeric_answer or 0.0
        return f"{answer if correct else answer + max(1.0, 10 * exercise.tolerance):g}"
    if exercise.kind == Exercise.Kind.CODE:  # what a simulated learner "submits"
        return str(exercise.code.get("reference" if correct else "starter", ""))
    return exercise.accepted_answers[0] if correct else "not sure"
