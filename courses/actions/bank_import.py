"""Importing a Moodle XML or GIFT question bank into a course: read, map onto skills, check,
show what would happen (a dry run), and only then write.

Each question becomes an exercise whose key comes from the question itself (Moodle's idnumber
when it has one, else its category and name), so importing the same bank again updates those
exercises instead of adding copies. Skills come from a mapping — a category path (``Fractions/
Adding``) or a tag (``tag:fractions``) to a skill key — and, for what the mapping leaves out,
from a category or tag that names a skill (its key, or its name in any case), then from the
default skill if one is given. A question with no skill is reported and left out, like every
unsupported or malformed one, or one whose image would be refused (:mod:`.bank_images`); the
rest can be imported. The write is one transaction: the images, then new exercises in bulk,
then changed ones.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from courses.actions.bank_images import PlannedImage, add_bank_images, read_image_plan
from courses.actions.course_import import UNSTORABLE, apply_exercise_item, validate_exercises
from courses.banks.gift import parse_gift
from courses.banks.moodle_xml import parse_moodle_xml
from courses.banks.questions import BankProblem, BankQuestion, ParsedBank, exercise_key
from courses.errors import InvalidInput
from courses.jobs import schedule_chart_rebuild
from courses.models import Attempt, Choice, ContentImage, Course, Exercise
from courses.signals import bump_content_version

FORMATS = {"moodle-xml": parse_moodle_xml, "gift": parse_gift}
TAG_PREFIX = "tag:"
_TEXT_FIELDS = ("prompt", "hint", "solution")


@dataclass(frozen=True)
class PlannedExercise:
    key: str
    question: BankQuestion
    action: str  # "create", "update" or "unchanged"
    item: dict[str, Any]  # the exercise as a course-document item


@dataclass
class BankPlan:
    """What importing the bank would do: nothing is written until :func:`import_bank`."""

    course: Course
    items: list[PlannedExercise] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # category or tag -> skill it maps to
    images: list[PlannedImage] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    @property
    def skipped(self) -> list[BankProblem]:
        return [problem for problem in self.problems if problem.skipped]


class UnreadableBank(InvalidInput):
    """A file with no question that could be read at all; ``problems`` say why."""

    def __init__(self, problems: list[BankProblem]) -> None:
        super().__init__("No question could be read from this file.")
        self.problems = problems


def parse_bank(raw: bytes | str, bank_format: str) -> ParsedBank:
    """The questions and problems of a bank in ``bank_format`` (``moodle-xml`` or ``gift``);
    :class:`UnreadableBank` when not one question could be read."""
    reader = FORMATS.get(bank_format)
    if reader is None:
        raise InvalidInput(f"Unknown bank format {bank_format!r}: use moodle-xml or gift.")
    bank = reader(raw)
    if not bank.questions:
        raise UnreadableBank(bank.problems)
    return bank


def read_format(filename: str, raw: bytes) -> str:
    """The format a file is in: by its content (XML starts with ``<``), else its name."""
    start = raw.lstrip()[:64].lstrip(b"\xef\xbb\xbf")
    if start.startswith(b"<"):
        return "moodle-xml"
    return "moodle-xml" if filename.lower().endswith(".xml") else "gift"


def parse_mapping(raw: str | bytes) -> dict[str, str]:
    """A mapping file: a JSON object of category path or ``tag:name`` -> skill key."""
    if not raw.strip():
        return {}
    try:
        mapping = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"The mapping is not valid JSON: {error}") from error
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise InvalidInput('The mapping must be a JSON object of strings, e.g. '
                           '{"Fractions/Adding": "adding", "tag:halves": "halves"}.')
    return {k.strip().strip("/"): v.strip() for k, v in mapping.items()}


def _source_labels(question: BankQuestion) -> list[str]:
    return ([question.category] if question.category else []) + [
        TAG_PREFIX + tag for tag in question.tags]


class _SkillFinder:
    def __init__(self, course: Course, mapping: Mapping[str, str], default: str) -> None:
        skills = list(course.skills.values_list("key", "name"))
        self.keys = {key for key, _ in skills}
        self.by_name = {name.casefold(): key for key, name in skills}
        self.mapping = dict(mapping)
        self.default = default

    def unknown_targets(self) -> list[str]:
        wanted = [*self.mapping.values(), *([self.default] if self.default else [])]
        return sorted({key for key in wanted if key not in self.keys})

    def auto(self, label: str) -> str | None:
        name = label.removeprefix(TAG_PREFIX).rsplit("/", 1)[-1].strip()
        if name in self.keys:
            return name
        return self.by_name.get(name.casefold()) or (
            slugify(name) if slugify(name) in self.keys else None)

    def skills_for(self, question: BankQuestion, sources: dict[str, str]) -> list[str]:
        found: list[str] = []
        for label in _source_labels(question):
            skill = self.mapping.get(label) or self.auto(label)
            if skill:
                sources[label] = skill
                found.append(skill)
        if not found and self.default:
            found.append(self.default)
        return list(dict.fromkeys(found))


def _item(question: BankQuestion, key: str, skills: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "skills": skills, "prompt": question.prompt,
                            "kind": question.kind, "hint": question.hint,
                            "solution": question.solution, "difficulty": question.difficulty}
    if question.kind == "choice":
        item["choices"] = [{"text": c.text, "correct": c.correct} for c in question.choices]
    elif question.kind == "numeric":
        item["answer"], item["tolerance"] = question.answer, question.tolerance
    else:
        item["accepted"] = question.accepted
    return item


def _same(exercise: Exercise, item: Mapping[str, Any], skills: list[str],
          choices: list[tuple[str, bool]]) -> bool:
    numeric = item["kind"] == "numeric"
    return (exercise.prompt, exercise.kind, exercise.hint, exercise.solution, exercise.status,
            exercise.difficulty,
            exercise.numeric_answer if numeric else None,
            exercise.tolerance if numeric else 0,
            list(exercise.accepted_answers or []), skills, choices) == (
        item["prompt"], item["kind"], item["hint"], item["solution"], Exercise.Status.ACTIVE,
        item["difficulty"],
        item.get("answer") if numeric else None, item.get("tolerance", 0) if numeric else 0,
        item.get("accepted", []), sorted(item["skills"]),
        [(c["text"].strip(), bool(c["correct"])) for c in item.get("choices", [])])


def read_bank_plan(course: Course, bank: ParsedBank, mapping: Mapping[str, str] | None = None,
                   default_skill: str = "") -> BankPlan:
    """The dry run: every question mapped and checked, its images too; what would be created
    or updated."""
    finder = _SkillFinder(course, mapping or {}, default_skill.strip())
    unknown = finder.unknown_targets()
    if unknown:
        raise InvalidInput(f"The mapping names skills this course does not have: {unknown}.")
    plan = BankPlan(course=course, problems=list(bank.problems))
    checked = _checked_items(bank.questions, finder, plan)
    images, renamed = read_image_plan(course, (question for question, _, _ in checked))
    existing = {e.key: e for e in course.exercises.prefetch_related("skills", "choices")}
    kept: list[BankQuestion] = []
    for question, key, item in checked:
        reasons = images.refused.get(id(question))
        if reasons:
            plan.problems += [BankProblem(question.line, question.name, r) for r in reasons]
            continue
        named = _with_image_names(item, renamed)
        if named != item and _reported(question, named, finder.keys, plan):
            continue  # a longer image name made a text too long
        item = named
        stored = existing.get(key)
        if stored is None:
            action = "create"
        else:
            same = _same(stored, item, sorted(s.key for s in stored.skills.all()),
                         [(c.text, c.is_correct) for c in stored.choices.all()])
            action = "unchanged" if same else "update"
        plan.items.append(PlannedExercise(key, question, action, item))
        kept.append(question)
    shown = {image.digest for question in kept for image in question.images}
    plan.images = [image for image in images.images if image.digest in shown]
    plan.problems.sort(key=lambda problem: problem.line)
    return plan


def _with_image_names(item: dict[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    """The exercise item with its image references following the course's names."""
    if not renamed:
        return item
    pattern = re.compile(r"\]\(image:(" + "|".join(map(re.escape, renamed)) + r")\)")

    def rename(text: str) -> str:
        return pattern.sub(lambda match: f"](image:{renamed[match.group(1)]})", text)

    changed = {**item, **{name: rename(item[name]) for name in _TEXT_FIELDS}}
    if "choices" in item:
        changed["choices"] = [{**choice, "text": rename(choice["text"])}
                              for choice in item["choices"]]
    return changed


def _checked_items(questions: list[BankQuestion], finder: _SkillFinder, plan: BankPlan
                   ) -> list[tuple[BankQuestion, str, dict[str, Any]]]:
    """Each question with a skill and a key of its own, as a checked exercise item; the rest
    reported in the plan's problems."""
    checked: list[tuple[BankQuestion, str, dict[str, Any]]] = []
    seen: set[str] = set()
    for question in questions:
        skills = finder.skills_for(question, plan.sources)
        if not skills:
            labels = ", ".join(_source_labels(question)) or "no category or tag"
            plan.problems.append(BankProblem(question.line, question.name,
                                             f"no skill for {labels}: map it to a skill"))
            continue
        key = exercise_key(question)
        if key in seen:
            plan.problems.append(BankProblem(question.line, question.name, f"the key {key!r} "
                                             "is the same as an earlier question's"))
            continue
        seen.add(key)
        item = _item(question, key, skills)
        if _reported(question, item, finder.keys, plan):
            continue
        checked.append((question, key, item))
    return checked


def _reported(question: BankQuestion, item: dict[str, Any], skill_keys: set[str],
              plan: BankPlan) -> bool:
    """Whether the exercise item cannot be stored, each reason in the plan's problems."""
    problems: list[str] = []
    validate_exercises([item], skill_keys, problems)
    if UNSTORABLE.search(json.dumps(item, ensure_ascii=False)):
        problems.append("the text holds a character that cannot be stored")
    prefix = f"exercises[0] ({item['key']})."
    plan.problems += [BankProblem(question.line, question.name, p.removeprefix(prefix))
                      for p in problems]
    return bool(problems)


def import_bank(plan: BankPlan, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Writes what the plan says (the author has seen the dry run), in one transaction: the
    new images, new exercises in bulk (a 2,000-question bank is a handful of queries), changed
    ones one by one, keeping their option ids when the options did not change. When the
    transaction fails, the image files it stored are removed again."""
    stored: list[ContentImage] = []
    try:
        with transaction.atomic():
            list(Course.objects.select_for_update().filter(pk=plan.course.pk))
            stored = add_bank_images(plan.course, plan.images)
            _write_exercises(plan, progress)
    except BaseException:
        for image in stored:
            image.file.delete(save=False)
        raise
    return {action: plan.count(action) for action in ("create", "update", "unchanged")}


def _write_exercises(plan: BankPlan, progress: Callable[[int], None] | None) -> None:
    course = plan.course
    skills = {skill.key: skill for skill in course.skills.all()}
    existing = {e.key: e for e in course.exercises.all()}
    new = [p for p in plan.items if p.action == "create" and p.key not in existing]
    _create_all(course, new, skills)
    done = len(new)
    if progress is not None:
        progress(done)
    created = {p.key for p in new}
    changed = [p for p in plan.items if p.key not in created and p.action != "unchanged"]
    if Attempt.objects.filter(exercise__in=[existing[p.key] for p in changed
                                            if p.key in existing]).exists():
        schedule_chart_rebuild(course.pk)  # answered exercises change: the charts replay
    for planned in changed:  # one by one, as the course import updates an exercise
        apply_exercise_item(course, existing.get(planned.key), planned.item, skills)
        done += 1
        if progress is not None:
            progress(done)


def _create_all(course: Course, planned: list[PlannedExercise],
                skills: Mapping[str, Any]) -> None:
    if not planned:
        return
    made = Exercise.objects.bulk_create(
        Exercise(course=course, key=p.key, prompt=p.item["prompt"], kind=p.item["kind"],
                 difficulty=p.item["difficulty"], hint=p.item["hint"],
                 solution=p.item["solution"], numeric_answer=p.item.get("answer"),
                 tolerance=p.item.get("tolerance", 0), accepted_answers=p.item.get("accepted", []))
        for p in planned)
    if any(exercise.pk is None for exercise in made):  # a backend that returns no ids
        ids = dict(course.exercises.filter(key__in=[p.key for p in planned])
                   .values_list("key", "id"))
        for exercise in made:
            exercise.pk = ids[exercise.key]
    tagged = Exercise.skills.through
    tagged.objects.bulk_create(
        tagged(exercise_id=exercise.pk, skill_id=skills[key].pk)
        for exercise, p in zip(made, planned, strict=True) for key in p.item["skills"])
    Choice.objects.bulk_create(
        Choice(exercise_id=exercise.pk, text=choice["text"].strip(),
               is_correct=bool(choice["correct"]), position=position)
        for exercise, p in zip(made, planned, strict=True)
        for position, choice in enumerate(p.item.get("choices", [])))
    bump_content_version(course.pk)  # bulk_create sends no signals
